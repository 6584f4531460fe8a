"""Browser fixtures: Debian's chromium driven by Playwright against a real ``wutong serve`` and
``wutong worker`` on 127.0.0.1 with a fresh SQLite database holding the demo organisation.

* ``demo_template`` - once per session: a SQLite database after ``wutong db upgrade`` and ``wutong demo
  load``, with its audit key, secret key and the printed tokens. Each site gets a copy of it (the
  ``sqlite3`` backup API), so every test starts from the same fresh demo without paying for the load.
* ``wutong`` - (overrides e2e's) the CLI on the test's own copy of the demo database.
* ``site`` - the running server and worker on that copy: its base URL and the demo tokens.
* ``shared_site`` - the same, once per module: a module whose tests do not disturb each other
  overrides ``site`` with a module-scoped fixture that returns it (see test_admin.py).
* ``journey`` - a browser page that fails the test on any console error or failed request, except
  the 4xx answers the test declares with ``journey.expect(method, path, status)``, and saves a
  screenshot of the last page to tests/browser/artifacts/<test>.png, pass or fail.

Never ``playwright install``: chromium comes from apt (scripts/bootstrap.sh installs it for make test).
"""

from __future__ import annotations

import os
import re
import shutil
import sqlite3
import subprocess
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from tests.e2e.conftest import (  # noqa: F401 - fixtures
    Server,
    Wutong,
    clean_environment,
    launch,
    serve,
    stop,
    wutong_executable,
)

pytestmark = pytest.mark.only_db("sqlite")
ARTIFACTS = Path(__file__).resolve().parent / "artifacts"
DEMO_PASSWORD = "wutong-demo"
CHROMIUM_ARGS = ["--disable-background-networking", "--disable-component-update", "--no-sandbox"]
TOKEN = re.compile(r"^wt_[A-Za-z0-9_-]+$")


expect_timeout = 15_000  # ms; two cores shared with other test runs


def chromium_path() -> str | None:
    return os.environ.get("WUTONG_CHROMIUM") or shutil.which("chromium")


@dataclass
class Site:
    server: Server
    tokens: dict[str, str]
    cli: Wutong  # ``wutong`` on this site's database

    @property
    def base(self) -> str:
        return self.server.base

    def api(self, method: str, path: str, as_: str, **kwargs: Any) -> Any:
        response = self.server.call(method, path, self.tokens[as_], **kwargs)
        assert response.status_code < 400, (response.status_code, response.text)
        return response.json() if response.content else None


@dataclass(frozen=True)
class DemoTemplate:
    """A demo database made once: copies of it share its keys and tokens."""

    database: Path
    env: dict[str, str]
    tokens: dict[str, str]

    def copy_into(self, directory: Path) -> Wutong:
        """The CLI on a copy of the demo database in ``directory`` (same audit key and secret key)."""
        target = directory / "wutong.db"
        with sqlite3.connect(self.database) as source, sqlite3.connect(target) as copy:
            source.backup(copy)
        env = dict(self.env)
        env["WUTONG_DATABASE_URL"] = f"sqlite:///{target}"
        return Wutong(env, directory)


def printed_tokens(out: str) -> dict[str, str]:
    """username -> token from ``wutong demo load``'s table (the token is each row's last cell)."""
    tokens = {}
    for line in out.splitlines():
        cells = line.split()
        if cells and TOKEN.match(cells[-1]):
            tokens[cells[0]] = cells[-1]
    return tokens


@pytest.fixture(scope="session")
def demo_template(tmp_path_factory: pytest.TempPathFactory) -> DemoTemplate:
    directory = tmp_path_factory.mktemp("demo-template")
    env = clean_environment(directory)
    env["WUTONG_DATABASE_URL"] = f"sqlite:///{directory / 'wutong.db'}"
    env["WUTONG_SECRET_KEY"] = "browser-" + os.urandom(8).hex()
    cli = Wutong(env, directory)
    cli.run("db", "upgrade")
    tokens = printed_tokens(cli.run("demo", "load").stdout)
    assert tokens, "wutong demo load printed no tokens"
    return DemoTemplate(directory / "wutong.db", env, tokens)


@pytest.fixture
def wutong(demo_template: DemoTemplate, tmp_path: Path) -> Wutong:  # overrides e2e's
    return demo_template.copy_into(tmp_path)


