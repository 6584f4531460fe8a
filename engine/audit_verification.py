"""Checking the stored audit chains, and the signed digests of their heads.

A digest is a JSON file in ``WUTONG_AUDIT_DIGEST_DIR`` (shared storage when several machines
run Wutong) naming every chain's newest ``seq`` and MAC, signed with the audit key. Keep it
where whoever can write the database cannot: an attacker who cuts off a chain's newest events
and rewinds its head row is still caught, because the last digest names an event that is gone.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import rfc8785
from sqlalchemy import Connection, select

from engine.audit_chain import AuditKeyring, Broken, ChainReport, format_at, verify_chain
from engine.persistence.tables import audit_chain_heads, audit_events

DIGEST_FORMAT = "wutong-audit-digest/1"
DIGEST_PREFIX = "audit-digest-"


class DigestError(ValueError):
    """A digest file that cannot be read or whose signature does not verify."""


@dataclass(frozen=True)
class Digest:
    path: Path
    created_at: str
    heads: dict[str, tuple[int, str]]


@dataclass(frozen=True)
class DigestCheck:
    """The outcome of checking the chains against the last digest."""

    file: str | None
    created_at: str | None
    valid: bool
    reason: str | None = None


def chain_events(connection: Connection, chain: str) -> Iterator[Mapping[str, Any]]:
    """A chain's events by ``seq``, streamed (a chain may be long)."""
    result = connection.execute(
        select(audit_events).where(audit_events.c.chain == chain).order_by(audit_events.c.seq, audit_events.c.id)
    ).mappings()
    for row in result:
        yield dict(row)


def chain_head(connection: Connection, chain: str) -> tuple[int, str] | None:
    row = connection.execute(
        select(audit_chain_heads.c.seq, audit_chain_heads.c.mac).where(audit_chain_heads.c.chain == chain)
    ).first()
    return (int(row.seq), str(row.mac)) if row is not None and row.mac is not None else None


def all_chains(connection: Connection, digest: Digest | None) -> list[str]:
    """Every chain that has events, a head row, or a place in the digest."""
    found = set(connection.execute(select(audit_events.c.chain).distinct()).scalars())
    found |= set(connection.execute(select(audit_chain_heads.c.chain)).scalars())
    if digest is not None:
        found |= set(digest.heads)
    return sorted(found)


def verify_stored_chain(
    connection: Connection, keyring: AuditKeyring, chain: str, digest: Digest | None
) -> ChainReport:
    return verify_chain(
        keyring,
        chain,
        chain_events(connection, chain),
        head=chain_head(connection, chain),
        digest_head=digest.heads.get(chain) if digest is not None else None,
    )


# --- digests ------------------------------------------------------------------------------------


def _signature(keyring: AuditKeyring, key_id: str, body: Mapping[str, Any]) -> str:
    secret = keyring.keys.get(key_id)
    if secret is None:
        raise DigestError(f"the digest was signed with the unknown key id {key_id}")
    return hmac.new(secret, rfc8785.dumps(dict(body)), hashlib.sha256).hexdigest()


def write_digest(connection: Connection, keyring: AuditKeyring, directory: Path, now: datetime) -> Path:
    """Sign every chain head and write it to ``directory`` (atomically: a reader never sees half a file)."""
    heads = {
        row.chain: {"seq": int(row.seq), "mac": row.mac}
        for row in connection.execute(select(audit_chain_heads).order_by(audit_chain_heads.c.chain))
        if row.mac is not None
    }
    body: dict[str, Any] = {
        "format": DIGEST_FORMAT,
        "created_at": format_at(now),
        "key_id": keyring.current_id,
        "chains": heads,
    }
    body["mac"] = _signature(keyring, keyring.current_id, body)
    directory.mkdir(parents=True, exist_ok=True)
    name = DIGEST_PREFIX + now.strftime("%Y%m%dT%H%M%S%fZ") + ".json"
    target = directory / name
    partial = directory / ("." + name + ".partial")
    partial.write_text(json.dumps(body, indent=1, sort_keys=True), encoding="utf-8")
    os.replace(partial, target)
    return target


def last_digest_file(directory: Path) -> Path | None:
    files = sorted(directory.glob(DIGEST_PREFIX + "*.json")) if directory.is_dir() else []
    return files[-1] if files else None


def digest_due(directory: Path, now: datetime, every: timedelta) -> bool:
    """True when the newest digest in ``directory`` is older than ``every`` (or there is none)."""
    last = last_digest_file(directory)
    if last is None:
        return True
    stamp = last.name.removeprefix(DIGEST_PREFIX).removesuffix(".json")
    try:
        written = datetime.strptime(stamp, "%Y%m%dT%H%M%S%fZ").replace(tzinfo=UTC)
    except ValueError:
        return True
    return now - written >= every


def read_digest(path: Path, keyring: AuditKeyring) -> Digest:
    """The digest in ``path`` after checking its signature."""
    try:
        body = json.loads(path.read_text(encoding="utf-8"))
        mac = body.pop("mac")
        if body.get("format") != DIGEST_FORMAT:
            raise DigestError(f"{path.name} is not a {DIGEST_FORMAT} file")
        expected = _signature(keyring, str(body["key_id"]), body)
        heads = {str(chain): (int(h["seq"]), str(h["mac"])) for chain, h in body["chains"].items()}
    except (OSError, ValueError, KeyError, TypeError, AttributeError) as exc:
        if isinstance(exc, DigestError):
            raise
        raise DigestError(f"{path.name} cannot be read: {exc}") from exc
    if not hmac.compare_digest(expected, str(mac)):
        raise DigestError(f"the signature of {path.name} does not verify")
    return Digest(path, str(body["created_at"]), heads)


def load_last_digest(directory: str | None, keyring: AuditKeyring) -> tuple[Digest | None, DigestCheck | None]:
    """The newest digest (None without a directory or a digest), and a failed check when it is unusable."""
    if directory is None:
        return None, None
    path = last_digest_file(Path(directory))
    if path is None:
        return None, None
    try:
        return read_digest(path, keyring), None
    except DigestError as exc:
        return None, DigestCheck(path.name, None, False, str(exc))


def broken_as_dict(broken: Broken | None) -> dict[str, Any] | None:
    if broken is None:
        return None
    return {"seq": broken.seq, "event_id": broken.event_id, "reason": broken.reason}
