"""The audit chain's rules: the key, the canonical form of an event, its MAC, and verification.

Every audit event belongs to one chain (its case's id, or ``system`` for events of no case) and
carries its place in it (``seq``, from 1), the MAC of its predecessor and its own MAC:
HMAC-SHA256, keyed by a secret that is not in the database, over the RFC 8785 (JCS) canonical
JSON of the event's content (``CANONICAL_FIELDS``). Changing, removing, inserting or reordering
an event breaks the chain at that event; cutting off the newest events is caught against the
chain's head row and the last signed digest (``engine.audit_digest``).

Pure functions only: nothing here touches the database, so an export can be checked offline.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import rfc8785

SYSTEM_CHAIN = "system"

# The content that is MACed, in the order the docs list it (JCS sorts the keys anyway).
CANONICAL_FIELDS = (
    "chain",
    "seq",
    "at",
    "actor_user_id",
    "actor_name",
    "actor_roles",
    "actor_departments",
    "acting_for",
    "action",
    "instance_id",
    "task_instance_id",
    "request_id",
    "details",
    "prev_mac",
    "key_id",
)

# I-JSON (RFC 7493) integers: JCS serialises numbers as IEEE doubles, so larger ones are kept as text.
_MAX_SAFE_INTEGER = 2**53 - 1


class AuditKeyError(ValueError):
    """The audit key setting is missing or malformed."""


@dataclass(frozen=True)
class AuditKeyring:
    """The current key (used for new events) and older keys (still verifying older events)."""

    current_id: str
    keys: Mapping[str, bytes]

    @property
    def current(self) -> bytes:
        return self.keys[self.current_id]

    @classmethod
    def parse(cls, text: str) -> AuditKeyring:
        """Keys from text, one per line: ``key-id:secret`` or a bare secret; the last line is the current key.

        A bare secret's key id is derived from it (``k`` + 16 hex digits of a SHA-256), so the same
        secret always has the same id. Lines starting with ``#`` are comments.
        """
        lines = [line.strip() for line in text.splitlines() if line.strip() and not line.strip().startswith("#")]
        if not lines:
            raise AuditKeyError("the audit key is empty")
        keys: dict[str, bytes] = {}
        current = ""
        for line in lines:
            key_id, sep, secret = line.partition(":")
            if not sep or not _is_key_id(key_id):
                key_id, secret = derived_key_id(line.encode()), line
            if not _is_key_id(key_id):
                raise AuditKeyError(f"audit key id {key_id!r}: use 1-64 letters, digits, '-', '_' or '.'")
            if len(secret.encode()) < 16:
                raise AuditKeyError(f"audit key {key_id!r} is shorter than 16 bytes")
            keys[key_id] = secret.encode()
            current = key_id
        return cls(current, keys)

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> AuditKeyring | None:
        """``WUTONG_AUDIT_KEY`` (the secret itself) or ``WUTONG_AUDIT_KEY_FILE`` (a file holding it)."""
        env = os.environ if env is None else env
        if env.get("WUTONG_AUDIT_KEY"):
            return cls.parse(env["WUTONG_AUDIT_KEY"])
        path = env.get("WUTONG_AUDIT_KEY_FILE")
        if path:
            try:
                return cls.parse(Path(path).read_text(encoding="utf-8"))
            except OSError as exc:
                raise AuditKeyError(f"WUTONG_AUDIT_KEY_FILE {path}: {exc.strerror or exc}") from exc
        return None


def _is_key_id(text: str) -> bool:
    return 0 < len(text) <= 64 and all(c.isascii() and (c.isalnum() or c in "-_.") for c in text)


def derived_key_id(secret: bytes) -> str:
    return "k" + hashlib.sha256(b"wutong-audit-key-id\x00" + secret).hexdigest()[:16]


def format_at(at: datetime) -> str:
    """UTC with microseconds, e.g. ``2026-03-02T01:02:03.000004Z``."""
    if at.tzinfo is None:
        raise ValueError("audit times are aware UTC datetimes")
    return at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def jsonable(value: Any) -> Any:
    """Details as JCS can take them: integers beyond ±(2^53-1) become decimal text."""
    if isinstance(value, bool) or value is None:
        return value
    if isinstance(value, int):
        return value if -_MAX_SAFE_INTEGER <= value <= _MAX_SAFE_INTEGER else str(value)
    if isinstance(value, Mapping):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [jsonable(v) for v in value]
    return value


def canonical(content: Mapping[str, Any]) -> bytes:
    """The RFC 8785 canonical JSON of an event's content (exactly ``CANONICAL_FIELDS``).

    Values JCS and the C ``json`` encoder write alike (``_plain``) take the encoder, about ten
    times faster than ``rfc8785`` (pure Python); anything else (floats, integers beyond 2^53,
    keys that sort differently in UTF-16, lone surrogates) goes through ``rfc8785``, so the bytes
    and the errors are those of ``rfc8785.dumps`` (tests/engine/test_audit_canonical.py).
    """
    fields = {name: content[name] for name in CANONICAL_FIELDS}
    if _plain(fields):
        try:
            return _ENCODER.encode(fields).encode("utf-8")
        except UnicodeEncodeError:  # a lone surrogate: rfc8785 reports it
            pass
    return rfc8785.dumps(fields)


# Same escapes as JCS (", \\, control characters as \\b \\f \\n \\r \\t or \\u00xx), UTF-8 text.
_ENCODER = json.JSONEncoder(ensure_ascii=False, sort_keys=True, separators=(",", ":"), allow_nan=False)


def _plain(value: Any) -> bool:
    """Whether ``value`` holds only what JCS and ``json`` serialise byte for byte alike: null,
    booleans, integers within ±(2^53-1), strings, lists/tuples, and dicts with string keys whose
    characters are all below U+D800 (there code point order is UTF-16 order)."""
    if value is None or isinstance(value, str | bool):
        return True
    if isinstance(value, int):
        return -_MAX_SAFE_INTEGER <= value <= _MAX_SAFE_INTEGER
    if isinstance(value, dict):
        for key, item in value.items():
            if not isinstance(key, str) or not (key.isascii() or max(key) < "\ud800") or not _plain(item):
                return False
        return True
    if isinstance(value, list | tuple):
        return all(_plain(item) for item in value)
    return False


def compute_mac(secret: bytes, content: Mapping[str, Any]) -> str:
    return hmac.new(secret, canonical(content), hashlib.sha256).hexdigest()


def content_of(event: Mapping[str, Any]) -> dict[str, Any]:
    """The canonical content of a stored or exported event (``at`` as a datetime or in ``format_at`` form)."""
    at = event["at"]
    return {
        "chain": event["chain"],
        "seq": int(event["seq"]),
        "at": format_at(at) if isinstance(at, datetime) else at,
        "actor_user_id": event.get("actor_user_id"),
        "actor_name": event["actor_name"],
        "actor_roles": event.get("actor_roles") or "",
        "actor_departments": event.get("actor_departments") or "",
        "acting_for": event.get("acting_for"),
        "action": event["action"],
        "instance_id": event.get("instance_id"),
        "task_instance_id": event.get("task_instance_id", event.get("task_id")),
        "request_id": event.get("request_id"),
        "details": event.get("details"),
        "prev_mac": event.get("prev_mac"),
        "key_id": event["key_id"],
    }


@dataclass(frozen=True)
class Broken:
    """Where a chain first fails to verify."""

    seq: int
    event_id: int | None
    reason: str


@dataclass(frozen=True)
class ChainReport:
    chain: str
    valid: bool
    events: int
    head_seq: int
    head_mac: str | None
    first_broken: Broken | None = None


def verify_chain(
    keyring: AuditKeyring,
    chain: str,
    events: Iterable[Mapping[str, Any]],
    *,
    head: tuple[int, str] | None = None,
    digest_head: tuple[int, str] | None = None,
    partial: bool = False,
) -> ChainReport:
    """Check one chain's events (ordered by ``seq``) against the key, its head row and the last digest.

    The first event whose place, predecessor link or MAC is wrong is reported; so is a head or
    digest that names a later event than the chain holds (newest events cut off). ``partial``
    checks a selection (a search export): each event's MAC, and the links between neighbours only.
    """
    count, expected, prev_mac = 0, 1, None
    last_mac: str | None = None
    macs: dict[int, str] = {}
    for event in events:
        count += 1
        if partial and (count == 1 or int(event["seq"]) > expected):  # a selection: start again after a gap
            expected, prev_mac = int(event["seq"]), event.get("prev_mac") or None
        broken = _check_event(keyring, chain, event, expected, prev_mac)
        if broken is not None:
            return ChainReport(chain, False, count, expected - 1, last_mac, broken)
        prev_mac = last_mac = str(event["mac"])
        macs[expected] = last_mac
        expected += 1
    last_seq = expected - 1
    for name, point in (("the chain head", head), ("the last digest", digest_head)):
        if point is None:
            continue
        seq, mac = point
        if seq > last_seq:
            reason = f"events {last_seq + 1}..{seq} are missing ({name} records seq {seq})"
            return ChainReport(chain, False, count, last_seq, last_mac, Broken(last_seq + 1, None, reason))
        if name == "the last digest" and seq >= 1 and not hmac.compare_digest(macs.get(seq, ""), mac):
            reason = f"event {seq} differs from {name}"
            return ChainReport(chain, False, count, last_seq, last_mac, Broken(seq, None, reason))
        if name == "the chain head" and seq == last_seq and mac != last_mac:
            reason = "the newest event differs from the chain head"
            return ChainReport(chain, False, count, last_seq, last_mac, Broken(seq, None, reason))
    return ChainReport(chain, True, count, last_seq, last_mac)


def _check_event(
    keyring: AuditKeyring, chain: str, event: Mapping[str, Any], expected: int, prev_mac: str | None
) -> Broken | None:
    event_id = event.get("id")
    seq = int(event["seq"])
    if event["chain"] != chain:
        return Broken(expected, event_id, f"event belongs to chain {event['chain']}")
    if seq > expected:
        return Broken(expected, event_id, f"event {expected} is missing (next stored event is {seq})")
    if seq < expected:
        return Broken(expected, event_id, f"event {seq} appears again or out of order")
    if (event.get("prev_mac") or None) != prev_mac:
        return Broken(seq, event_id, "the link to the previous event does not match")
    secret = keyring.keys.get(str(event["key_id"]))
    if secret is None:
        return Broken(seq, event_id, f"unknown key id {event['key_id']}")
    try:
        mac = compute_mac(secret, content_of(event))
    except (ValueError, TypeError, KeyError) as exc:
        return Broken(seq, event_id, f"the event cannot be put in canonical form: {exc}")
    if not hmac.compare_digest(mac, str(event["mac"])):
        return Broken(seq, event_id, "the event's content does not match its MAC")
    return None
