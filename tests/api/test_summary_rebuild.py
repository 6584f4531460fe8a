"""``wutong report rebuild`` after a calendar override: the ledger's handling days change, and the
summary read from the monthly totals (engine/ledger_totals.py) follows them exactly."""

from __future__ import annotations

from datetime import date

from engine import SYSTEM, ProcessEngine
from engine.services.reports import ReportFilter
from tests.api import ledger_story
from tests.engine.summary_reference import plain_summary

clock, figures = ledger_story.clock, ledger_story.figures


def test_a_rebuild_after_a_calendar_override_keeps_the_summary_equal_to_the_ledger(
    engine: ProcessEngine, figures: dict[int, str]
) -> None:
    everything, march = ReportFilter(), ReportFilter(from_=date(2025, 3, 1), to=date(2025, 3, 31))
    before = engine.reports.summary(SYSTEM, everything)
    assert before == plain_summary(engine, everything)
    engine.calendars.set_day(SYSTEM, date(2025, 3, 4), working=False, note="停电检修")
    engine.calendars.set_day(SYSTEM, date(2025, 3, 5), working=False, note="停电检修")
    assert engine.reports.rebuild(SYSTEM) == 12
    after = engine.reports.summary(SYSTEM, everything)
    assert after == plain_summary(engine, everything)
    assert engine.reports.summary(SYSTEM, march) == after | {"filters": after["filters"] | {
        "from": "2025-03-01", "to": "2025-03-31"}}
    # cases 1 2 3 spanned the 4th and 5th: fewer working days now
    assert (after["handling_days_median"], after["handling_days_p90"]) != (
        before["handling_days_median"], before["handling_days_p90"])
    assert {k: after[k] for k in ("received", "closed")} == {k: before[k] for k in ("received", "closed")}
