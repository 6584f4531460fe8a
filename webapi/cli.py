"""The ``wutong`` command line: database, organisation, deployments, the server and the demo.

Every command acts as the engine's ``system`` actor (an administrator) and calls the engine's
services; the rules live in the engine. Engine errors print their message and problems to
stderr and exit with status 1; usage errors exit with status 2 (click's convention).
Configuration comes from environment variables, see ``webapi.settings``.
"""

from __future__ import annotations

import atexit
import contextlib
import logging
import os
import shutil
import signal
import tempfile
import threading
from collections.abc import Callable, Iterator, Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn

import click

from engine import SYSTEM, EngineError, ProcessEngine, Unavailable
from engine.config import redacted_url
from engine.errors import Problem
from engine.worker import Worker
from webapi import cli_reports, settings
from webapi.demo import aligned, load_demo, user_table

if TYPE_CHECKING:
    from flask import Flask


# --- plumbing ----------------------------------------------------------------------------------


def _safe_url(url: str) -> str:
    return redacted_url(url)


def _where(problem: Problem) -> str:
    parts: list[str] = []
    if problem.file:
        parts.append(f"{problem.file}:{problem.line}" if problem.line is not None else problem.file)
    if problem.element_id:
        parts.append(f"[{problem.element_id}]")
    if problem.field is not None:
        parts.append(problem.field or "/")
    return " ".join(parts)


def describe_error(error: EngineError) -> list[str]:
    """An engine error as lines for the terminal: the message, then one line per problem."""
    lines = [f"error: {error.message} ({error.code})"]
    for problem in error.problems:
        where = _where(problem)
        lines.append(f"  {where + ': ' if where else ''}{problem.message} ({problem.code})")
    return lines


def fail(message: str) -> NoReturn:
    """Print ``error: message`` to stderr and exit 1."""
    click.echo(f"error: {message}", err=True)
    raise click.exceptions.Exit(1)


