"""``/metrics`` under a real gunicorn with two workers: a scrape answered by either worker sums the
requests every worker served (prometheus-client's multiprocess mode, set up by ``wutong serve``)."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

import requests
from prometheus_client.parser import text_string_to_metric_families

from tests.e2e.conftest import Server, Wutong

TOKEN = "e2e-metrics-token-0123456789"
HEALTHZ_COUNT = 'wutong_http_request_duration_seconds_count'


def healthz_requests(server: Server) -> float:
    response = requests.get(f"{server.base}/metrics", headers={"Authorization": f"Bearer {TOKEN}"}, timeout=30)
    assert response.status_code == 200, response.text
    return sum(
        sample.value
        for family in text_string_to_metric_families(response.text)
        for sample in family.samples
        if sample.name == HEALTHZ_COUNT and sample.labels == {"endpoint": "health.healthz", "method": "GET"}
    )


def worker_files(directory: Path) -> set[str]:
    """The pids of the workers that recorded a request (one histogram file per process)."""
    return {m.group(1) for f in directory.glob("histogram_*.db") if (m := re.fullmatch(r"histogram_(\d+)\.db", f.name))}


def test_metrics_sums_the_requests_of_both_gunicorn_workers(
    wutong: Wutong, serve: Callable[..., Server], tmp_path: Path
) -> None:
    directory = tmp_path / "metrics"
    directory.mkdir()
    (directory / "counter_999999.db").write_bytes(b"stale")  # a previous run's file: removed at start
    wutong.env["WUTONG_METRICS_TOKEN"] = TOKEN
    wutong.env["PROMETHEUS_MULTIPROC_DIR"] = str(directory)
    server = serve("--workers", "2")
    assert not (directory / "counter_999999.db").exists()
    before = healthz_requests(server)
    sent = 0
    while len(worker_files(directory)) < 2 and sent < 400:  # a new connection each time: either worker accepts
        answer = requests.get(server.url("/healthz"), headers={"Connection": "close"}, timeout=30)
        assert answer.status_code == 200
        sent += 1
    assert len(worker_files(directory)) == 2, f"one worker answered all {sent} requests"
    for _ in range(10):  # any worker answers the scrape, and each sees every worker's requests
        assert healthz_requests(server) == before + sent
