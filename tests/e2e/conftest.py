"""End-to-end fixtures: the real ``wutong`` console script in subprocesses against a fresh database.

* ``wutong`` - runs ``wutong ARGS`` (the venv's console script) with ``WUTONG_DATABASE_URL`` set to
  the test's fresh database (``database_url``: a SQLite file, or a PostgreSQL database) in a
  temporary working directory, after ``wutong db upgrade``, with an audit key file
  (``WUTONG_AUDIT_KEY_FILE``) in that directory.
* ``serve`` - starts ``wutong serve --host 127.0.0.1 --port <free port> [ARGS]`` in its own
  process group, waits until ``/api/v1/healthz`` answers 200 and returns a :class:`Server`. Every
  server is stopped (SIGTERM to the group, then SIGKILL) when the test ends, pass or fail, before
  the database is dropped.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import requests

REPO = Path(__file__).resolve().parents[2]
E2E_MODELS = Path(__file__).resolve().parent / "models"
CORPUS = REPO / "tests" / "fixtures" / "corpus"
PROBLEM_JSON = "application/problem+json"
START_TIMEOUT = 60.0


def wutong_executable() -> Path:
    """The console script of the environment running the tests (normally .venv/bin/wutong)."""
    for candidate in (Path(sys.executable).with_name("wutong"), REPO / ".venv" / "bin" / "wutong"):
        if candidate.exists():
            return candidate
    raise RuntimeError("the wutong console script is not installed: run `make bootstrap`")


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@dataclass
class Wutong:
    """``wutong`` as a user runs it: a subprocess with the test's environment."""

    env: dict[str, str]
    cwd: Path

    def run(
        self, *args: str, check: bool = True, input: str | None = None
    ) -> subprocess.CompletedProcess[str]:
        result = subprocess.run(
            [str(wutong_executable()), *args],
            env=self.env, cwd=self.cwd, input=input, capture_output=True, text=True, timeout=120,
        )
        if check and result.returncode != 0:
            command = " ".join(args)
            pytest.fail(f"wutong {command} exited {result.returncode}:\n{result.stdout}\n{result.stderr}")
        return result

    def token(self, username: str, *user_add_args: str) -> str:
        """``wutong user add USERNAME ARGS`` and the token it prints (its only stdout)."""
        out = self.run("user", "add", username, *user_add_args).stdout
        lines = out.splitlines()
        assert len(lines) == 1 and lines[0].startswith("wt_"), out
        return lines[0]


@dataclass
class Server:
    """A running ``wutong serve``; ``url('/tasks')`` is ``http://127.0.0.1:PORT/api/v1/tasks``."""

    base: str
    process: subprocess.Popen[bytes]
    log: Path
    session: requests.Session = field(default_factory=requests.Session)

    def url(self, path: str) -> str:
        return f"{self.base}/api/v1{path}"

    def call(self, method: str, path: str, token: str | None = None, **kwargs: Any) -> requests.Response:
        headers = dict(kwargs.pop("headers", {}))
        if token is not None:
            headers["Authorization"] = f"Bearer {token}"
        return self.session.request(method, self.url(path), headers=headers, timeout=30, **kwargs)

    def log_tail(self, lines: int = 40) -> str:
        return "\n".join(self.log.read_text(errors="replace").splitlines()[-lines:])


def stop(process: subprocess.Popen[bytes]) -> None:
    """Stop a server and everything it started (gunicorn workers): its whole process group."""
    if process.poll() is not None:
        return
    try:
        os.killpg(process.pid, signal.SIGTERM)
    except ProcessLookupError:
        return
    try:
        process.wait(timeout=15)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=15)


def clean_environment(tmp_path: Path | None = None) -> dict[str, str]:
    """The test process's environment without a developer's own WUTONG_* settings; with ``tmp_path``, an
    audit key file written there (``wutong serve`` and ``worker`` refuse to start without a key)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("WUTONG_")}
    env["PYTHONUNBUFFERED"] = "1"
    if tmp_path is not None:
        key_file = tmp_path / "audit.key"
        key_file.write_text("e2e:" + os.urandom(16).hex() + "\n")
        env["WUTONG_AUDIT_KEY_FILE"] = str(key_file)
    return env


@pytest.fixture
def wutong(database_url: str, tmp_path: Path) -> Wutong:
    env = clean_environment(tmp_path)
    env["WUTONG_DATABASE_URL"] = database_url
    env["WUTONG_SECRET_KEY"] = "e2e-" + os.urandom(8).hex()
    cli = Wutong(env, tmp_path)
    cli.run("db", "upgrade")
    return cli


def launch(wutong: Wutong, directory: Path, *args: str) -> Server:
    """Start ``wutong serve`` on a free port (log in ``directory``) and wait until it answers; the caller
    stops ``server.process``. Fails the test (after stopping it) if it does not come up."""
    port = free_port()
    log = directory / f"serve-{port}.log"
    with log.open("wb") as out:
        process = subprocess.Popen(
            [str(wutong_executable()), "serve", "--host", "127.0.0.1", "--port", str(port), *args],
            env=wutong.env,
            cwd=wutong.cwd,
            stdout=out,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=True,
        )
    server = Server(f"http://127.0.0.1:{port}", process, log)
    deadline = time.monotonic() + START_TIMEOUT
    while True:
        if process.poll() is not None:
            pytest.fail(f"wutong serve exited {process.returncode}:\n{server.log_tail()}")
        try:
            if server.call("GET", "/healthz").status_code == 200:
                return server
        except requests.ConnectionError:
            pass
        if time.monotonic() > deadline:
            stop(process)
            pytest.fail(f"wutong serve did not answer /api/v1/healthz within {START_TIMEOUT}s:\n"
                        f"{server.log_tail()}")
        time.sleep(0.2)


@pytest.fixture
def serve(wutong: Wutong, tmp_path: Path) -> Iterator[Callable[..., Server]]:
    started: list[Server] = []

    def start(*args: str) -> Server:
        started.append(launch(wutong, tmp_path, *args))
        return started[-1]

    try:
        yield start
    finally:
        for server in started:
            stop(server.process)


@pytest.fixture
def server(serve: Callable[..., Server]) -> Server:
    """``wutong serve`` with Flask's development server."""
    return serve()
