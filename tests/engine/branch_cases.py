"""Cases for the tests of per-branch paging (the case list and the ledger, each checked against the
single filter it replaced): the ``ledger_case`` process, a staff member of D1 and D2, and the cases
both fixtures start the same way."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from engine import SYSTEM, Actor, ProcessEngine
from engine.results import InstanceView
from tests.engine.conftest import Org

LEDGER_CASE = Path(__file__).resolve().parent.parent / "api" / "models" / "ledger_case.bpmn"
STARTERS = ("staff_D1", "staff_D2", "staff_D3")


def branch_actors(engine: ProcessEngine, org: Org) -> dict[str, Actor]:
    """The organisation's actors plus ``staff_D1D2`` (staff of D1 and D2), with ``ledger_case`` deployed."""
    identity = engine.identity
    identity.create_user(SYSTEM, "staff_D1D2", roles=["staff"], departments_=["D1", "D2"])
    actors = dict(org.actors)
    token = identity.create_token(SYSTEM, identity.find_user("staff_D1D2").id)
    assert token.secret is not None
    actors["staff_D1D2"] = identity.authenticate(token.secret)
    engine.repository.deploy(org["designer"], {"ledger_case.bpmn": LEDGER_CASE.read_bytes()})
    return actors


def start_branch_case(
    engine: ProcessEngine, org: Org, actors: dict[str, Actor], n: int, **start: Any
) -> InstanceView:
    """The ``n``-th case: started by staff of D1, D2, D3 in turn, led by D1, D2, D3 in runs of three, for
    companies 企业0 to 企业3; cases 4 and 9 applied for by the applicant; case 5's task reassigned from
    its lead department D2 to D3."""
    variables = {"company": f"企业{n % 4}", "category": "planning", "lead_department": f"D{1 + n // 3 % 3}"}
    applicant = actors["applicant"].user_id if n in (4, 9) else None
    view = engine.runtime.start(
        actors[STARTERS[n % 3]], "ledger_case", variables=variables, applicant_id=applicant, **start
    )
    if n == 5:
        task = engine.runtime.get(SYSTEM, view.id).open_tasks[0].id
        engine.supervision.reassign(org["admin"], task, department="D3", reason="D3 has it")
    return view
