"""The audit chain: every event is chained per case, and tampering shows at exactly the changed event."""

from __future__ import annotations

import itertools
import threading
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlalchemy import exc as sa_exc

from engine import SYSTEM, EngineConfig, FrozenClock, ProcessEngine, Unavailable
from engine.audit_chain import AuditKeyring
from engine.persistence import migrate
from engine.persistence.tables import audit_chain_heads, audit_events
from tests.engine.conftest import Org, make_engine, process_files
from tests.sql_events import statements_run

COMMENTS = 5
# case.started, then what the engine did: start event started and completed, the task started and
# created, the start variables
STARTED = 6


@pytest.fixture
def case(engine: ProcessEngine, org: Org) -> str:
    engine.repository.deploy(org["designer"], process_files("form_task.bpmn", "fill.json"))
    view = engine.runtime.start(org["staff_D1"], "form_task", variables={"company": "梧桐"})
    assert len(chain_rows(engine, view.id)) == STARTED
    for n in range(COMMENTS):
        engine.history.comment_on_case(org["staff_D1"], view.id, f"note {n}")
    return view.id


def chain_rows(engine: ProcessEngine, chain: str) -> list[sa.Row[tuple[int, int]]]:
    with engine.db.transaction(write=False) as connection:
        return list(
            connection.execute(
                sa.select(audit_events.c.id, audit_events.c.seq)
                .where(audit_events.c.chain == chain)
                .order_by(audit_events.c.seq)
            )
        )


def drop_triggers(engine: ProcessEngine) -> None:
    """What an attacker with database access does first."""
    with engine.db.transaction() as connection:
        if connection.dialect.name == "sqlite":
            connection.exec_driver_sql("DROP TRIGGER audit_events_no_update")
            connection.exec_driver_sql("DROP TRIGGER audit_events_no_delete")
        else:
            connection.exec_driver_sql("DROP TRIGGER audit_events_no_change ON audit_events")


def tamper(engine: ProcessEngine, statement: sa.Executable) -> None:
    with engine.db.transaction() as connection:
        connection.execute(statement)


def test_every_event_carries_its_chain_place_and_macs(engine: ProcessEngine, org: Org, case: str) -> None:
    events = engine.history.case_events(org["auditor"], case)
    assert [e.seq for e in events] == list(range(1, len(events) + 1))
    assert {e.chain for e in events} == {case}
    assert events[0].prev_mac is None
    assert all(later.prev_mac == earlier.mac for earlier, later in itertools.pairwise(events))
    assert {e.key_id for e in events} == {"test-key"}
    # one request id per command: each command's events (its own and what the engine did) sit together
    runs = [key for key, _ in itertools.groupby(e.request_id for e in events)]
    assert len(runs) == len(set(runs)) > 1


def test_events_of_no_case_form_the_system_chain(engine: ProcessEngine, org: Org) -> None:
    with engine.db.transaction(write=False) as connection:
        seqs = connection.execute(
            sa.select(audit_events.c.seq).where(audit_events.c.chain == "system").order_by(audit_events.c.seq)
        ).scalars().all()
    assert seqs == list(range(1, len(seqs) + 1)) and len(seqs) > 10  # departments, users, tokens


def test_an_untouched_chain_verifies(engine: ProcessEngine, org: Org, case: str) -> None:
    result = engine.history.verify_case(org["auditor"], case)
    assert (result.valid, result.events, result.first_broken) == (True, COMMENTS + STARTED, None)
    assert engine.history.verify_all(org["auditor"]).valid


def test_triggers_refuse_changing_or_deleting_events(engine: ProcessEngine, case: str) -> None:
    with pytest.raises(sa_exc.DatabaseError, match="append-only"):
        tamper(engine, sa.update(audit_events).where(audit_events.c.chain == case).values(action="x"))
    with pytest.raises(sa_exc.DatabaseError, match="append-only"):
        tamper(engine, sa.delete(audit_events).where(audit_events.c.chain == case))
    assert len(chain_rows(engine, case)) == COMMENTS + STARTED


def test_a_changed_event_breaks_the_chain_at_that_event(engine: ProcessEngine, org: Org, case: str) -> None:
    rows = chain_rows(engine, case)
    drop_triggers(engine)
    tamper(engine, sa.update(audit_events).where(audit_events.c.id == rows[2].id).values(details={"text": "forged"}))
    result = engine.history.verify_case(org["auditor"], case)
    assert not result.valid
    assert result.first_broken is not None
    assert (result.first_broken["seq"], result.first_broken["event_id"]) == (3, rows[2].id)
    assert "MAC" in result.first_broken["reason"]


