"""The ``wutong`` command line: database, organisation, deployments, the server and the demo.

Every command acts as the engine's ``system`` actor (an administrator) and calls the engine's
services; the rules live in the engine. Engine errors print their message and problems to
stderr and exit with status 1; usage errors exit with status 2 (click's convention).
Configuration comes from environment variables, see ``webapi.settings``.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path

import click

from engine import SYSTEM, ProcessEngine
from webapi import cli_audit, cli_identity, cli_reports, cli_serve, settings
from webapi.cli_support import WutongGroup, _safe_url, _yes, describe_error, fail, open_engine
from webapi.demo import aligned, load_demo, user_table

__all__ = ["cli", "describe_error", "main", "open_engine"]


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
        seconds = engine.refresh_statistics()  # new indexes are chosen by statistics (engine/persistence/statistics.py)
        click.echo(f"planner statistics refreshed (ANALYZE, {seconds:.2f} s)")


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

for command in (cli_identity.department, cli_identity.user, cli_identity.token, cli_serve.serve, cli_serve.worker,
                cli_audit.check, cli_audit.audit, cli_reports.report):
    cli.add_command(command)


def main(argv: Sequence[str] | None = None) -> None:
    """Console-script entry point (``wutong``)."""
    cli.main(args=list(argv) if argv is not None else None, prog_name="wutong")


if __name__ == "__main__":  # pragma: no cover
    main()
