"""Authentication from one indexed lookup with cached actors: two engines on one database stand for
two workers; whatever one of them changes takes effect on the other's next authentication."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

import pytest

from engine import SYSTEM, FrozenClock, ProcessEngine, Unauthenticated
from tests.engine.conftest import Org, make_engine
from tests.sql_events import statements_run


@pytest.fixture
def other_worker(database_url: str, clock: FrozenClock, engine: ProcessEngine) -> Iterator[ProcessEngine]:
    worker = make_engine(database_url, clock)
    yield worker
    worker.close()


def _secret(engine: ProcessEngine, user_id: str, expires_in: timedelta | None = None) -> str:
    return _token(engine, user_id, expires_in)[1]


def _token(engine: ProcessEngine, user_id: str, expires_in: timedelta | None = None) -> tuple[str, str]:
    token = engine.identity.create_token(SYSTEM, user_id, expires_in=expires_in)
    assert token.secret is not None
    return token.id, token.secret


def _statements_while(engine: ProcessEngine, secret: str) -> int:
    with statements_run(engine) as seen:
        engine.identity.authenticate(secret)
    return len([s for s in seen if s.lstrip().upper().startswith("SELECT")])


def test_a_repeated_authentication_costs_one_select(engine: ProcessEngine, org: Org) -> None:
    secret = _secret(engine, org["staff_D1"].user_id or "")
    engine.identity.authenticate(secret)
    assert _statements_while(engine, secret) == 1


def test_a_revocation_in_one_worker_takes_effect_on_the_next_request_in_another(
    engine: ProcessEngine, other_worker: ProcessEngine, org: Org
) -> None:
    user_id = org["staff_D1"].user_id or ""
    token_id, secret = _token(engine, user_id)
    assert other_worker.identity.authenticate(secret).username == "staff_D1"
    engine.identity.revoke_token(org["staff_D1"], token_id)
    with pytest.raises(Unauthenticated):
        other_worker.identity.authenticate(secret)


def test_a_deactivation_in_one_worker_takes_effect_on_the_next_request_in_another(
    engine: ProcessEngine, other_worker: ProcessEngine, org: Org
) -> None:
    user_id = org["staff_D2"].user_id or ""
    secret = _secret(engine, user_id)
    other_worker.identity.authenticate(secret)
    engine.identity.update_user(org["admin"], user_id, active=False)
    with pytest.raises(Unauthenticated):
        other_worker.identity.authenticate(secret)


def test_changed_roles_and_departments_reach_another_workers_next_request(
    engine: ProcessEngine, other_worker: ProcessEngine, org: Org
) -> None:
    user_id = org["staff_D3"].user_id or ""
    secret = _secret(engine, user_id)
    assert other_worker.identity.authenticate(secret).departments == {"D3"}
    engine.identity.update_user(org["admin"], user_id, roles=["supervisor"], departments_=["D1", "D2"])
    actor = other_worker.identity.authenticate(secret)
    assert (actor.roles, actor.departments) == ({"supervisor"}, {"D1", "D2"})


def test_a_cached_token_still_expires_on_time(engine: ProcessEngine, clock: FrozenClock, org: Org) -> None:
    secret = _secret(engine, org["staff_D1"].user_id or "", expires_in=timedelta(hours=1))
    engine.identity.authenticate(secret)
    clock.advance(timedelta(hours=1))
    with pytest.raises(Unauthenticated) as raised:
        engine.identity.authenticate(secret)
    assert raised.value.code == "token_expired"
