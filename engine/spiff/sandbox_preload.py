"""Imported once by the sandbox workers' fork server, so every worker forked from it starts warm.

Besides the sandbox itself, the national holiday tables are built here for last year, this year and
the next two: built lazily in a fresh worker, the first ``add_working_days`` took about a second and
could spend a whole command's expression budget.
"""

from __future__ import annotations

from datetime import date

import engine.spiff.sandbox  # noqa: F401  (the sandbox and SpiffWorkflow, imported once)
from engine.working_calendar import WorkingCalendar

_calendar = WorkingCalendar()
for _year in range(date.today().year - 1, date.today().year + 3):
    _calendar.is_working_day(date(_year, 1, 1))
