"""``wutong token``: minting with an optional expiry, listing a user's tokens and revoking one by id."""

from __future__ import annotations

from datetime import timedelta

import pytest

from engine import SYSTEM, ProcessEngine, Unauthenticated
from tests.api.test_cli import TOKEN, Cli, departments, engine, upgraded, wutong

__all__ = ["departments", "engine", "upgraded", "wutong"]  # fixtures used below


@pytest.fixture
def staff(departments: Cli) -> str:
    return departments.ok("user", "add", "li.na", "--department", "D1", "--role", "staff").stdout.strip()


def test_cli_tokens_never_expire_unless_asked(staff: str, departments: Cli, engine: ProcessEngine) -> None:
    user_id = engine.identity.find_user("li.na").id
    assert [t.expires_at for t in engine.identity.list_tokens(SYSTEM, user_id)] == [None]
    secret = departments.ok("token", "li.na", "--expires-in", "30").stdout.strip()
    assert TOKEN.match(secret)
    newest = engine.identity.list_tokens(SYSTEM, user_id)[0]
    assert newest.expires_at is not None
    assert newest.expires_at - newest.created_at == timedelta(days=30)


def test_token_create_is_the_long_form_of_token_username(staff: str, departments: Cli) -> None:
    assert TOKEN.match(departments.ok("token", "create", "li.na", "--name", "script").stdout.strip())


def test_token_list_shows_prefix_state_and_expiry_but_no_secret(staff: str, departments: Cli) -> None:
    departments.ok("token", "li.na", "--expires-in", "7", "--name", "weekly")
    listed = departments.ok("token", "list", "li.na").stdout
    lines = listed.splitlines()
    assert lines[0].split()[:4] == ["ID", "PREFIX", "NAME", "STATE"]
    assert len(lines) == 3
    assert staff[3:11] in listed and staff not in listed
    assert "weekly" in lines[1] and "never" in lines[2]


def test_token_revoke_by_listed_id(staff: str, departments: Cli, engine: ProcessEngine) -> None:
    token_id = departments.ok("token", "list", "li.na").stdout.splitlines()[1].split()[0]
    assert departments.ok("token", "revoke", token_id).stdout.strip() == f"token {token_id} revoked"
    with pytest.raises(Unauthenticated):
        engine.identity.authenticate(staff)
    assert " revoked " in departments.ok("token", "list", "li.na").stdout


def test_token_revoke_of_an_unknown_id_fails(upgraded: Cli) -> None:
    result = upgraded.fails("token", "revoke", "00000000-0000-0000-0000-000000000000")
    assert "token_not_found" in result.stderr


def test_token_list_of_an_unknown_user_fails(upgraded: Cli) -> None:
    assert "user_not_found" in upgraded.fails("token", "list", "nobody").stderr
