"""API tokens over HTTP: expiry, revocation on deactivation, listing a user's tokens (prefix, last use
to the hour) and revoking one by id. A frozen clock moves time instead of sleeping."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import sqlalchemy as sa

from engine import FrozenClock, ProcessEngine
from engine.persistence.tables import api_tokens
from tests.api.conftest import Api, build_org
from webapi.app import create_app

START = datetime(2026, 3, 2, 1, 15, tzinfo=UTC)


@pytest.fixture
def clock() -> FrozenClock:
    return FrozenClock(START)



@pytest.fixture
def api(engine: ProcessEngine) -> Api:
    return Api(create_app({"TESTING": True}, engine=engine).test_client(), build_org(engine))


def _bearer(secret: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {secret}"}


def _issue(api: Api, user: str, **body: object) -> dict[str, object]:
    created = api.post(f"/users/{api.org.user_ids[user]}/tokens", user, json=body)
    assert created.status_code == 201, created.get_json()
    token: dict[str, object] = created.get_json()
    return token


def _last_used_writes(engine: ProcessEngine, token_id: str) -> datetime | None:
    with engine.db.transaction(write=False) as connection:
        value: datetime | None = connection.execute(
            sa.select(api_tokens.c.last_used_at).where(api_tokens.c.id == token_id)
        ).scalar_one()
        return value


def test_api_tokens_expire_after_90_days_by_default(api: Api, clock: FrozenClock) -> None:
    token = _issue(api, "staff_D1", name="laptop")
    assert token["expires_at"] == (START + timedelta(days=90)).isoformat()
    clock.advance(timedelta(days=90) - timedelta(seconds=1))
    assert api.get("/users/me", None, headers=_bearer(str(token["secret"]))).status_code == 200
    clock.advance(timedelta(seconds=1))
    refused = api.get("/users/me", None, headers=_bearer(str(token["secret"])))
    assert refused.status_code == 401
    assert refused.get_json()["code"] == "token_expired"


def test_the_token_lifetime_can_be_chosen_and_is_bounded(api: Api, clock: FrozenClock) -> None:
    token = _issue(api, "staff_D1", expires_in_days=1)
    assert token["expires_at"] == (START + timedelta(days=1)).isoformat()
    user_id = api.org.user_ids["staff_D1"]
    too_long = api.post(f"/users/{user_id}/tokens", "staff_D1", json={"expires_in_days": 3651})
    assert too_long.status_code == 422
    assert too_long.get_json()["errors"][0]["field"] == "/expires_in_days"


def test_the_default_lifetime_comes_from_the_configuration(engine: ProcessEngine) -> None:
    api = Api(create_app({"TESTING": True, "WUTONG_TOKEN_TTL_DAYS": 7}, engine=engine).test_client(),
              build_org(engine))
    assert _issue(api, "staff_D2")["expires_at"] == (START + timedelta(days=7)).isoformat()


def test_tokens_minted_by_the_engine_for_the_cli_and_demo_never_expire(api: Api, clock: FrozenClock) -> None:
    clock.advance(timedelta(days=4000))
    assert api.get("/users/me", "staff_D1").status_code == 200


def test_deactivating_a_user_revokes_their_tokens_and_reactivating_does_not_revive_them(api: Api) -> None:
    token = _issue(api, "staff_D3")
    user_id = api.org.user_ids["staff_D3"]
    assert api.patch(f"/users/{user_id}", json={"active": False}).status_code == 200
    assert api.patch(f"/users/{user_id}", json={"active": True}).status_code == 200
    for secret in (str(token["secret"]), api.org.tokens["staff_D3"]):
        assert api.get("/users/me", None, headers=_bearer(secret)).status_code == 401
    states = {t["state"] for t in api.get(f"/users/{user_id}/tokens").get_json()}
    assert states == {"revoked"}
    fresh = api.post(f"/users/{user_id}/tokens", json={}).get_json()
    assert api.get("/users/me", None, headers=_bearer(fresh["secret"])).status_code == 200


def test_a_users_tokens_are_listed_with_prefix_state_and_no_secret(api: Api, clock: FrozenClock) -> None:
    user_id = api.org.user_ids["staff_D1"]
    clock.advance(60)
    laptop = _issue(api, "staff_D1", name="laptop")
    listed = api.get(f"/users/{user_id}/tokens", "staff_D1")
    assert listed.status_code == 200
    tokens = listed.get_json()
    assert [t["name"] for t in tokens] == ["laptop", "tests"]  # newest first
    first = tokens[0]
    assert first["id"] == laptop["id"] and first["prefix"] == str(laptop["secret"])[3:11]
    assert first["state"] == "active" and first["secret"] is None
    assert set(first) >= {"id", "name", "created_at", "expires_at", "last_used_at", "prefix", "revoked_at"}


def test_tokens_from_before_prefixes_list_a_null_prefix(api: Api, engine: ProcessEngine) -> None:
    with engine.db.transaction() as connection:
        connection.execute(sa.update(api_tokens).values(prefix=None))
    tokens = api.get(f"/users/{api.org.user_ids['staff_D1']}/tokens").get_json()
    assert [t["prefix"] for t in tokens] == [None]


def test_only_admins_and_the_user_list_their_tokens(api: Api) -> None:
    user_id = api.org.user_ids["staff_D1"]
    assert api.get(f"/users/{user_id}/tokens", "staff_D2").status_code == 404
    assert api.get(f"/users/{user_id}/tokens", "supervisor_D1").status_code == 404
    assert api.get(f"/users/{user_id}/tokens", "admin").status_code == 200


def test_a_listed_token_is_revoked_by_its_id(api: Api) -> None:
    user_id = api.org.user_ids["staff_D2"]
    leaked = next(t for t in api.get(f"/users/{user_id}/tokens").get_json() if t["name"] == "tests")
    assert api.delete(f"/tokens/{leaked['id']}").status_code == 204
    assert api.get("/users/me", "staff_D2").status_code == 401
    assert api.get(f"/users/{user_id}/tokens").get_json()[0]["state"] == "revoked"


def _me(api: Api, user: str) -> int:
    """``GET /users/me`` as a server sends it: the response is closed after it went out."""
    response = api.get("/users/me", user)
    response.close()
    return response.status_code


def test_last_use_is_recorded_to_the_hour_once_an_hour(api: Api, engine: ProcessEngine, clock: FrozenClock) -> None:
    token_id = api.get(f"/users/{api.org.user_ids['staff_D1']}/tokens").get_json()[0]["id"]
    assert _last_used_writes(engine, token_id) is None
    assert _me(api, "staff_D1") == 200
    hour = START.replace(minute=0)
    assert _last_used_writes(engine, token_id) == hour
    writes = []
    original = engine.identity.record_token_use

    def counting(found: Any) -> None:
        writes.append(found)
        original(found)

    engine.identity.record_token_use = counting  # type: ignore[method-assign]
    for _ in range(5):
        assert _me(api, "staff_D1") == 200
    assert writes == []  # the same hour: no write at all
    clock.advance(timedelta(hours=1))
    assert _me(api, "staff_D1") == 200
    assert len(writes) == 1 and _last_used_writes(engine, token_id) == hour + timedelta(hours=1)
    shown = api.get(f"/users/{api.org.user_ids['staff_D1']}/tokens", "staff_D1").get_json()[0]
    assert shown["last_used_at"] == (hour + timedelta(hours=1)).isoformat()


def test_last_use_is_written_only_after_the_response(api: Api, engine: ProcessEngine) -> None:
    token_id = api.get(f"/users/{api.org.user_ids['staff_D2']}/tokens").get_json()[0]["id"]
    response = api.get("/users/me", "staff_D2")
    assert response.status_code == 200
    assert _last_used_writes(engine, token_id) is None  # the answer is out, the write not done yet
    response.close()
    assert _last_used_writes(engine, token_id) is not None
