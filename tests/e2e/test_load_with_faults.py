"""Load with faults (issue 13, benchmark 5, bounded for ``make test``): client threads doing random
valid operations against gunicorn (4 workers) and 2 timer workers on PostgreSQL while one web worker
and one timer worker are killed with SIGKILL; every acknowledged operation is then in the history,
``wutong check`` passes, no timer fired twice, no request got a 5xx."""

from __future__ import annotations

from pathlib import Path

import pytest

from bench.load_faults import Settings, run

pytestmark = pytest.mark.only_db("postgres")


def test_acknowledged_work_survives_killed_web_and_timer_workers(database_url: str, tmp_path: Path) -> None:
    outcome = run(Settings(database_url, seconds=30, clients=8, web_workers=4, timer_workers=2, workdir=tmp_path))

    assert len(outcome.kills) == 2 and "killed" in outcome.kills[0], outcome.kills
    assert len(outcome.acknowledged) > 100, outcome.statuses
    assert {kind for kind in outcome.acknowledged.values()} >= {"start", "claim", "complete", "message", "reassign"}
    assert outcome.missing == []
    assert outcome.server_errors == 0, outcome.statuses
    assert outcome.timers_fired_twice == []
    assert outcome.timers_overdue_left == 0
    assert outcome.check_returncode == 0, outcome.check_output
