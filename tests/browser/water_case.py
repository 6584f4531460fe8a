"""A utility_connection case played through the API as the demo users do (scripts/water_story.sh):
to the point where it waits for the water company's ``supply_connected`` message, and on to closure."""

from __future__ import annotations

from typing import Any

from playwright.sync_api import expect

from tests.browser.conftest import Journey, Site

ACCOUNT_NO = "GS-2019-0625"
REQUEST = {
    "company_name": "郑州梧桐精工机械有限公司", "credit_code": "91410100MA44R7QK24", "utility_type": "water",
    "site_address": "梧桐街道贾庄村南侧", "problem_description": "门前道路及管网未建成，企业十年未通自来水",
    "source": "visit", "contact_person": "马志成", "contact_phone": "0371-6789 1234", "max_cost_rounds": 2,
}
# (user, step, submitted data) in the story's order, up to the wait for supply_connected
TO_SUPPLY: list[tuple[str, str, dict[str, Any]]] = [
    ("ops_center.staff1", "accept_request", REQUEST),
    ("water_supply.staff1", "survey_design",
     {"account_no": ACCOUNT_NO, "survey_date": "2019-03-01", "design_summary": "DN200 供水主管 1.2 公里"}),
    ("water_supply.staff1", "estimate_cost", {"estimated_cost_wan": 95, "cost_breakdown": "管材、开挖、路面恢复"}),
    ("innovation_dev.staff1", "approve_cost",
     {"cost_approved": False, "approval_opinion": "路面恢复费用偏高，请重新核算"}),
    ("water_supply.staff1", "estimate_cost", {"estimated_cost_wan": 80, "cost_breakdown": "优化路面恢复方案"}),
    ("innovation_dev.staff1", "approve_cost",
     {"cost_approved": True, "approval_opinion": "同意", "approved_cost_wan": 80}),
    ("road_bridge.staff1", "set_construction_window", {"window_start": "2019-03-20", "window_end": "2019-06-20"}),
    ("municipal_works.staff1", "clear_earthwork", {"earthwork_volume_m3": 3200, "cleared_on": "2019-03-15"}),
    ("urban_mgmt.staff1", "grant_dig_permit", {"permit_no": "ZZGX-2019-031", "permit_valid_until": "2019-07-31"}),
    ("subdistrict.staff1", "coordinate_land_access", {"land_access_plan": "临时占地由街道协调，施工便道经村南"}),
    ("village.staff1", "village_consent", {"village_agrees": True, "village_opinion": "同意临时占地"}),
    ("ops_center.staff1", "site_meeting",
     {"meeting_date": "2019-03-18", "responsibilities": "供水公司铺管，路桥公司恢复路面",
      "planned_completion": "2019-06-20"}),
    ("water_supply.staff1", "report_progress",
     {"progress_percent": 60, "construction_completed": False, "progress_note": "主管铺设过半"}),
    ("water_supply.staff1", "report_progress",
     {"progress_percent": 100, "construction_completed": True, "progress_note": "管道试压合格"}),
]
AFTER_SUPPLY: list[tuple[str, str, dict[str, Any]]] = [
    ("jinggong.applicant", "confirm_supply", {"supply_confirmed": True, "satisfaction": 5}),
    ("ops_center.staff1", "close_case", {"closing_summary": "2019年6月25日通水，企业满意"}),
]


def complete(site: Site, case_id: str, user: str, step: str, data: dict[str, Any]) -> None:
    tasks = site.api("GET", f"/tasks?instance_id={case_id}&state=open", user)
    [task] = [t for t in tasks if t["activity_id"] == step]
    site.api("POST", f"/tasks/{task['id']}/complete", user, json={"data": data})


def waiting_for_supply(site: Site, business_key: str) -> str:
    """A new case, played up to the wait for ``supply_connected``; returns its id."""
    company = site.api("GET", "/users/me", "jinggong.applicant")["id"]
    case_id: str = site.api("POST", "/process-definitions/key/utility_connection/start", "ops_center.staff1",
                            json={"business_key": business_key, "applicant_id": company})["id"]
    for user, step, data in TO_SUPPLY:
        complete(site, case_id, user, step, data)
    return case_id


def finished(site: Site, business_key: str) -> str:
    """A new case played from request to closure; returns its id."""
    case_id = waiting_for_supply(site, business_key)
    site.api("POST", "/messages", "water_supply.staff1", json={
        "name": "supply_connected", "correlation": {"account_no": ACCOUNT_NO},
        "payload": {"account_no": ACCOUNT_NO, "connected_at": "2019-06-25T09:30:00+08:00", "meter_no": "M-0625"}})
    for user, step, data in AFTER_SUPPLY:
        complete(site, case_id, user, step, data)
    return case_id


def open_case_page(journey: Journey, user: str, case_id: str) -> None:
    """Sign in as ``user`` (the first answer, before signing in, is a declared 401), wait for the inbox,
    and open the case's page."""
    journey.expect("GET", "/api/v1/session", 401)
    journey.sign_in(user)
    expect(journey.page.get_by_role("heading", name="待办事项")).to_be_visible()
    journey.goto(f"/cases/{case_id}")
