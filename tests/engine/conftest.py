"""Engine fixtures: a real engine on a fresh SQLite file or PostgreSQL database, a frozen clock,
and a small organisation (departments D1, D2, D3 with staff and supervisors, an admin, an auditor,
a designer and an applicant company)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from engine import SYSTEM, Actor, EngineConfig, FrozenClock, ProcessEngine
from engine.spiff.sandbox import SandboxLimits

CORPUS = Path(__file__).resolve().parent.parent / "fixtures" / "corpus"


@dataclass
class Org:
    """Actors by name: staff_D1, supervisor_D1, ..., admin, auditor, designer, applicant."""

    actors: dict[str, Actor]

    def __getitem__(self, name: str) -> Actor:
        return self.actors[name]

    def staff_of(self, department: str | None) -> Actor:
        return self.actors[f"staff_{department}"] if department else self.actors["admin"]


def make_engine(database_url: str, clock: FrozenClock, *, cache: bool = True) -> ProcessEngine:
    config = EngineConfig(
        database_url=database_url,
        cache_cases=cache,
        sandbox=SandboxLimits(max_seconds=2.0),
    )
    return ProcessEngine(config, clock=clock)


@pytest.fixture
def clock() -> FrozenClock:
    return FrozenClock()


@pytest.fixture
def engine(database_url: str, clock: FrozenClock) -> Iterator[ProcessEngine]:
    process_engine = make_engine(database_url, clock)
    process_engine.upgrade_schema()
    yield process_engine
    process_engine.close()


@pytest.fixture
def org(engine: ProcessEngine) -> Org:
    identity = engine.identity
    for code, name in (("D1", "一部"), ("D2", "二部"), ("D3", "三部")):
        identity.create_department(SYSTEM, code, name, f"Department {code[-1]}")
    actors: dict[str, Actor] = {}

    def add(username: str, roles: list[str], departments: list[str], company: str | None = None) -> None:
        identity.create_user(SYSTEM, username, roles=roles, departments_=departments, company=company)
        token = identity.create_token(SYSTEM, identity.find_user(username).id)
        assert token.secret is not None
        actors[username] = identity.authenticate(token.secret)

    for code in ("D1", "D2", "D3"):
        add(f"staff_{code}", ["staff"], [code])
        add(f"supervisor_{code}", ["supervisor"], [code])
    add("admin", ["admin"], [])
    add("auditor", ["auditor"], [])
    add("designer", ["designer"], [])
    add("applicant", ["applicant"], [], company="梧桐精密制造有限公司")
    return Org(actors)


def corpus_files(*names: str) -> dict[str, bytes]:
    return {name: (CORPUS / name).read_bytes() for name in names}


PROCESSES = Path(__file__).resolve().parent / "processes"


def process_files(*names: str) -> dict[str, bytes]:
    return {name: (PROCESSES / name).read_bytes() for name in names}


def table_counts(engine: ProcessEngine) -> dict[str, int]:
    """Row counts of every table: proof that a refused command changed nothing."""
    from sqlalchemy import func, select

    from engine.persistence.tables import metadata

    with engine.db.transaction(write=False) as connection:
        return {
            name: connection.execute(select(func.count()).select_from(table)).scalar_one()
            for name, table in metadata.tables.items()
        }
