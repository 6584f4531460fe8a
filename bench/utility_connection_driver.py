"""Driving the shipped utility-connection process (``bpmn/processes/utility_connection.bpmn``) over HTTP.

The same story as ``scripts/water_story.sh`` (the README's walk-through), in Python for the HTTP
benchmark: the demo organisation is loaded (``webapi.demo.load_demo``, as ``wutong demo load``),
then each case is accepted at the operations center, worked by five departments in parallel (one
cost estimate sent back once), built with two progress reports, connected by the
``supply_connected`` message, confirmed by the applicant company and closed. Every completion sends
real form data that passes the step's JSON Schema (``bpmn/forms/utility_connection.*.json``), each
as the demo user of the step's department. 34 requests per case: 1 start, 16 times (list the
case's open tasks, complete one), 1 message.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable
from typing import Any

PROCESS = "utility_connection"
REQUESTS_PER_CASE = 34
APPLICANT = "jinggong.applicant"

# (user, activity, form data) in the order scripts/water_story.sh completes them; "{account}" is
# replaced by the case's own account number so that the message correlates to exactly one case.
STEPS: tuple[tuple[str, str, dict[str, Any]], ...] = (
    ("ops_center.staff1", "accept_request", {
        "company_name": "郑州梧桐精工机械有限公司", "credit_code": "91410100MA44R7QK24", "utility_type": "water",
        "site_address": "梧桐街道贾庄村南侧", "problem_description": "门前道路及管网未建成，企业十年未通自来水",
        "source": "visit", "contact_person": "马志成", "contact_phone": "0371-6789 1234", "max_cost_rounds": 2}),
    ("water_supply.staff1", "survey_design", {
        "account_no": "{account}", "survey_date": "2019-03-01", "design_summary": "DN200 供水主管 1.2 公里"}),
    ("water_supply.staff1", "estimate_cost", {"estimated_cost_wan": 95, "cost_breakdown": "管材、开挖、路面恢复"}),
    ("innovation_dev.staff1", "approve_cost", {
        "cost_approved": False, "approval_opinion": "路面恢复费用偏高，请重新核算"}),
    ("water_supply.staff1", "estimate_cost", {"estimated_cost_wan": 80, "cost_breakdown": "优化路面恢复方案"}),
    ("innovation_dev.staff1", "approve_cost", {
        "cost_approved": True, "approval_opinion": "同意", "approved_cost_wan": 80}),
    ("road_bridge.staff1", "set_construction_window", {"window_start": "2019-03-20", "window_end": "2019-06-20"}),
    ("municipal_works.staff1", "clear_earthwork", {"earthwork_volume_m3": 3200, "cleared_on": "2019-03-15"}),
    ("urban_mgmt.staff1", "grant_dig_permit", {"permit_no": "ZZGX-2019-031", "permit_valid_until": "2019-07-31"}),
    ("subdistrict.staff1", "coordinate_land_access", {"land_access_plan": "临时占地由街道协调，施工便道经村南"}),
    ("village.staff1", "village_consent", {"village_agrees": True, "village_opinion": "同意临时占地"}),
    ("ops_center.staff1", "site_meeting", {
        "meeting_date": "2019-03-18", "responsibilities": "供水公司铺管，路桥公司恢复路面",
        "planned_completion": "2019-06-20"}),
    ("water_supply.staff1", "report_progress", {
        "progress_percent": 60, "construction_completed": False, "progress_note": "主管铺设过半"}),
    ("water_supply.staff1", "report_progress", {
        "progress_percent": 100, "construction_completed": True, "progress_note": "管道试压合格"}),
    ("message", "supply_connected", {}),
    (APPLICANT, "confirm_supply", {"supply_confirmed": True, "satisfaction": 5}),
    ("ops_center.staff1", "close_case", {"closing_summary": "2019年6月25日通水，企业满意"}),
)
USERS = sorted({user for user, _, _ in STEPS if user != "message"})

# call(label, user, method, path, json=..., params=...) -> the response's JSON (raises on >= 300)
Call = Callable[..., Any]
_accounts = itertools.count(1)


def prepare(database_url: str) -> tuple[dict[str, str], str]:
    """Loads the demo organisation's departments and acting users and the shipped processes;
    returns a token per acting user and the applicant company user's id."""
    import bpmn
    from bench.common import make_engine
    from webapi.demo import load_demo

    engine = make_engine(database_url)
    try:
        data = bpmn.demo_data()  # only the users who act: each password hash costs CPU time
        data["users"] = [u for u in data["users"] if u["username"] in USERS]
        result = load_demo(engine, data, bpmn.process_files())
        tokens = {u.username: u.token for u in result.users if u.username in USERS}
        applicant_id = engine.identity.find_user(APPLICANT).id
        return tokens, str(applicant_id)
    finally:
        engine.close()


def _with_account(data: dict[str, Any], account: str) -> dict[str, Any]:
    return {k: (account if v == "{account}" else v) for k, v in data.items()}


def drive_case(call: Call, applicant_id: str, tag: str = "") -> str:
    """One case from request to closure; returns its id. ``tag`` keeps account numbers unique per client."""
    account = f"GS-{tag}{next(_accounts)}"
    case = call("start", "ops_center.staff1", "POST", f"/process-definitions/key/{PROCESS}/start",
                json={"business_key": f"WATER-{account}", "applicant_id": applicant_id})
    for user, activity, data in STEPS:
        if user == "message":
            call("message", "water_supply.staff1", "POST", "/messages", json={
                "name": activity, "correlation": {"account_no": account},
                "payload": {"account_no": account, "connected_at": "2019-06-25T09:30:00+08:00", "meter_no": "M-0625"}})
            continue
        tasks = call("list", user, "GET", "/tasks", params={"instance_id": case["id"], "state": "open"})
        task = next(t for t in tasks if t["activity_id"] == activity)
        result = call("complete", user, "POST", f"/tasks/{task['id']}/complete",
                      json={"data": _with_account(data, account)})
    if result["case_state"] != "completed":
        raise RuntimeError(f"case {case['id']} ended {result['case_state']}, not completed")
    return str(case["id"])