class WutongGroup(click.Group):
    """The top-level group: turns expected failures into a message on stderr and exit status 1."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except Unavailable as error:
            if error.code == "database_url_invalid":
                fail(f"WUTONG_DATABASE_URL is not a usable database URL: {error.message}")
            if error.code == "database_config_invalid":
                fail(f"configuration: {error.message}")
            fail(error.message)
        except EngineError as error:
            for line in describe_error(error):
                click.echo(line, err=True)
            ctx.exit(1)
        except settings.SettingsError as error:
            fail(f"configuration: {error}")


@contextlib.contextmanager
def open_engine(*, require_schema: bool = True) -> Iterator[ProcessEngine]:
    """A ProcessEngine configured from the environment, closed afterwards.

    With ``require_schema`` the database must be at the newest migration: commands other than
    ``db upgrade`` would otherwise fail on missing tables.
    """
    engine = ProcessEngine(settings.engine_config())
    try:
        if require_schema and not engine.schema_is_current():
            fail(
                f"the database {_safe_url(engine.config.database_url)} is not at the newest schema: "
                "run `wutong db upgrade` first"
            )
        yield engine
    finally:
        engine.close()


def _yes(flag: bool) -> str:
    return "yes" if flag else "no"


def _when(moment: datetime | None, never: str = "-") -> str:
    return moment.isoformat(timespec="minutes") if moment is not None else never


def _lifetime(days: int | None) -> timedelta | None:
    return timedelta(days=days) if days is not None else None


EXPIRES_IN = click.option(
    "--expires-in",
    "expires_in",
    type=click.IntRange(1, 3650),
    default=None,
    metavar="DAYS",
    help="The token expires after DAYS days (default: never).",
)


# --- the commands ------------------------------------------------------------------------------


@click.group(cls=WutongGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="wutong", prog_name="wutong")
def cli() -> None:
    """Wutong: a BPMN workflow engine for work that crosses departments.

    Configuration comes from environment variables (WUTONG_DATABASE_URL, ...; see
    docs/operations.md). Commands act as the built-in administrator `system`.
    """


@cli.group()
def db() -> None:
    """The database schema."""


@db.command("upgrade")
def db_upgrade() -> None:
    """Create the tables or migrate them to the newest schema (safe to repeat)."""
    with open_engine(require_schema=False) as engine:
        engine.upgrade_schema()
        click.echo(f"database {_safe_url(engine.config.database_url)} is at the newest schema")


@cli.group()
def department() -> None:
    """Departments (the units that lanes name and tasks go to)."""


@department.command("add")
@click.argument("code")
@click.option("--name", required=True, help="The department's name (e.g. in Chinese).")
@click.option("--name-en", default=None, help="The department's English name.")
def department_add(code: str, name: str, name_en: str | None) -> None:
    """Create the department CODE."""
    with open_engine() as engine:
        created = engine.identity.create_department(SYSTEM, code, name, name_en)
        click.echo(f"department {created.code} created")


@department.command("list")
def department_list() -> None:
    """List the departments."""
    with open_engine() as engine:
        rows = [("CODE", "NAME", "NAME_EN")]
        rows += [(d.code, d.name, d.name_en or "") for d in engine.identity.list_departments(SYSTEM)]
        for line in aligned(rows):
            click.echo(line.rstrip())


@cli.group()
def user() -> None:
    """Users: staff of departments, or applicants of a company."""


def _read_password() -> str:
    from_env = settings.cli_password()
    if from_env is not None:
        return from_env
    password: str = click.prompt("Password", hide_input=True, confirmation_prompt=True, err=True)
    return password


@user.command("add")
@click.argument("username")
@click.option(
    "--department", "departments", multiple=True, metavar="CODE", help="A department the user works in (repeatable)."
)
@click.option(
    "--role",
    "roles",
    multiple=True,
    metavar="ROLE",
    help="designer, staff, supervisor, auditor, leader, admin, applicant or bridge (repeatable).",
)
@click.option("--display-name", default=None, help="The name shown to others (default: USERNAME).")
@click.option("--company", default=None, help="The applicant's company (applicants only).")
@click.option("--credit-code", default=None, help="The company's unified social credit code.")
@click.option(
    "--password",
    "with_password",
    is_flag=True,
    help="Set a password: prompted twice (hidden), or taken from WUTONG_PASSWORD.",
)
@click.option("--phone", default=None, help="Phone number, for SMS notifications.")
@click.option("--email", default=None, help="E-mail address, for e-mail notifications.")
@click.option(
    "--notify-via", default=None, type=click.Choice(["sms", "email", "dingtalk"]), help="How a bridge reaches them."
)
@EXPIRES_IN
def user_add(
    username: str,
    departments: tuple[str, ...],
    roles: tuple[str, ...],
    display_name: str | None,
    company: str | None,
    credit_code: str | None,
    with_password: bool,
    phone: str | None,
    email: str | None,
    notify_via: str | None,
    expires_in: int | None,
) -> None:
    """Create the user USERNAME and print a new API token for them (only the token, on stdout)."""
    with open_engine() as engine:
        password = _read_password() if with_password else None
        created = engine.identity.create_user(
            SYSTEM,
            username,
            display_name=display_name,
            roles=roles,
            departments_=departments,
            company=company,
            credit_code=credit_code,
            password=password,
            phone=phone,
            email=email,
            notify_via=notify_via,
        )
        token = engine.identity.create_token(SYSTEM, created.id, "cli", expires_in=_lifetime(expires_in))
        assert token.secret is not None
        click.echo(f"user {created.username} created ({', '.join(created.roles)})", err=True)
        click.echo(token.secret)


@user.command("list")
def user_list() -> None:
    """List the users with their roles and departments or company."""
    with open_engine() as engine:
        rows = [("USERNAME", "NAME", "ROLES", "DEPARTMENTS / COMPANY", "ACTIVE")]
        for u in engine.identity.list_users(SYSTEM):
            where = u.company.name if u.company else ",".join(u.departments) or "-"
            rows.append((u.username, u.display_name, ",".join(u.roles), where, _yes(u.active)))
        for line in aligned(rows):
            click.echo(line)


class TokenGroup(click.Group):
    """``wutong token USERNAME`` still mints a token: a first word that is no subcommand means ``create``."""

    def resolve_command(
        self, ctx: click.Context, args: list[str]
    ) -> tuple[str | None, click.Command | None, list[str]]:
        if args and args[0] not in self.commands and not args[0].startswith("-"):
            return "create", self.commands["create"], args
        return super().resolve_command(ctx, args)


@cli.group(cls=TokenGroup)
def token() -> None:
    """API tokens: `token USERNAME` (or `token create USERNAME`) prints a new one; `token list
    USERNAME` shows a user's tokens; `token revoke ID` revokes one."""


@token.command("create")
@click.argument("username")
@click.option("--name", default=None, help="A label for the token (e.g. the script that uses it).")
@EXPIRES_IN
def token_create(username: str, name: str | None, expires_in: int | None) -> None:
    """Print a new API token for USERNAME (only the token, on stdout)."""
    with open_engine() as engine:
        found = engine.identity.find_user(username)
        created = engine.identity.create_token(SYSTEM, found.id, name, expires_in=_lifetime(expires_in))
        assert created.secret is not None
        click.echo(created.secret)


