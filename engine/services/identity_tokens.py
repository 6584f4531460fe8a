"""API tokens: minting (hashed, with a visible prefix and an optional expiry), checking, listing,
revoking, and recording their last use to the hour.

The identity service calls these inside its commands and queries; nothing here opens a transaction.
"""

from __future__ import annotations

import hashlib
import secrets
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Connection, bindparam, or_, select, update

from engine.errors import InvalidInput, Problem, Unauthenticated
from engine.persistence.tables import api_tokens, users
from engine.results import TokenView

SECRET_PREFIX = "wt_"
PREFIX_LENGTH = 8
MAX_LIFETIME = timedelta(days=3650)
TOKEN_STATES = ("active", "expired", "revoked")


@dataclass(frozen=True)
class TokenCheck:
    """Whose a presented token is, and the hour to record as its last use (None: already recorded)."""

    user_id: str
    token_id: str
    record_use_at: datetime | None
    auth_version: int = 0  # the user's, to check a cached actor against


def token_hash(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def new_secret() -> str:
    return SECRET_PREFIX + secrets.token_urlsafe(32)


def hour_of(moment: datetime) -> datetime:
    """Last use is kept to the hour: finer would tell more than an administrator needs."""
    return moment.replace(minute=0, second=0, microsecond=0)


def check_lifetime(expires_in: timedelta | None) -> None:
    if expires_in is None:
        return
    if expires_in <= timedelta(0) or expires_in > MAX_LIFETIME:
        raise InvalidInput(
            "the token's lifetime is out of range",
            problems=[Problem("range", "between 1 and 3650 days", field="/expires_in_days")],
        )


def insert_values(token_id: str, user_id: str, secret: str, name: str | None, now: datetime,
                  expires_in: timedelta | None) -> dict[str, Any]:
    return {
        "id": token_id,
        "user_id": user_id,
        "token_hash": token_hash(secret),
        "name": name,
        "created_at": now,
        "expires_at": now + expires_in if expires_in is not None else None,
        "prefix": secret[len(SECRET_PREFIX) : len(SECRET_PREFIX) + PREFIX_LENGTH],
    }


def view(row: Mapping[Any, Any], now: datetime, secret: str | None = None) -> TokenView:
    state = "active"
    if row["revoked_at"] is not None:
        state = "revoked"
    elif row["expires_at"] is not None and row["expires_at"] <= now:
        state = "expired"
    return TokenView(
        id=row["id"],
        user_id=row["user_id"],
        name=row["name"],
        created_at=row["created_at"],
        revoked_at=row["revoked_at"],
        secret=secret,
        expires_at=row["expires_at"],
        last_used_at=row["last_used_at"],
        prefix=row["prefix"],
        state=state,
    )


def tokens_of(connection: Connection, user_id: str, now: datetime) -> list[TokenView]:
    """Every token of the user, newest first, with its state."""
    rows = connection.execute(
        select(api_tokens)
        .where(api_tokens.c.user_id == user_id)
        .order_by(api_tokens.c.created_at.desc(), api_tokens.c.id)
    ).mappings()
    return [view(row, now) for row in rows]


# built once: the statement every request runs (SQLAlchemy reuses its compiled form and cache key)
_CHECK = (
    select(api_tokens.c.id, api_tokens.c.user_id, api_tokens.c.expires_at, api_tokens.c.last_used_at,
           users.c.active, users.c.auth_version)
    .join(users, api_tokens.c.user_id == users.c.id)
    .where(api_tokens.c.token_hash == bindparam("digest"), api_tokens.c.revoked_at.is_(None))
)


def check(connection: Connection, secret: str, now: datetime) -> TokenCheck:
    """The token's user; Unauthenticated when it is unknown, revoked, expired or its user inactive.

    One SELECT by the token digest's unique index."""
    row = connection.execute(_CHECK, {"digest": token_hash(secret)}).first()
    if row is None or not row.active:
        raise Unauthenticated("the token is unknown, revoked or its user inactive", code="bad_token")
    if row.expires_at is not None and row.expires_at <= now:
        raise Unauthenticated("the token has expired: ask for a new one", code="token_expired")
    hour = hour_of(now)
    due = row.last_used_at is None or row.last_used_at < hour
    return TokenCheck(row.user_id, row.id, hour if due else None, row.auth_version)


def record_use(connection: Connection, token_id: str, hour: datetime) -> bool:
    """Write the hour of last use unless this or a later hour is there already (one write an hour)."""
    changed = connection.execute(
        update(api_tokens)
        .where(api_tokens.c.id == token_id)
        .where(or_(api_tokens.c.last_used_at.is_(None), api_tokens.c.last_used_at < hour))
        .values(last_used_at=hour)
    ).rowcount
    return bool(changed)


def revoke_all(connection: Connection, user_id: str, now: datetime) -> list[str]:
    """Revoke every live token of the user; the ids revoked."""
    ids = list(
        connection.execute(
            select(api_tokens.c.id).where(api_tokens.c.user_id == user_id, api_tokens.c.revoked_at.is_(None))
        ).scalars()
    )
    if ids:
        connection.execute(update(api_tokens).where(api_tokens.c.id.in_(ids)).values(revoked_at=now))
    return sorted(ids)


def new_token_id() -> str:
    return str(uuid.uuid4())