def test_a_deleted_middle_event_breaks_the_chain_there(engine: ProcessEngine, org: Org, case: str) -> None:
    rows = chain_rows(engine, case)
    drop_triggers(engine)
    tamper(engine, sa.delete(audit_events).where(audit_events.c.id == rows[3].id))
    broken = engine.history.verify_case(org["auditor"], case).first_broken
    assert broken is not None
    assert (broken["seq"], broken["event_id"]) == (4, rows[4].id)
    assert "missing" in broken["reason"]


def test_swapped_events_break_the_chain_at_the_first_of_them(engine: ProcessEngine, org: Org, case: str) -> None:
    rows = chain_rows(engine, case)
    drop_triggers(engine)
    first, second = rows[1], rows[2]
    tamper(engine, sa.update(audit_events).where(audit_events.c.id == first.id).values(seq=-1))
    tamper(engine, sa.update(audit_events).where(audit_events.c.id == second.id).values(seq=first.seq))
    tamper(engine, sa.update(audit_events).where(audit_events.c.id == first.id).values(seq=second.seq))
    broken = engine.history.verify_case(org["auditor"], case).first_broken
    assert broken is not None
    assert (broken["seq"], broken["event_id"]) == (2, second.id)


def test_deleting_the_newest_events_shows_against_the_chain_head(engine: ProcessEngine, org: Org, case: str) -> None:
    rows = chain_rows(engine, case)
    drop_triggers(engine)
    tamper(engine, sa.delete(audit_events).where(audit_events.c.id.in_([rows[-1].id, rows[-2].id])))
    result = engine.history.verify_case(org["auditor"], case)
    assert not result.valid
    assert result.first_broken is not None
    assert (result.first_broken["seq"], result.first_broken["event_id"]) == (len(rows) - 1, None)


def test_deleting_the_newest_events_and_rewinding_the_head_shows_against_the_last_digest(
    database_url: str, clock: FrozenClock, tmp_path: Path
) -> None:
    engine = ProcessEngine(
        EngineConfig(database_url=database_url, audit_digest_dir=str(tmp_path / "digests")), clock=clock
    )
    engine.upgrade_schema()
    for code in ("A", "B", "C"):
        engine.identity.create_department(SYSTEM, code, code, code)
    written = engine.history.write_digest(SYSTEM)
    assert written.parent == tmp_path / "digests"
    assert engine.history.verify_all(SYSTEM).valid
    rows = chain_rows(engine, "system")
    drop_triggers(engine)
    tamper(engine, sa.delete(audit_events).where(audit_events.c.id == rows[-1].id))
    tamper(
        engine,
        sa.update(audit_chain_heads).where(audit_chain_heads.c.chain == "system").values(seq=rows[-2].seq, mac=None),
    )
    result = engine.history.verify_all(SYSTEM)
    assert not result.valid
    assert [(b.chain, b.first_broken and b.first_broken["seq"]) for b in result.broken] == [("system", rows[-1].seq)]
    assert result.digest is not None and result.digest["valid"]
    engine.close()


def test_a_forged_digest_is_reported(engine: ProcessEngine, org: Org, tmp_path: Path) -> None:
    directory = tmp_path / "digests"
    config = EngineConfig(database_url=engine.config.database_url, audit_digest_dir=str(directory))
    other = ProcessEngine(config, clock=engine.clock)
    path = other.history.write_digest(SYSTEM)
    path.write_text(path.read_text().replace('"seq": ', '"seq": 1'))
    result = other.history.verify_all(SYSTEM)
    assert not result.valid and result.digest is not None and not result.digest["valid"]
    other.close()


