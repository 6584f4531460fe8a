"""The ledger story: a dozen cases of ``ledger_case`` (one step, a 3-working-day case and step limit) in
March 2025, with known outcomes, deadlines and ratings, driven through the HTTP API on a frozen clock.
Import the fixtures (``clock``, ``leader``, ``figures``) into a test module to use them."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from engine import FrozenClock, ProcessEngine
from engine.actors import SYSTEM
from tests.api.conftest import Api, Org, api_model


def at(day: int, hour: int, minute: int = 0) -> datetime:
    """A moment of March 2025 in Shanghai time (UTC+8), as UTC."""
    return datetime(2025, 3, day, hour - 8, minute, tzinfo=UTC)


# n: (start day, category, lead department, started by, how it ends: (day, by, data) | "cancel" | None)
CASES: dict[int, tuple[int, str, str, str, Any]] = {
    1: (3, "A", "D1", "staff_D1", (5, "staff_D1", {"closed": True, "satisfaction": 5})),  # 2 days, on time
    2: (3, "A", "D1", "staff_D1", (10, "staff_D1", {"closed": True, "satisfaction": 4})),  # 5 days, late
    3: (4, "B", "D2", "staff_D2", (6, "staff_D2", {"closed": True, "satisfaction": 2})),  # 2 days, on time
    4: (4, "B", "D2", "staff_D2", (5, "staff_D2", {"accepted": False, "closed": False})),  # referred
    5: (5, "A", "D1", "staff_D1", (6, "staff_D1", {"closed": False, "terminate": True})),  # terminated
    6: (5, "A", "D2", "staff_D2", "cancel"),  # cancelled on the 6th
    7: (6, "B", "D1", "staff_D1", None),  # open
    8: (6, "A", "D2", "staff_D2", None),  # open
    9: (7, "B", "D1", "staff_D1", (7, "staff_D1", {"closed": True, "satisfaction": 3})),  # 0 days, on time
    10: (10, "A", "D2", "staff_D2", (17, "staff_D2", {"closed": False})),  # completed, not struck off
    11: (10, "B", "D2", "staff_D2", (14, "staff_D2", {"closed": True, "satisfaction": 1})),  # 4 days, late
    12: (11, "A", "D1", "staff_D1", (12, "supervisor_D1", {"closed": True})),  # 1 day, on time, no rating
}


@pytest.fixture
def clock() -> FrozenClock:
    return FrozenClock(at(3, 8))


@pytest.fixture
def leader(engine: ProcessEngine, org: Org) -> str:
    user = engine.identity.create_user(SYSTEM, "leader", roles=["leader"], departments_=[])
    token = engine.identity.create_token(SYSTEM, user.id, "tests")
    assert token.secret is not None
    org.tokens["leader"] = token.secret
    org.user_ids["leader"] = user.id
    return "leader"


@pytest.fixture
def figures(api: Api, clock: FrozenClock) -> dict[int, str]:
    """Run the twelve cases in time order; answers case number -> instance id."""
    assert api.deploy(api_model("ledger_case.bpmn")).status_code == 201
    actions: list[tuple[datetime, int, str]] = []
    for n, (start_day, _, _, _, end) in CASES.items():
        actions.append((at(start_day, 9, n), n, "start"))
        if end == "cancel":
            actions.append((at(6, 11), n, "cancel"))
        elif end is not None:
            actions.append((at(start_day, 9, 30 + n), n, "claim"))
            actions.append((at(end[0], 10, n), n, "complete"))
    ids: dict[int, str] = {}
    for moment, n, action in sorted(actions):
        clock.set(moment)
        start_day, category, lead, starter, end = CASES[n]
        if action == "start":
            variables = {"company": f"公司{n}", "category": category, "lead_department": lead, "accepted": True,
                         "closed": False, "terminate": False, "amount_wan": 10 * n}
            ids[n] = api.start("ledger_case", starter, variables=variables)["id"]
        elif action == "cancel":
            response = api.post(f"/process-instances/{ids[n]}/cancel", "supervisor_D2", json={"reason": "重复"})
            assert response.status_code == 200, response.get_json()
        else:
            task = api.task_for(ids[n], "handle")["id"]
            path = f"/tasks/{task}/{action}"
            body = {"data": end[2]} if action == "complete" else None
            response = api.post(path, end[1], json=body)
            assert response.status_code == 200, response.get_json()
    clock.set(at(18, 12))
    return ids


