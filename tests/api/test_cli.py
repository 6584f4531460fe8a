"""The ``wutong`` command line, run in-process with click's CliRunner against a fresh database
(SQLite file and PostgreSQL, through the ``database_url`` fixture).

Checked: each command's output (only a token on stdout where a token is printed), that tokens
authenticate, and that bad input exits 1 with a clear message on stderr, no traceback, and
nothing changed in the database.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa
from click.testing import CliRunner, Result

from engine import SYSTEM, EngineConfig, ProcessEngine
from engine.persistence.tables import audit_events, case_state_rows
from tests.engine.test_planner_statistics import analyzed_tables
from webapi import settings
from webapi.cli import cli

REPO = Path(__file__).resolve().parents[2]
CORPUS = REPO / "tests" / "fixtures" / "corpus"
TOKEN = re.compile(r"^wt_[A-Za-z0-9_-]{20,}$")


class Cli:
    """Runs ``wutong ARGS`` against one database."""

    def __init__(self, database_url: str) -> None:
        self.database_url = database_url
        self.runner = CliRunner()

    def __call__(self, *args: str, env: dict[str, str] | None = None, input: str | None = None) -> Result:
        full_env: dict[str, str | None] = {"WUTONG_DATABASE_URL": self.database_url, "WUTONG_PASSWORD": None}
        full_env.update(env or {})
        return self.runner.invoke(cli, list(args), env=full_env, input=input, catch_exceptions=False)

    def ok(self, *args: str, env: dict[str, str] | None = None, input: str | None = None) -> Result:
        result = self(*args, env=env, input=input)
        assert result.exit_code == 0, (result.stdout, result.stderr)
        return result

    def fails(self, *args: str, env: dict[str, str] | None = None, input: str | None = None) -> Result:
        result = self(*args, env=env, input=input)
        assert result.exit_code == 1, (result.exit_code, result.stdout, result.stderr)
        assert "Traceback" not in result.stderr
        assert result.stderr.startswith("error: "), result.stderr
        return result


@pytest.fixture
def wutong(database_url: str) -> Cli:
    return Cli(database_url)


@pytest.fixture
def upgraded(wutong: Cli) -> Cli:
    wutong.ok("db", "upgrade")
    return wutong


@pytest.fixture
def engine(database_url: str) -> Iterator[ProcessEngine]:
    """An engine on the same database, to look at what the commands did."""
    process_engine = ProcessEngine(EngineConfig(database_url=database_url))
    yield process_engine
    process_engine.close()


@pytest.fixture
def departments(upgraded: Cli) -> Cli:
    for code in ("D1", "D2", "D3"):
        upgraded.ok("department", "add", code, "--name", f"{code} 部", "--name-en", f"Department {code}")
    return upgraded


def usernames(engine: ProcessEngine) -> list[str]:
    return [u.username for u in engine.identity.list_users(SYSTEM)]


# --- db upgrade ---------------------------------------------------------------------------------


def test_db_upgrade_creates_the_schema_and_can_repeat(wutong: Cli, engine: ProcessEngine) -> None:
    first = wutong.ok("db", "upgrade")
    assert "is at the newest schema" in first.stdout
    wutong.ok("db", "upgrade")
    assert engine.schema_is_current()


def test_db_upgrade_refreshes_the_planner_statistics(departments: Cli, engine: ProcessEngine) -> None:
    # the departments exist now; upgrading again analyzes them (plans of the list queries depend on it)
    result = departments.ok("db", "upgrade")
    assert "planner statistics refreshed (ANALYZE" in result.stdout
    assert "departments" in analyzed_tables(engine)


def test_commands_refuse_a_database_without_schema(wutong: Cli) -> None:
    result = wutong.fails("department", "add", "D1", "--name", "一部")
    assert "wutong db upgrade" in result.stderr


# --- departments --------------------------------------------------------------------------------


def test_department_add(upgraded: Cli, engine: ProcessEngine) -> None:
    result = upgraded.ok("department", "add", "D1", "--name", "一部", "--name-en", "Department 1")
    assert result.stdout == "department D1 created\n"
    [department] = engine.identity.list_departments(SYSTEM)
    assert (department.code, department.name, department.name_en) == ("D1", "一部", "Department 1")
    assert "D1" in upgraded.ok("department", "list").stdout


def test_department_add_twice_is_a_conflict(upgraded: Cli, engine: ProcessEngine) -> None:
    upgraded.ok("department", "add", "D1", "--name", "一部")
    result = upgraded.fails("department", "add", "D1", "--name", "另一部")
    assert "department 'D1' exists (department_exists)" in result.stderr
    assert [d.name for d in engine.identity.list_departments(SYSTEM)] == ["一部"]


def test_department_add_bad_code(upgraded: Cli, engine: ProcessEngine) -> None:
    result = upgraded.fails("department", "add", "D 1", "--name", " ")
    assert "/code:" in result.stderr and "/name:" in result.stderr
    assert engine.identity.list_departments(SYSTEM) == []


# --- users and tokens ---------------------------------------------------------------------------


def test_user_add_prints_only_a_token_that_authenticates(departments: Cli, engine: ProcessEngine) -> None:
    result = departments.ok(
        "user", "add", "li.na", "--department", "D1", "--department", "D2", "--role", "staff",
        "--role", "supervisor", "--display-name", "李娜",
    )
    assert TOKEN.match(result.stdout.rstrip("\n")), result.stdout
    assert result.stdout.count("\n") == 1
    actor = engine.identity.authenticate(result.stdout.strip())
    assert actor.username == "li.na"
    assert actor.roles == {"staff", "supervisor"}
    assert actor.departments == {"D1", "D2"}
    assert engine.identity.find_user("li.na").display_name == "李娜"


def test_user_add_applicant_with_company(upgraded: Cli, engine: ProcessEngine) -> None:
    result = upgraded.ok(
        "user", "add", "acme", "--company", "梧桐精密制造有限公司", "--credit-code", "91310000MA1FL0001X",
        "--role", "applicant",
    )
    actor = engine.identity.authenticate(result.stdout.strip())
    assert actor.is_applicant and actor.company_id is not None
    company = engine.identity.find_user("acme").company
    assert company is not None
    assert (company.name, company.credit_code) == ("梧桐精密制造有限公司", "91310000MA1FL0001X")


def test_user_add_password_from_the_environment(upgraded: Cli, engine: ProcessEngine) -> None:
    upgraded.ok("user", "add", "root", "--role", "admin", "--password", env={"WUTONG_PASSWORD": "s3cret-pw"})
    assert engine.identity.sign_in("root", "s3cret-pw").username == "root"


def test_user_add_password_prompted_twice_and_hidden(upgraded: Cli, engine: ProcessEngine) -> None:
    result = upgraded.ok("user", "add", "root", "--role", "admin", "--password", input="pw-1234\npw-1234\n")
    assert "pw-1234" not in result.stdout + result.stderr  # hidden input is not echoed
    assert TOKEN.match(result.stdout.strip())  # the prompts went to stderr
    assert engine.identity.sign_in("root", "pw-1234").username == "root"


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (("--department", "D9", "--role", "staff"), "/departments/0: no department 'D9'"),
        (("--department", "D1", "--role", "boss"), "/roles/0: one of designer"),
        (("--role", "staff"), "/departments: staff and supervisors need a department"),
        (("--department", "D1", "--role", "applicant", "--company", "ACME"), "/departments:"),
        (("--role", "applicant"), "/company: applicants need a company"),
        (("--role", "admin", "--company", "ACME"), "/company: only applicants belong to a company"),
        ((), "/roles: at least one role is required"),
    ],
    ids=["unknown-department", "unknown-role", "staff-without-department", "applicant-in-department",
         "applicant-without-company", "company-for-staff", "no-role"],
)
def test_user_add_bad_input_exits_1_and_changes_nothing(
    departments: Cli, engine: ProcessEngine, args: tuple[str, ...], expected: str
) -> None:
    result = departments.fails("user", "add", "someone", *args)
    assert result.stdout == ""
    assert expected in result.stderr, result.stderr
    assert usernames(engine) == []


def test_user_add_existing_username_is_a_conflict(departments: Cli, engine: ProcessEngine) -> None:
    departments.ok("user", "add", "wang", "--department", "D1", "--role", "staff")
    result = departments.fails("user", "add", "wang", "--department", "D2", "--role", "supervisor")
    assert "user 'wang' exists" in result.stderr
    assert engine.identity.find_user("wang").departments == ("D1",)


def test_token_prints_a_new_token_each_time(departments: Cli, engine: ProcessEngine) -> None:
    departments.ok("user", "add", "wang", "--department", "D1", "--role", "staff")
    first = departments.ok("token", "wang").stdout
    second = departments.ok("token", "wang", "--name", "nightly-script").stdout
    assert TOKEN.match(first.strip()) and TOKEN.match(second.strip())
    assert first != second
    assert engine.identity.authenticate(first.strip()).username == "wang"
    assert engine.identity.authenticate(second.strip()).username == "wang"


def test_token_for_an_unknown_user(upgraded: Cli) -> None:
    result = upgraded.fails("token", "nobody")
    assert result.stdout == ""
    assert "user 'nobody' does not exist" in result.stderr


# --- deploy -------------------------------------------------------------------------------------


def deploy_rows(output: str) -> dict[str, tuple[str, str]]:
    """``KEY VERSION CREATED NAME`` rows of ``wutong deploy`` as key -> (version, created)."""
    lines = output.splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith("KEY"))
    return {parts[0]: (parts[1], parts[2]) for parts in (line.split() for line in lines[start + 1:])}


def test_deploy_prints_versions_and_whether_created(
    departments: Cli, engine: ProcessEngine, tmp_path: Path
) -> None:
    parallel = CORPUS / "parallel.bpmn"
    first = departments.ok("deploy", str(parallel), str(CORPUS / "business_rule.bpmn"),
                           str(CORPUS / "business_rule.dmn"))
    assert first.stdout.startswith("deployment ")
    assert deploy_rows(first.stdout) == {"parallel": ("1", "yes"), "business_rule": ("1", "yes")}

    again = departments.ok("deploy", str(parallel))
    assert again.stdout.startswith("nothing new")
    assert deploy_rows(again.stdout) == {"parallel": ("1", "no")}

    changed = tmp_path / "parallel.bpmn"
    changed.write_text(parallel.read_text().replace('name="Final decision"', 'name="Final say"'))
    third = departments.ok("deploy", str(changed))
    assert deploy_rows(third.stdout) == {"parallel": ("2", "yes")}
    versions = sorted((d.key, d.version) for d in engine.repository.list_definitions(SYSTEM))
    assert versions == [("business_rule", 1), ("parallel", 1), ("parallel", 2)]


def test_deploy_bad_model_reports_file_line_and_element(upgraded: Cli, engine: ProcessEngine) -> None:
    # no departments exist, so the lanes D1..D3 map to nothing
    result = upgraded.fails("deploy", str(CORPUS / "parallel.bpmn"))
    assert "error: the upload has 3 problems (invalid_model)" in result.stderr
    assert re.search(r"parallel\.bpmn:\d+ \[lane_d2\]: lane 'D2' names no department", result.stderr)
    assert engine.repository.list_definitions(SYSTEM) == []


def test_deploy_broken_xml(departments: Cli, engine: ProcessEngine, tmp_path: Path) -> None:
    broken = tmp_path / "broken.bpmn"
    broken.write_text('<?xml version="1.0"?>\n<bpmn:definitions xmlns:bpmn="x">\n<unclosed>\n')
    result = departments.fails("deploy", str(broken))
    assert "broken.bpmn:" in result.stderr
    assert engine.repository.list_definitions(SYSTEM) == []


def test_deploy_two_files_with_one_name(departments: Cli, tmp_path: Path) -> None:
    (tmp_path / "x").mkdir()
    copy = tmp_path / "x" / "parallel.bpmn"
    copy.write_bytes((CORPUS / "parallel.bpmn").read_bytes())
    result = departments.fails("deploy", str(CORPUS / "parallel.bpmn"), str(copy))
    assert "two files are named parallel.bpmn" in result.stderr


def test_deploy_a_missing_file_is_a_usage_error(upgraded: Cli, tmp_path: Path) -> None:
    result = upgraded("deploy", str(tmp_path / "nothere.bpmn"))
    assert result.exit_code == 2
    assert "does not exist" in result.stderr


# --- check --------------------------------------------------------------------------------------


def test_check_rebuilds_running_cases(departments: Cli, engine: ProcessEngine, database_url: str) -> None:
    departments.ok("deploy", str(CORPUS / "parallel.bpmn"))
    departments.ok("user", "add", "wang", "--department", "D1", "--role", "staff")
    wang = engine.identity.authenticate(departments.ok("token", "wang").stdout.strip())
    first = engine.runtime.start(wang, "parallel")
    second = engine.runtime.start(wang, "parallel")

    result = departments.ok("check", "--verbose")
    assert "checked 2 running cases: 2 OK, 0 failed" in result.stdout
    assert first.id in result.stdout and second.id in result.stdout

    with sa.create_engine(database_url, poolclass=sa.pool.NullPool).begin() as connection:
        connection.execute(
            sa.update(case_state_rows)
            .where(case_state_rows.c.instance_id == second.id)
            .values(content="{broken")
        )
    broken = departments("check")
    assert broken.exit_code == 1
    assert f"FAILED {second.number} {second.id}" in broken.stdout
    assert "checked 2 running cases: 1 OK, 1 failed" in broken.stdout


def test_check_verifies_every_audit_chain(departments: Cli, database_url: str) -> None:
    assert "0 broken" in departments.ok("check").stdout
    with sa.create_engine(database_url, poolclass=sa.pool.NullPool).begin() as connection:
        if connection.dialect.name == "sqlite":
            connection.exec_driver_sql("DROP TRIGGER audit_events_no_update")
        else:
            connection.exec_driver_sql("DROP TRIGGER audit_events_no_change ON audit_events")
        connection.execute(sa.update(audit_events).where(audit_events.c.seq == 2).values(action="forged"))
    broken = departments("check")
    assert broken.exit_code == 1
    assert "BROKEN audit chain system at seq 2" in broken.stdout
    assert departments("audit", "verify").exit_code == 1


def test_audit_digest_writes_a_signed_digest_that_check_reads(departments: Cli, tmp_path: Path) -> None:
    env = {"WUTONG_AUDIT_DIGEST_DIR": str(tmp_path / "digests")}
    written = departments.ok("audit", "digest", env=env)
    [digest] = list((tmp_path / "digests").glob("audit-digest-*.json"))
    assert str(digest) in written.stdout
    assert f"last audit digest {digest.name}: verified" in departments.ok("check", env=env).stdout


def test_audit_digest_without_a_directory_says_which_setting_is_missing(departments: Cli) -> None:
    assert "WUTONG_AUDIT_DIGEST_DIR" in departments.fails("audit", "digest").stderr


def test_db_upgrade_refuses_a_malformed_audit_key(wutong: Cli) -> None:
    result = wutong.fails("db", "upgrade", env={"WUTONG_AUDIT_KEY": "short"})
    assert "audit key" in result.stderr and "16 bytes" in result.stderr


# --- demo ---------------------------------------------------------------------------------------


def test_demo_load_is_idempotent_and_prints_fresh_tokens(upgraded: Cli, engine: ProcessEngine) -> None:
    import bpmn

    demo = bpmn.demo_data()
    first = upgraded.ok("demo", "load")
    second = upgraded.ok("demo", "load")
    assert f"departments: 0 created, {len(demo['departments'])} already there" in second.stdout
    assert f"users: 0 created, {len(demo['users'])} already there" in second.stdout
    assert "(new version)" not in second.stdout

    def tokens(output: str) -> dict[str, str]:
        rows = [line.split() for line in output.splitlines() if line.strip()]
        return {row[0]: row[-1] for row in rows if TOKEN.match(row[-1])}

    first_tokens, second_tokens = tokens(first.stdout), tokens(second.stdout)
    assert set(first_tokens) == {u["username"] for u in demo["users"]} == set(second_tokens)
    for username, secret in second_tokens.items():
        assert secret != first_tokens[username]
        assert engine.identity.authenticate(secret).username == username
    assert sorted(usernames(engine)) == sorted(u["username"] for u in demo["users"])
    shipped = {d.key for d in engine.repository.list_definitions(SYSTEM, latest=True)}
    assert shipped and all(d.version == 1 for d in engine.repository.list_definitions(SYSTEM))


def test_demo_load_refuses_bad_demo_data(upgraded: Cli, engine: ProcessEngine,
                                        monkeypatch: pytest.MonkeyPatch) -> None:
    import bpmn

    data = {"departments": [{"code": "D1", "name": "一部"}], "users": [{"username": "", "roles": ["staff"]}]}
    monkeypatch.setattr(bpmn, "demo_data", lambda: data)
    monkeypatch.setattr(bpmn, "process_files", dict)
    result = upgraded.fails("demo", "load")
    assert "/users/0/username: username must be a non-empty string" in result.stderr
    assert usernames(engine) == []
    assert engine.identity.list_departments(SYSTEM) == []  # checked before anything was created


# --- configuration ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("variable", "value", "expected"),
    [
        ("WUTONG_SANDBOX_MAX_STEPS", "lots", "WUTONG_SANDBOX_MAX_STEPS='lots' is not a whole number"),
        ("WUTONG_SANDBOX_MAX_SECONDS", "-1", "WUTONG_SANDBOX_MAX_SECONDS='-1' must be greater than 0"),
        ("WUTONG_MAX_UPLOAD_BYTES", "", "WUTONG_MAX_UPLOAD_BYTES='' is not a whole number"),
        ("WUTONG_SQLITE_SYNCHRONOUS", "FULL; DROP",
         "WUTONG_SQLITE_SYNCHRONOUS='FULL; DROP': expected one of OFF, NORMAL, FULL, EXTRA"),
        ("WUTONG_CACHE_CASES", "yes", "WUTONG_CACHE_CASES='yes': expected 0 or 1"),
        ("WUTONG_TIME_ZONE", "Mars/Olympus", "WUTONG_TIME_ZONE='Mars/Olympus' is not a time zone"),
        ("WUTONG_CLOSE_OF_BUSINESS", "6pm", "WUTONG_CLOSE_OF_BUSINESS='6pm' is not a time HH:MM"),
    ],
)
def test_bad_configuration_is_reported(tmp_path: Path, variable: str, value: str, expected: str) -> None:
    wutong = Cli(f"sqlite:///{tmp_path / 'wutong.db'}")
    result = wutong.fails("db", "upgrade", env={variable: value})
    assert f"error: configuration: {expected}" in result.stderr
    assert not (tmp_path / "wutong.db").exists()


def test_unreachable_database_is_reported_without_its_password(tmp_path: Path) -> None:
    wutong = Cli("postgresql+psycopg://wutong:hunter2@127.0.0.1:1/wutong")
    result = wutong.fails("db", "upgrade")
    assert "cannot use the database postgresql+psycopg://wutong:***@127.0.0.1:1/wutong" in result.stderr
    assert "hunter2" not in result.stderr


def test_malformed_database_url_is_reported() -> None:
    result = Cli("not a url").fails("db", "upgrade")
    assert "WUTONG_DATABASE_URL is not a usable database URL" in result.stderr


def test_every_setting_is_documented() -> None:
    operations = (REPO / "docs" / "operations.md").read_text()
    for variable in settings.VARIABLES:
        assert f"`{variable.name}`" in operations, variable.name
        assert variable.name in (settings.__doc__ or ""), variable.name
