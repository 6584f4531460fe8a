"""``wutong report summary|departments|people|rebuild``: the same figures as ``/reports/*`` for operators."""

from __future__ import annotations

import csv
import io
import json

import pytest

from tests.api import ledger_story
from tests.api.conftest import Api
from tests.api.test_cli import Cli

clock, figures = ledger_story.clock, ledger_story.figures


@pytest.fixture
def wutong(database_url: str) -> Cli:
    return Cli(database_url)


def test_report_summary_prints_the_api_figures_as_json(wutong: Cli, api: Api, figures: dict[int, str]) -> None:
    printed = json.loads(wutong.ok("report", "summary", "--format", "json").stdout)
    assert printed == api.get("/reports/summary", "auditor").get_json()


def test_report_summary_table_shows_rates_with_numerator_and_denominator(wutong: Cli, figures: dict[int, str]) -> None:
    lines = wutong.ok("report", "summary", "--from", "2025-03-01", "--to", "2025-03-31").stdout.splitlines()
    assert lines[0].split()[:4] == ["key", "received", "accepted", "closed"]
    assert lines[1].split()[:8] == ["(all)", "12", "11", "6", "2", "1", "1", "91.7%"]
    assert "54.5% (6/11)" in lines[1]


def test_report_departments_csv_ranks_by_points(wutong: Cli, figures: dict[int, str]) -> None:
    rows = list(csv.DictReader(io.StringIO(wutong.ok("report", "departments", "--format", "csv").stdout)))
    assert [(r["rank"], r["key"], r["points"]) for r in rows] == [("1", "D1", "6"), ("2", "D2", "-5")]


def test_report_people_filters_by_department(wutong: Cli, figures: dict[int, str]) -> None:
    rows = list(csv.DictReader(io.StringIO(
        wutong.ok("report", "people", "--department", "D2", "--format", "csv").stdout)))
    assert [(r["name"], r["handled"]) for r in rows] == [("staff_D2", "4")]


def test_report_with_from_after_to_fails_naming_to(wutong: Cli, figures: dict[int, str]) -> None:
    result = wutong.fails("report", "summary", "--from", "2025-03-10", "--to", "2025-03-01")
    assert "/to" in result.stderr and "after" in result.stderr


def test_report_rebuild_counts_the_cases(wutong: Cli, figures: dict[int, str]) -> None:
    assert wutong.ok("report", "rebuild").stdout.strip() == "ledger rebuilt: 12 cases"


def test_demo_seed_fills_the_ledger_through_the_engine(database_url: str) -> None:
    wutong = Cli(database_url)
    wutong.ok("db", "upgrade")
    printed = wutong.ok("demo", "seed", "--cases", "12", "--year", "2019").stdout
    assert printed.startswith("seeded 12 cases in 2019: ")
    body = json.loads(wutong.ok("report", "summary", "--format", "json").stdout)
    assert body["received"] == 12 and body["closed"] <= body["accepted"] <= 12
    assert body["closed"] + body["open"] + body["cancelled"] + body["terminated"] <= 12
    assert [m["month"][:4] for m in body["by_month"]] == ["2019"] * len(body["by_month"])
    assert body["closed"] > 0 and body["rated"] > 0