@contextmanager
def running_site(cli: Wutong, start: Callable[[], Server], directory: Path, tokens: dict[str, str]) -> Iterator[Site]:
    """The server ``start`` starts and a worker on ``cli``'s demo database, until the block ends."""
    server = start()
    with (directory / "worker.log").open("wb") as log:
        worker = subprocess.Popen(
            [str(wutong_executable()), "worker", "--poll", "0.5"], env=cli.env, cwd=cli.cwd,
            stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, start_new_session=True,
        )
    try:
        yield Site(server, dict(tokens), cli)
    finally:
        stop(worker)


@pytest.fixture
def site(wutong: Wutong, serve: Callable[..., Server], tmp_path: Path,  # noqa: F811
         demo_template: DemoTemplate) -> Iterator[Site]:
    with running_site(wutong, serve, tmp_path, demo_template.tokens) as running:
        yield running


@pytest.fixture(scope="module")
def shared_site(tmp_path_factory: pytest.TempPathFactory, demo_template: DemoTemplate) -> Iterator[Site]:
    """One site for a whole module (its own copy of the demo database), for modules whose tests do not
    disturb each other; such a module overrides ``site`` with it (see test_admin.py)."""
    directory = tmp_path_factory.mktemp("site")
    cli = demo_template.copy_into(directory)
    started: list[Server] = []

    def start() -> Server:
        started.append(launch(cli, directory))
        return started[-1]

    try:
        with running_site(cli, start, directory, demo_template.tokens) as running:
            yield running
    finally:
        for server in started:
            stop(server.process)


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    executable = chromium_path()
    if executable is None:
        pytest.skip("Debian's chromium is not installed (make test installs it with apt-get)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        from playwright.sync_api import expect

        expect.set_options(timeout=expect_timeout)
        launched = playwright.chromium.launch(executable_path=executable, headless=True, args=CHROMIUM_ARGS)
        yield launched
        launched.close()


@dataclass
class Journey:
    """A page that collects every console error and failed request; declared 4xx answers are allowed."""

    page: Any
    base: str
    problems: list[str] = field(default_factory=list)
    expected: list[tuple[str, re.Pattern[str], int]] = field(default_factory=list)

    def expect(self, method: str, path: str, status: int) -> None:
        """Declare a 4xx answer this journey provokes on purpose (``path`` is a regular expression)."""
        self.expected.append((method, re.compile(path), status))

    def goto(self, path: str) -> None:
        self.page.goto(self.base + path)

    def sign_in(self, username: str, password: str = DEMO_PASSWORD) -> None:
        self.goto("/")
        self.page.get_by_label(re.compile("用户名|Username")).fill(username)
        self.page.get_by_label(re.compile("密码|Password")).fill(password)
        self.page.get_by_role("button", name=re.compile("^(登录|Sign in)$")).click()

    def sign_out(self) -> None:
        self.page.get_by_role("button", name=re.compile("退出登录|Sign out")).click()
        self.page.get_by_role("heading", name=re.compile("^(登录|Sign in)$")).wait_for()

    def _response(self, response: Any) -> None:
        if response.status < 400:
            return
        path = response.url.removeprefix(self.base).split("?")[0]
        method = response.request.method
        for m, pattern, status in self.expected:
            if m == method and pattern.fullmatch(path) and status == response.status:
                return
        self.problems.append(f"unexpected {response.status} for {method} {path}")

    def _failed(self, request: Any) -> None:
        if request.failure != "net::ERR_ABORTED":  # a fetch cut short by a navigation is no failure
            self.problems.append(f"request failed: {request.method} {request.url} {request.failure}")

    def _console(self, message: Any) -> None:
        if message.type == "error" and "Failed to load resource" not in message.text:
            self.problems.append(f"console error: {message.text}")


@pytest.fixture
def journey(browser: Any, site: Site, request: pytest.FixtureRequest) -> Iterator[Journey]:
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="zh-CN",
                                  timezone_id="Asia/Shanghai")
    page = context.new_page()
    page.set_default_timeout(15000)
    trip = Journey(page, site.base)
    page.on("console", trip._console)
    page.on("pageerror", lambda error: trip.problems.append(f"page error: {error}"))
    page.on("requestfailed", trip._failed)
    page.on("response", trip._response)
    try:
        yield trip
    finally:
        ARTIFACTS.mkdir(exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / f"{request.node.name}.png"), full_page=True)
        context.close()
    assert trip.problems == [], trip.problems
