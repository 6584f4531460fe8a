"""The README's walk-through is true: scripts/water_story.sh plays the water-connection story from
request to closure against a real `wutong serve` loaded with the demo, acting as each department."""

from __future__ import annotations

import subprocess
from pathlib import Path

from tests.e2e.conftest import Server, Wutong, wutong_executable

REPO = Path(__file__).resolve().parents[2]


def test_the_water_connection_story_runs_from_request_to_closure(wutong: Wutong, server: Server) -> None:
    wutong.run("demo", "load")
    env = {**wutong.env, "WUTONG_URL": server.base, "WUTONG_BIN": str(wutong_executable())}
    result = subprocess.run(
        ["bash", str(REPO / "scripts" / "water_story.sh")],
        env=env, cwd=REPO, capture_output=True, text=True, timeout=300,
    )
    assert result.returncode == 0, result.stdout + result.stderr + server.log_tail()
    assert "supply_connected delivered" in result.stdout
    assert result.stdout.rstrip().splitlines()[-1].split(" is ")[1].startswith("completed")
