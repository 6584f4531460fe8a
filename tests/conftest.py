"""Test-session plumbing: run database tests on SQLite and on a throw-away PostgreSQL.

Choosing the databases: ``--db sqlite|postgres|both`` (default: env ``WUTONG_TEST_DB``,
else ``both``).

Fixtures:

* ``database_url`` - a SQLAlchemy URL (str) of a fresh, empty database, one per test.
  Tests that use it (directly or through another fixture) are parametrized over the
  selected databases, with ids ``sqlite`` and ``postgres``; the postgres ones carry the
  ``postgres`` mark. SQLite: the file ``tmp_path / "wutong.db"``. PostgreSQL: a database
  ``t_<random>`` created on the session's server and dropped (``WITH (FORCE)``) afterwards.
* ``database_backend`` - ``"sqlite"`` or ``"postgres"``: which one ``database_url`` is.
* The session sets ``WUTONG_AUDIT_KEY`` (``TEST_AUDIT_KEY``), so every engine and every
  ``wutong`` subprocess records with one known audit key.
* ``postgres_url`` (session) - the URL of the session's PostgreSQL database ``wutong_test``.
  The server (scripts/pg_test_server.py) starts on first use only, once per session, and
  stops at the end; env ``WUTONG_TEST_POSTGRES_URL`` points at an existing server instead.
  If it cannot start, the test fails when ``CI=true`` and is skipped otherwise.

Tests marked ``postgres`` are deselected under ``--db sqlite``.

Nothing here imports the engine: engine fixtures build on ``database_url``.
"""

from __future__ import annotations

import importlib.util
import os
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType

import pytest
import sqlalchemy as sa

REPO_ROOT = Path(__file__).resolve().parent.parent
DB_CHOICES = ("sqlite", "postgres", "both")
BACKENDS = ("sqlite", "postgres")


def _load_pg_test_server() -> ModuleType:
    name = "wutong_pg_test_server"
    if name in sys.modules:
        return sys.modules[name]
    spec = importlib.util.spec_from_file_location(name, REPO_ROOT / "scripts" / "pg_test_server.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--db",
        choices=DB_CHOICES,
        default=None,
        help="databases for database tests: sqlite, postgres or both (default: env WUTONG_TEST_DB, else both)",
    )


def _selected_backends(config: pytest.Config) -> tuple[str, ...]:
    choice = config.getoption("--db") or os.environ.get("WUTONG_TEST_DB") or "both"
    if choice not in DB_CHOICES:
        raise pytest.UsageError(f"WUTONG_TEST_DB={choice!r}: expected one of {', '.join(DB_CHOICES)}")
    return BACKENDS if choice == "both" else (choice,)


TEST_AUDIT_KEY = "test-key:wutong-test-audit-key-not-secret"


def pytest_configure(config: pytest.Config) -> None:
    _selected_backends(config)  # fail early on a bad WUTONG_TEST_DB
    # every engine the tests build, in process or as `wutong serve`/`worker`, records with this audit key
    os.environ["WUTONG_AUDIT_KEY"] = TEST_AUDIT_KEY
    os.environ.pop("WUTONG_AUDIT_KEY_FILE", None)
    os.environ.pop("WUTONG_AUDIT_DIGEST_DIR", None)


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    # fixturenames is the closure, so fixtures built on database_url are covered as well
    if "database_url" in metafunc.fixturenames:
        only = metafunc.definition.get_closest_marker("only_db")
        backends = [b for b in _selected_backends(metafunc.config) if only is None or b in only.args]
        params = [pytest.param(b, id=b, marks=[pytest.mark.postgres] if b == "postgres" else []) for b in backends]
        metafunc.parametrize("database_url", params, indirect=True)


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if "postgres" in _selected_backends(config):
        return
    kept, deselected = [], []
    for item in items:
        (deselected if item.get_closest_marker("postgres") else kept).append(item)
    if deselected:
        config.hook.pytest_deselected(items=deselected)
        items[:] = kept


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    external = os.environ.get("WUTONG_TEST_POSTGRES_URL")
    if external:
        yield external
        return
    reason = None
    try:
        url, stop = _load_pg_test_server().start()
    except Exception as exc:
        reason = f"PostgreSQL test server could not start: {exc}"
    if reason is not None:
        if os.environ.get("CI") == "true":
            pytest.fail(reason + " (CI=true: postgres tests are never skipped in CI)", pytrace=False)
        pytest.skip(reason)
    try:
        yield url
    finally:
        stop()


@pytest.fixture(scope="session")
def _postgres_admin(postgres_url: str) -> Iterator[sa.Engine]:
    """AUTOCOMMIT engine on the server's ``postgres`` database, for CREATE/DROP DATABASE."""
    engine = sa.create_engine(
        sa.make_url(postgres_url).set(database="postgres"),
        isolation_level="AUTOCOMMIT",
        poolclass=sa.pool.NullPool,
    )
    try:
        yield engine
    finally:
        engine.dispose()


@pytest.fixture
def database_backend(database_url: str) -> str:
    """``"sqlite"`` or ``"postgres"``: the kind of database behind ``database_url``."""
    return "sqlite" if sa.make_url(database_url).get_backend_name() == "sqlite" else "postgres"


@pytest.fixture
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    backend = request.param
    if backend == "sqlite":
        yield f"sqlite:///{tmp_path / 'wutong.db'}"
        return
    assert backend == "postgres", backend
    admin: sa.Engine = request.getfixturevalue("_postgres_admin")
    name = f"t_{uuid.uuid4().hex[:16]}"
    with admin.connect() as conn:
        conn.exec_driver_sql(f'CREATE DATABASE "{name}"')
    try:
        yield sa.make_url(admin.url).set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