def test_concurrent_commands_never_fork_a_chain(engine: ProcessEngine, org: Org, case: str) -> None:
    threads_n, each = 4, 5
    barrier = threading.Barrier(threads_n)
    errors: list[BaseException] = []

    def comment(n: int) -> None:
        barrier.wait()
        try:
            for i in range(each):
                engine.history.comment_on_case(org["staff_D1"], case, f"thread {n} comment {i}")
                engine.identity.create_department(SYSTEM, f"T{n}{i}", f"T{n}{i}", f"T{n}{i}")
        except BaseException as exc:  # reported below
            errors.append(exc)

    threads = [threading.Thread(target=comment, args=(n,)) for n in range(threads_n)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert [r.seq for r in chain_rows(engine, case)] == list(range(1, COMMENTS + STARTED + 1 + threads_n * each))
    assert engine.history.verify_all(org["auditor"]).valid


def test_events_written_with_an_older_key_verify_after_rotation(
    database_url: str, clock: FrozenClock
) -> None:
    old = AuditKeyring.parse("old:an-old-audit-key-0123456789")
    engine = ProcessEngine(EngineConfig(database_url=database_url, audit_keys=old), clock=clock)
    engine.upgrade_schema()
    engine.identity.create_department(SYSTEM, "A", "A", "A")
    engine.close()
    both = AuditKeyring.parse("old:an-old-audit-key-0123456789\nnew:a-new-audit-key-9876543210")
    engine = ProcessEngine(EngineConfig(database_url=database_url, audit_keys=both), clock=clock)
    engine.identity.create_department(SYSTEM, "B", "B", "B")
    assert [r.key_id for r in engine.history.search(SYSTEM).items] == ["old", "new"]
    assert engine.history.verify_all(SYSTEM).valid
    engine.close()


def test_recording_without_a_key_is_refused_and_changes_nothing(database_url: str, clock: FrozenClock) -> None:
    engine = ProcessEngine(EngineConfig(database_url=database_url, audit_keys=None), clock=clock)
    engine.upgrade_schema()
    with pytest.raises(Unavailable) as raised:
        engine.identity.create_department(SYSTEM, "A", "A", "A")
    assert raised.value.code == "audit_key_missing"
    assert engine.identity.list_departments(SYSTEM) == []
    engine.close()


def test_upgrading_chains_the_events_that_already_exist(database_url: str, clock: FrozenClock) -> None:
    engine = make_engine(database_url, clock)
    migrate.upgrade(engine.db, "0002")
    legacy = sa.table(
        "audit_events", sa.column("at", sa.DateTime()), sa.column("actor_name"), sa.column("action"),
        sa.column("instance_id"), sa.column("details", sa.JSON()),
    )
    with engine.db.transaction() as connection:
        connection.execute(sa.insert(legacy), [
            {"at": clock.now().replace(tzinfo=None), "actor_name": "system", "action": "department.created",
             "instance_id": None, "details": {"code": "X"}},
            {"at": clock.now().replace(tzinfo=None), "actor_name": "system", "action": "user.created",
             "instance_id": None, "details": {"username": "x"}},
        ])
    engine.upgrade_schema()
    assert [r.seq for r in chain_rows(engine, "system")] == [1, 2]
    assert engine.history.verify_all(SYSTEM).valid
    engine.close()


def test_the_worker_writes_a_digest_once_a_day(database_url: str, clock: FrozenClock, tmp_path: Path) -> None:
    from datetime import timedelta

    from engine.worker import Worker

    directory = tmp_path / "digests"
    engine = ProcessEngine(EngineConfig(database_url=database_url, audit_digest_dir=str(directory)), clock=clock)
    engine.upgrade_schema()
    engine.identity.create_department(SYSTEM, "A", "A", "A")
    worker = Worker(engine)
    assert worker.write_digest_if_due() is not None
    clock.advance(timedelta(hours=23))
    assert worker.write_digest_if_due() is None
    clock.advance(timedelta(hours=1))
    assert worker.write_digest_if_due() is not None
    assert len(list(directory.glob("audit-digest-*.json"))) == 2
    engine.close()


def test_two_processes_appending_to_one_chain_never_fork_it(
    engine: ProcessEngine, org: Org, case: str, database_url: str, clock: FrozenClock
) -> None:
    """Each process remembers the heads it wrote (one statement fewer per command); the other process
    moving a head must make the remembered one a miss, not a fork."""
    other = make_engine(database_url, clock)
    try:
        for n in range(3):
            engine.history.comment_on_case(org["staff_D1"], case, f"here {n}")
            other.history.comment_on_case(org["staff_D1"], case, f"there {n}")
        assert engine.chain_heads.get(case) is not None and other.chain_heads.get(case) is not None
    finally:
        other.close()
    assert [r.seq for r in chain_rows(engine, case)] == list(range(1, COMMENTS + STARTED + 7))
    result = engine.history.verify_case(org["auditor"], case)
    assert (result.valid, result.events) == (True, COMMENTS + STARTED + 6)


def test_a_remembered_head_moves_the_stored_one_in_one_statement(
    engine: ProcessEngine, org: Org, case: str
) -> None:
    """A command on a chain this process wrote last reads no head: it moves it from the remembered one."""
    with statements_run(engine) as statements:
        engine.history.comment_on_case(org["staff_D1"], case, "one more")
    head_statements = [s for s in statements if "audit_chain_heads" in s]
    assert len(head_statements) == 1 and head_statements[0].lstrip().upper().startswith("UPDATE")
    assert engine.history.verify_case(org["auditor"], case).valid