@token.command("list")
@click.argument("username")
def token_list(username: str) -> None:
    """List USERNAME's tokens, newest first (never the secrets)."""
    with open_engine() as engine:
        found = engine.identity.find_user(username)
        rows = [("ID", "PREFIX", "NAME", "STATE", "CREATED", "EXPIRES", "LAST USED")]
        rows += [
            (
                t.id,
                t.prefix or "-",
                t.name or "-",
                t.state,
                _when(t.created_at),
                _when(t.expires_at, "never"),
                _when(t.last_used_at),
            )
            for t in engine.identity.list_tokens(SYSTEM, found.id)
        ]
        for line in aligned(rows):
            click.echo(line.rstrip())


@token.command("revoke")
@click.argument("token_id", metavar="ID", type=click.UUID)
def token_revoke(token_id: Any) -> None:
    """Revoke the token ID (see `token list`)."""
    with open_engine() as engine:
        engine.identity.revoke_token(SYSTEM, str(token_id))
        click.echo(f"token {token_id} revoked")


def _read_files(paths: Sequence[Path]) -> dict[str, bytes]:
    files: dict[str, bytes] = {}
    for path in paths:
        if path.name in files:
            fail(f"two files are named {path.name}: a deployment names each file once")
        files[path.name] = path.read_bytes()
    return files


@cli.command()
@click.argument(
    "files", nargs=-1, required=True, type=click.Path(exists=True, dir_okay=False, readable=True, path_type=Path)
)
def deploy(files: tuple[Path, ...]) -> None:
    """Deploy BPMN, DMN and JSON form FILES together as one deployment.

    Prints each process with its version and whether this deployment created that version
    (an unchanged process keeps its version).
    """
    with open_engine() as engine:
        result = engine.repository.deploy(SYSTEM, _read_files(files))
        if result.created:
            click.echo(f"deployment {result.id}")
        else:
            click.echo("nothing new: every process is unchanged")
        rows = [("KEY", "VERSION", "CREATED", "NAME")]
        rows += [(p.key, str(p.version), _yes(p.created), p.name or "") for p in result.processes]
        for line in aligned(rows):
            click.echo(line.rstrip())


def _app_factory() -> Callable[[], Flask]:
    """Check the configuration now; build the engine and the app when called (per worker)."""
    config = settings.engine_config()
    flask_config = settings.flask_config()

    def factory() -> Flask:
        from webapi.app import create_app

        return create_app(flask_config, engine=ProcessEngine(config))

    return factory


def _bind(host: str, port: int) -> str:
    return f"[{host}]:{port}" if ":" in host and not host.startswith("[") else f"{host}:{port}"


def _metrics_directory() -> None:
    """Set up prometheus-client's multiprocess mode before any worker starts: every worker writes
    its counters to files in ``PROMETHEUS_MULTIPROC_DIR`` and a scrape of any worker sums them.
    An operator's directory is emptied of the last run's files; otherwise a private one is made."""
    given = os.environ.get("PROMETHEUS_MULTIPROC_DIR")
    if given:
        Path(given).mkdir(parents=True, exist_ok=True)
        for stale in Path(given).glob("*.db"):
            stale.unlink()
        return
    directory = tempfile.mkdtemp(prefix="wutong-metrics-")
    os.environ["PROMETHEUS_MULTIPROC_DIR"] = directory
    master = os.getpid()

    def remove() -> None:  # forked workers run atexit handlers too: only the master removes it
        if os.getpid() == master:
            shutil.rmtree(directory, ignore_errors=True)

    atexit.register(remove)


def _worker_exited(_server: Any, worker: Any) -> None:
    """gunicorn's child_exit hook: drop the dead worker's live gauges (its counters stay summed)."""
    from prometheus_client import multiprocess

    multiprocess.mark_process_dead(worker.pid)  # type: ignore[no-untyped-call]


def _gunicorn(factory: Callable[[], Flask], options: dict[str, Any]) -> None:
    from gunicorn.app.base import BaseApplication  # type: ignore[import-untyped]

    class Server(BaseApplication):  # type: ignore[misc]
        def load_config(self) -> None:
            for key, value in options.items():
                self.cfg.set(key, value)

        def load(self) -> Flask:
            return factory()

    Server().run()


