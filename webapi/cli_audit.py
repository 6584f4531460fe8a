"""``wutong check`` (the reload check and the audit chains) and ``wutong audit`` (verify, digest)."""

from __future__ import annotations

from pathlib import Path

import click

from engine import SYSTEM, ProcessEngine
from webapi import settings
from webapi.cli_support import fail, open_engine


@click.command()
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


@click.group()
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
