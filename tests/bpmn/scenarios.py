"""Stories that drive the shipped processes step by step, with valid form data for every task.

Each step function acts on one case through a ``Desk``; the ``*_story`` functions chain them into
whole cases. ``STORIES`` lists, per process, stories that together reach every flow node and every
gateway branch.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

from tests.bpmn.desk import Desk

# =====================================================================================================
# utility_connection
# =====================================================================================================

UC_PARALLEL_UNITS: dict[str, dict[str, Any]] = {
    "set_construction_window": {
        "window_start": "2019-03-01",
        "window_end": "2019-05-31",
        "traffic_arrangement": "半幅施工，设置临时便道",
    },
    "clear_earthwork": {"earthwork_volume_m3": 1200, "cleared_on": "2018-11-20", "earthwork_note": "夜间清运"},
    "grant_dig_permit": {"permit_no": "GX-WJ-2018-117", "permit_valid_until": "2019-06-30"},
    "coordinate_land_access": {
        "land_access_plan": "沿规划道路西侧临时占地 300 平方米，施工期间保留一条通行便道",
        "compensation_needed": True,
    },
}


def uc_accept(
    desk: Desk,
    *,
    utility_type: str = "water",
    max_cost_rounds: int | None = None,
    company: str = "郑州梧桐精工机械有限公司",
    credit_code: str = "91410100MA44R7QK24",
) -> str:
    case = desk.start("utility_connection")
    data: dict[str, Any] = {
        "company_name": company,
        "credit_code": credit_code,
        "utility_type": utility_type,
        "site_address": "郑州高新区梧桐街与贾庄路交叉口东北角",
        "problem_description": "门前道路和供水管网多年未建成，企业只能自备井取水，每年被处罚",
        "demand": "日用水量约 30 立方米",
        "source": "visit",
        "contact_person": "马志成",
        "contact_phone": "13800000001",
        "working_group": "运营中心牵头，供水、路桥、市政、城管、街道、村委会各派联络人",
    }
    if max_cost_rounds is not None:
        data["max_cost_rounds"] = max_cost_rounds
    desk.complete(case, "accept_request", data)
    return case


def uc_survey(desk: Desk, case: str, *, account_no: str = "GS-2018-0925-001") -> None:
    desk.complete(
        case,
        "survey_design",
        {
            "account_no": account_no,
            "survey_date": "2018-09-25",
            "design_summary": "自梧桐街 DN300 主管接出 DN150 支管，沿规划道路西侧敷设至厂区",
            "line_length_m": 860,
        },
    )


def uc_units(desk: Desk, case: str) -> None:
    """The road & bridge company, municipal works, urban management, sub-district and village."""
    for activity, data in UC_PARALLEL_UNITS.items():
        desk.complete(case, activity, data)
    desk.complete(case, "village_consent", {"village_agrees": True, "village_opinion": "同意，施工后恢复地面"})


def uc_estimate(desk: Desk, case: str, cost: float = 86.5) -> None:
    desk.complete(
        case,
        "estimate_cost",
        {"estimated_cost_wan": cost, "cost_breakdown": "管材 40 万，施工 35 万，路面恢复 11.5 万"},
    )


def uc_review_cost(desk: Desk, case: str, *, approved: bool) -> None:
    data: dict[str, Any] = {"cost_approved": approved, "approval_opinion": "同意" if approved else "路面恢复费用偏高"}
    if approved:
        data["approved_cost_wan"] = 80
    desk.complete(case, "approve_cost", data)


def uc_supervisors_decide(desk: Desk, case: str, decision: str) -> None:
    data: dict[str, Any] = {"supervisor_decision": decision, "decision_reason": "专班会商结果"}
    if decision == "proceed":
        data.update(final_cost_wan=78, cost_sharing="企业承担 30 万，其余由供水公司和管委会承担")
    desk.complete(case, "supervisor_cost_decision", data, by="ops_center.supervisor")


def uc_cost(desk: Desk, case: str, *, rejections: int = 0) -> None:
    """``rejections`` rejected estimates, then an approved one."""
    for _ in range(rejections):
        uc_estimate(desk, case)
        uc_review_cost(desk, case, approved=False)
    uc_estimate(desk, case, cost=80)
    uc_review_cost(desk, case, approved=True)


def uc_site_meeting(desk: Desk, case: str) -> None:
    desk.complete(
        case,
        "site_meeting",
        {
            "meeting_date": "2019-03-05",
            "responsibilities": "供水公司铺设管道，路桥公司配合路面施工，市政公司保障作业面",
            "planned_completion": "2019-06-20",
            "attendees": "十余家单位",
        },
    )


def uc_report_progress(desk: Desk, case: str, percent: int, *, completed: bool = False) -> None:
    desk.complete(
        case,
        "report_progress",
        {"progress_percent": percent, "construction_completed": completed, "progress_note": f"已完成 {percent}%"},
    )


UC_REMINDER_PERIOD = timedelta(days=7)


def uc_week_passes(desk: Desk) -> None:
    """Seven days (and a second) go by and the worker fires what fell due, the weekly reminder among it."""
    desk.pass_time(UC_REMINDER_PERIOD + timedelta(seconds=1))


def uc_acknowledge_reminder(desk: Desk, case: str) -> None:
    desk.complete(
        case,
        "acknowledge_progress_reminder",
        {"reminder_acknowledged": True, "reminder_note": "本周五前报告进度，路面破除需城管局配合"},
    )


def uc_construct(desk: Desk, case: str, reports: int = 2, *, reminders: int = 0) -> None:
    """The site meeting, then ``reports`` progress reports (the last one completing construction);
    with ``reminders``, that many weeks pass before the first report and each reminder is acknowledged."""
    uc_site_meeting(desk, case)
    for _ in range(reminders):
        uc_week_passes(desk)
        uc_acknowledge_reminder(desk, case)
    for week in range(1, reports):
        uc_report_progress(desk, case, week * 30)
    uc_report_progress(desk, case, 100, completed=True)


def uc_connect(desk: Desk, account_no: str = "GS-2018-0925-001", *, by: str = "water_supply.staff1") -> tuple[str, ...]:
    return desk.deliver(
        "supply_connected",
        {"account_no": account_no, "connected_at": "2019-06-25T09:30:00+08:00", "meter_no": "WM-88231"},
        by=by,
        correlation={"account_no": account_no},
    )


def uc_finish(desk: Desk, case: str) -> None:
    desk.complete(case, "confirm_supply", {"supply_confirmed": True, "satisfaction": 5, "feedback": "终于用上自来水了"})
    desk.complete(case, "close_case", {"closing_summary": "供水管道铺设完成，6 月 25 日通水"})


def uc_story(
    desk: Desk,
    *,
    rejections: int = 0,
    max_cost_rounds: int | None = None,
    supervisors: str | None = None,
    utility_type: str = "water",
    account_no: str = "GS-2018-0925-001",
    reminders: int = 0,
) -> str:
    """A whole utility connection. With ``supervisors`` set, every estimate up to the cap is rejected
    and the center's supervisors decide (``proceed`` or ``terminate``); with ``reminders``, construction
    lasts that many weeks before the first report and every weekly reminder is acknowledged."""
    case = uc_accept(desk, utility_type=utility_type, max_cost_rounds=max_cost_rounds)
    uc_survey(desk, case, account_no=account_no)
    uc_units(desk, case)
    if supervisors is None:
        uc_cost(desk, case, rejections=rejections)
    else:
        for _ in range(max_cost_rounds or 3):
            uc_estimate(desk, case)
            uc_review_cost(desk, case, approved=False)
        uc_supervisors_decide(desk, case, supervisors)
        if supervisors == "terminate":
            return case
    uc_construct(desk, case, reminders=reminders)
    uc_connect(desk, account_no, by=f"{utility_type}_supply.staff1")  # the utility that worked on the case
    uc_finish(desk, case)
    return case


# =====================================================================================================
# enterprise_problem
# =====================================================================================================

EP_LEAD_REPLY = {
    "handling_measures": "现场核实，协调相关部门制定解决方案",
    "reply_to_company": "已协调解决，详见办理措施",
    "resolved": True,
}


def ep_start(desk: Desk, *, by: str = "ops_center.staff1", applicant: str | None = "songyue.applicant") -> str:
    return desk.start("enterprise_problem", by=by, applicant=applicant)


def ep_accept(desk: Desk, case: str, category: str, *, acceptance: str = "accept", **extra: Any) -> None:
    data: dict[str, Any] = {
        "company_name": "河南嵩岳新材料科技有限公司",
        "credit_code": "91410100MA45T3LW8N",
        "source": "reception_day",
        "category": category,
        "problem_description": "厂区扩建需要临时占用道路并调整规划",
        "contact_person": "刘慧芳",
        "contact_phone": "0371-66880000",
        "acceptance": acceptance,
        **extra,
    }
    if acceptance == "refer":
        data.update(referral_reason="属于区法院管辖的合同纠纷", referred_to="郑州高新区人民法院")
    desk.complete(case, "accept_problem", data)


def ep_handle(desk: Desk, case: str) -> None:
    """The lead department replies and every assisting department gives its opinion."""
    desk.complete(case, "lead_handle", EP_LEAD_REPLY)
    for task in [t for t in desk.open_tasks(case) if t.activity_id == "assist_handle"]:
        desk.complete(
            case, "assist_handle", {"assist_opinion": f"{task.department} 同意承办部门方案"}, department=task.department
        )


def ep_confirm(desk: Desk, case: str, *, accepted: bool = True, satisfaction: int = 5) -> None:
    desk.complete(
        case, "applicant_confirm", {"result_accepted": accepted, "satisfaction": satisfaction, "feedback": "感谢"}
    )


def ep_review(desk: Desk, case: str, decision: str) -> None:
    desk.complete(
        case,
        "center_review",
        {"close_decision": decision, "review_opinion": "企业不满意，重新办理" if decision == "reopen" else "办结"},
    )


def ep_rehandle(desk: Desk, case: str) -> None:
    desk.complete(case, "lead_rehandle", {**EP_LEAD_REPLY, "handling_measures": "再次上门，调整方案"})


def ep_story(desk: Desk, category: str = "land_construction", *, reopens: int = 0) -> str:
    case = ep_start(desk)
    ep_accept(desk, case, category)
    ep_handle(desk, case)
    for _ in range(reopens):
        ep_confirm(desk, case, accepted=False, satisfaction=2)
        ep_review(desk, case, "reopen")
        ep_rehandle(desk, case)
    ep_confirm(desk, case)
    ep_review(desk, case, "strike_off")
    return case


def ep_referral_story(desk: Desk) -> str:
    case = ep_start(desk)
    ep_accept(desk, case, "other", acceptance="refer")
    return case


# =====================================================================================================
# financing_request
# =====================================================================================================


def fr_collect(desk: Desk, case: str) -> None:
    desk.complete(
        case,
        "collect_need",
        {
            "company_name": "郑州梧桐精工机械有限公司",
            "credit_code": "91410100MA44R7QK24",
            "amount_wan": 500,
            "purpose": "购置数控机床",
            "term_months": 36,
            "collateral": "厂房抵押",
            "contact_person": "马志成",
            "contact_phone": "13800000001",
        },
    )


def fr_match(desk: Desk, case: str) -> None:
    desk.complete(case, "match_lenders", {"lenders": "中原银行高新区支行、郑州银行", "matchmaking_date": "2019-04-10"})


def fr_report(desk: Desk, case: str, outcome: str) -> None:
    data: dict[str, Any] = {"financing_outcome": outcome, "satisfaction": 4}
    if outcome != "not_funded":
        data.update(funded_amount_wan=500 if outcome == "funded" else 300, lender="中原银行高新区支行")
    desk.complete(case, "report_outcome", data)


def fr_story(desk: Desk, outcome: str = "funded") -> str:
    case = desk.start("financing_request")
    fr_collect(desk, case)
    fr_match(desk, case)
    fr_report(desk, case, outcome)
    if outcome == "not_funded":
        desk.complete(case, "follow_up_unfunded", {"follow_up_measures": "推荐政策性担保公司，申请转贷资金"})
    desk.complete(case, "close_case", {"closing_summary": "融资对接完成"})
    return case


STORIES: dict[str, list[Callable[[Desk], str]]] = {
    "utility_connection": [
        lambda desk: uc_story(desk, rejections=1, reminders=1),
        lambda desk: uc_story(desk, max_cost_rounds=2, supervisors="proceed", account_no="GS-2"),
        lambda desk: uc_story(desk, supervisors="terminate", account_no="GS-3"),
        lambda desk: uc_story(desk, utility_type="power", account_no="GD-4"),
    ],
    "enterprise_problem": [
        lambda desk: ep_story(desk, "land_construction", reopens=1),
        lambda desk: ep_story(desk, "talent_recruitment"),
        ep_referral_story,
    ],
    "financing_request": [
        lambda desk: fr_story(desk, "funded"),
        lambda desk: fr_story(desk, "not_funded"),
    ],
}