@cli.command()
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option("--port", default=5000, show_default=True, type=click.IntRange(1, 65535), help="Port to listen on.")
@click.option(
    "--workers",
    default=1,
    show_default=True,
    type=click.IntRange(1, 64),
    help="gunicorn worker processes (several need PostgreSQL to scale: SQLite serialises writers).",
)
@click.option(
    "--threads",
    default=4,
    show_default=True,
    type=click.IntRange(1, 256),
    help="Threads per worker (gunicorn's gthread worker class; keep-alive connections need threads).",
)
@click.option(
    "--keepalive",
    default=5,
    show_default=True,
    type=click.IntRange(0, 300),
    help="Seconds an idle keep-alive connection stays open.",
)
@click.option(
    "--timeout",
    default=60,
    show_default=True,
    type=click.IntRange(1),
    help="Seconds before a silent worker is restarted.",
)
@click.option("--dev", is_flag=True, help="Flask's development server instead of gunicorn (development only).")
def serve(host: str, port: int, workers: int, threads: int, keepalive: int, timeout: int, dev: bool) -> None:
    """Serve the API and pages with gunicorn (gthread workers), or Flask's development server with --dev."""
    settings.require_audit_key()
    with open_engine():
        pass  # fail early (settings, reachable database, current schema) before binding the port
    factory = _app_factory()
    base = f"http://{_bind(host, port)}"
    how = "Flask's development server" if dev else f"gunicorn, {workers} workers x {threads} threads"
    click.echo(f"Wutong ({how}): API {base}/api/v1, interactive docs {base}/api/docs", err=True)
    if dev:
        factory().run(host=host, port=port, debug=False, use_reloader=False, threaded=True)
        return
    _metrics_directory()
    _gunicorn(
        factory,
        {
            "bind": _bind(host, port),
            "workers": workers,
            "worker_class": "gthread",
            "threads": threads,
            "keepalive": keepalive,
            "timeout": timeout,
            "graceful_timeout": 10,
            "accesslog": "-",
            "errorlog": "-",
            "proc_name": "wutong",
            # gunicorn's control socket lives at one path per user ($HOME/.gunicorn/gunicorn.ctl):
            # two servers (or a server and the tests) would fight over it; Wutong does not use it.
            "control_socket_disable": True,
            "child_exit": _worker_exited,
        },
    )


@cli.command()
@click.option(
    "--poll",
    default=0.25,
    show_default=True,
    type=click.FloatRange(0.01, 60),
    help="Longest sleep between looks for due work, in seconds.",
)
@click.option("--once", is_flag=True, help="Fire what is due now, then exit.")
def worker(poll: float, once: bool) -> None:
    """Fire due timers and escalate overdue tasks; run it beside `wutong serve` (several may run)."""
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    settings.require_audit_key()
    with open_engine() as engine:
        runner = Worker(engine, poll_seconds=poll)
        if once:
            done = runner.run_once()
            click.echo(f"fired {done.fired} timers, raised {done.escalated} escalations")
            return
        stop = threading.Event()
        for signum in (signal.SIGTERM, signal.SIGINT):
            signal.signal(signum, lambda *_: stop.set())
        click.echo(f"Wutong worker: looking for due work at least every {poll} s", err=True)
        runner.run_forever(stop)


@cli.group()
def demo() -> None:
    """The demo organisation and the shipped processes."""


@demo.command("seed")
@click.option("--cases", type=click.IntRange(1, 1_000_000), required=True, help="How many cases to start.")
@click.option("--year", type=click.IntRange(2000, 2100), default=2019, show_default=True,
              help="The year the cases are spread over (on an injected clock).")
@click.option("--seed", "seed_value", type=int, default=2019, show_default=True, help="The random seed.")
def demo_seed(cases: int, year: int, seed_value: int) -> None:
    """Load the demo organisation, then drive CASES enterprise problems through the engine over YEAR:
    referrals, on-time and late work, ratings, reopens; the last weeks' cases stay open."""
    import bpmn
    from engine import FrozenClock
    from webapi.demo_seed import seed

    with open_engine() as engine:
        load_demo(engine, bpmn.demo_data(), bpmn.process_files())
    clock = FrozenClock(datetime(year, 1, 1, tzinfo=UTC))
    engine = ProcessEngine(settings.engine_config(), clock=clock)
    try:
        result = seed(engine, clock, cases=cases, year=year, seed_value=seed_value)
    finally:
        engine.close()
    click.echo(f"seeded {result.cases} cases in {year}: {result.commands} commands in {result.seconds:.1f} s "
               f"({result.commands / max(result.seconds, 1e-9):.0f} commands/s)")


