"""Listing and fetching agree for every user: a case, task or audit event is in a user's list exactly
when fetching it is allowed (the rules of engine/access/ own both the predicate and the SQL filter).

The seed has three departments, an applicant (and a second one with no case), a reassigned task, an
escalated task (督办 to D3), and a case that D2 sees only because D2 had a task in it earlier.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

import pytest

from engine import SYSTEM, Actor, Forbidden, FrozenClock, NotFound, ProcessEngine
from engine.vocabulary import OPEN_TASK_STATES
from engine.worker import Worker
from tests.engine.conftest import Org, process_files

EVERYTHING = 1000


@dataclass
class Seed:
    applied: str  # the applicant's case; its "reply" step is overdue and escalated from D2 to D3
    reassigned: str  # its "reply" step was reassigned from D2 to D3
    earlier: str  # D2 worked on it earlier and has no open task there any more
    escalated_reply: str
    actors: dict[str, Actor]


def _task(engine: ProcessEngine, case: str, activity: str) -> str:
    return next(t.id for t in engine.runtime.get(SYSTEM, case).open_tasks if t.activity_id == activity)


@pytest.fixture
def seed(engine: ProcessEngine, org: Org, clock: FrozenClock) -> Seed:
    identity = engine.identity
    identity.create_user(SYSTEM, "applicant2", roles=["applicant"], departments_=[], company="另一家公司")
    token = identity.create_token(SYSTEM, identity.find_user("applicant2").id)
    assert token.secret is not None
    actors = {**org.actors, "applicant2": identity.authenticate(token.secret)}

    engine.repository.deploy(org["designer"], process_files("deadlines.bpmn"))
    start = {"reply_limit": "P3D"}
    applicant_id = org["applicant"].user_id
    applied = engine.runtime.start(org["staff_D1"], "deadlines", variables=start, applicant_id=applicant_id).id
    reassigned = engine.runtime.start(org["staff_D1"], "deadlines", variables=start).id
    earlier = engine.runtime.start(org["staff_D1"], "deadlines", variables=start).id
    for case in (applied, reassigned, earlier):
        engine.tasks.complete(org["staff_D1"], _task(engine, case, "accept"))
    engine.supervision.reassign(org["admin"], _task(engine, reassigned, "reply"), department="D3", reason="D3 has it")
    engine.tasks.complete(org["staff_D2"], _task(engine, earlier, "reply"), {"answer": "done"})
    engine.tasks.complete(org["staff_D2"], _task(engine, earlier, "quick"))
    engine.history.comment_on_case(org["applicant"], applied, "我们已提交全部材料")
    escalated_reply = _task(engine, applied, "reply")
    clock.advance(timedelta(days=5))
    assert Worker(engine).run_once().escalated >= 1
    return Seed(applied, reassigned, earlier, escalated_reply, actors)


def _fetchable(fetch: object, ids: set[str]) -> set[str]:
    allowed = set()
    for item in ids:
        try:
            fetch(item)  # type: ignore[operator]
        except NotFound:
            continue
        allowed.add(item)
    return allowed


def _all(engine: ProcessEngine) -> tuple[set[str], set[str]]:
    cases = {c.id for c in engine.runtime.list(SYSTEM, page_size=EVERYTHING).items}
    tasks = {t.id for t in engine.tasks.list(SYSTEM, page_size=EVERYTHING).items}
    return cases, tasks


def test_the_seed_has_what_the_agreement_is_about(engine: ProcessEngine, seed: Seed) -> None:
    supervisor_d3, staff_d3, staff_d2 = seed.actors["supervisor_D3"], seed.actors["staff_D3"], seed.actors["staff_D2"]
    assert engine.tasks.get(supervisor_d3, seed.escalated_reply).department == "D2"  # seen through the 督办
    with pytest.raises(NotFound):
        engine.tasks.get(staff_d3, seed.escalated_reply)
    assert engine.runtime.get(staff_d2, seed.earlier).open_tasks == ()  # seen through an earlier task only
    assert engine.tasks.get(staff_d3, _task(engine, seed.reassigned, "reply")).department == "D3"
    with pytest.raises(NotFound):
        engine.runtime.get(seed.actors["applicant2"], seed.applied)


@pytest.mark.parametrize(
    "user",
    [
        *(f"{role}_{code}" for code in ("D1", "D2", "D3") for role in ("staff", "supervisor")),
        "admin",
        "auditor",
        "designer",
        "applicant",
        "applicant2",
    ],
)
def test_listing_and_fetching_agree(engine: ProcessEngine, seed: Seed, user: str) -> None:
    actor = seed.actors[user]
    all_cases, all_tasks = _all(engine)

    cases = engine.runtime.list(actor, page_size=EVERYTHING)
    listed_cases = {c.id for c in cases.items}
    assert cases.total == len(listed_cases)
    assert listed_cases == _fetchable(lambda i: engine.runtime.get(actor, i), all_cases)

    tasks = engine.tasks.list(actor, page_size=EVERYTHING)
    listed_tasks = {t.id: t for t in tasks.items}
    assert tasks.total == len(listed_tasks)
    assert set(listed_tasks) == _fetchable(lambda i: engine.tasks.get(actor, i), all_tasks)

    for case in listed_cases:  # a case's open tasks are the open tasks of the user's list in that case
        shown = {t.id for t in engine.runtime.get(actor, case).open_tasks}
        assert shown == {i for i, t in listed_tasks.items() if t.instance_id == case and t.state in OPEN_TASK_STATES}

    timelines = {e.id for case in listed_cases for e in engine.history.case_events(actor, case)}
    for case in all_cases - listed_cases:
        with pytest.raises(NotFound):
            engine.history.case_events(actor, case)
    if actor.is_applicant:  # applicants read their own case's timeline; searching across cases is for staff
        with pytest.raises(Forbidden):
            engine.history.search(actor)
        return
    events = engine.history.search(actor, page_size=EVERYTHING)
    assert events.total == len(events.items)
    assert {e.id for e in events.items if e.instance_id is not None} == timelines


def test_a_supervisor_watches_the_tasks_escalated_to_their_department(engine: ProcessEngine, seed: Seed) -> None:
    overview = engine.supervision.overview(seed.actors["supervisor_D3"], page_size=EVERYTHING)
    assert seed.escalated_reply in {t.id for t in overview.items}
    listed = {t.id for t in engine.tasks.list(seed.actors["supervisor_D3"], page_size=EVERYTHING).items}
    assert {t.id for t in overview.items} <= listed


@pytest.mark.parametrize("user", ["staff_D2", "staff_D3", "supervisor_D3", "auditor", "applicant"])
@pytest.mark.parametrize("department", ["D1", "D2", "D3"])
def test_a_department_filter_lists_the_visible_tasks_of_that_department(
    engine: ProcessEngine, seed: Seed, user: str, department: str
) -> None:
    # The filter drops the visibility branches it settles (all of them for a member, the membership
    # branch for others): the result must still be the visible tasks of that department, no more.
    actor = seed.actors[user]
    visible = engine.tasks.list(actor, page_size=EVERYTHING).items
    filtered = engine.tasks.list(actor, department=department, page_size=EVERYTHING)
    expected = {t.id for t in visible if t.department == department}
    assert {t.id for t in filtered.items} == expected
    assert filtered.total == len(expected)