@demo.command("load")
def demo_load() -> None:
    """Create the demo departments and users (keeping existing ones), deploy the shipped
    processes and print every demo user with a fresh token."""
    import bpmn

    with open_engine() as engine:
        result = load_demo(engine, bpmn.demo_data(), bpmn.process_files())
        created, kept = result.departments_created, result.departments_kept
        click.echo(f"departments: {len(created)} created, {len(kept)} already there")
        new_users = sum(1 for u in result.users if u.created)
        click.echo(f"users: {new_users} created, {len(result.users) - new_users} already there")
        if result.deployment is None:
            click.echo("processes: none shipped")
        else:
            for p in result.deployment.processes:
                state = "new version" if p.created else "unchanged"
                click.echo(f"process {p.key} version {p.version} ({state})")
        click.echo("")
        click.echo("Demo users: sign in to the web application with the password, or call the API with the new token")
        click.echo("(send it as 'Authorization: Bearer TOKEN'):")
        for line in user_table(result.users):
            click.echo(line)


@cli.command()
@click.option("-v", "--verbose", is_flag=True, help="Print every case checked, not only failures.")
def check(verbose: bool) -> None:
    """The reload check: rebuild every running case from the database alone.

    Exits 1 when any case cannot be rebuilt; the engine would fail to continue those cases.
    """
    from engine.consistency import stored_document

    with open_engine() as engine:
        cases: list[tuple[str, str]] = []
        for state in ("running", "error"):
            page = 1
            while True:
                found = engine.runtime.list(SYSTEM, state=state, page=page, page_size=200, sort="number")
                cases += [(case.id, case.number) for case in found.items]
                if page * 200 >= found.total or not found.items:
                    break
                page += 1
        failed = 0
        for instance_id, number in cases:
            try:
                stored_document(engine, instance_id)
            except Exception as error:  # any failure to rebuild is what this check reports
                failed += 1
                click.echo(f"FAILED {number} {instance_id}: {type(error).__name__}: {error}")
                continue
            if verbose:
                click.echo(f"ok     {number} {instance_id}")
        click.echo(f"checked {len(cases)} running cases: {len(cases) - failed} OK, {failed} failed")
        chains_ok = _report_chains(engine)
        if failed or not chains_ok:
            raise click.exceptions.Exit(1)


def _report_chains(engine: ProcessEngine) -> bool:
    """Print the audit chain check (every chain and the last digest); True when all verify."""
    result = engine.history.verify_all(SYSTEM)
    for chain in result.broken:
        broken = chain.first_broken or {}
        click.echo(
            f"BROKEN audit chain {chain.chain} at seq {broken.get('seq')} "
            f"(event {broken.get('event_id')}): {broken.get('reason')}"
        )
    if result.digest is not None:
        state = "verified" if result.digest["valid"] else f"FAILED: {result.digest['reason']}"
        click.echo(f"last audit digest {result.digest['file']}: {state}")
    click.echo(f"checked {result.chains} audit chains ({result.events} events): {len(result.broken)} broken")
    return result.valid


@cli.group()
def audit() -> None:
    """The tamper-evident audit trail: verify the chains, write digests, check exports offline."""


@audit.command("verify")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path), required=False)
@click.option("--partial", is_flag=True, help="The export holds a selection (a search): allow gaps between events.")
def audit_verify(file: Path | None, partial: bool) -> None:
    """Check an exported history FILE (CSV or JSON) with the audit key, offline; without FILE,
    check every chain in the database and the last digest. Exits 1 when anything fails."""
    if file is None:
        with open_engine() as engine:
            if not _report_chains(engine):
                raise click.exceptions.Exit(1)
        return
    from webapi.exports import ExportError, read_export, verify_export

    keyring = settings.require_audit_key()
    try:
        events = read_export(file.read_bytes())
    except ExportError as error:
        fail(f"{file}: {error}")
    reports = verify_export(keyring, events, partial=partial)
    for report in reports:
        if report.first_broken is not None:
            b = report.first_broken
            click.echo(f"BROKEN chain {report.chain} at seq {b.seq} (event {b.event_id}): {b.reason}")
    broken = sum(1 for r in reports if not r.valid)
    click.echo(f"{file}: {len(events)} events in {len(reports)} chains, {broken} broken")
    if broken:
        raise click.exceptions.Exit(1)


@audit.command("digest")
def audit_digest() -> None:
    """Write a signed digest of every chain head to WUTONG_AUDIT_DIGEST_DIR."""
    settings.require_audit_key()
    with open_engine() as engine:
        path = engine.history.write_digest(SYSTEM)
        click.echo(f"audit digest written: {path}")


cli.add_command(cli_reports.report)


def main(argv: Sequence[str] | None = None) -> None:
    """Console-script entry point (``wutong``)."""
    cli.main(args=list(argv) if argv is not None else None, prog_name="wutong")


if __name__ == "__main__":  # pragma: no cover
    main()
