"""The web application's sign-in: session cookie, CSRF token, lock-out, expiry, sign-out, own password."""

from __future__ import annotations

from datetime import timedelta

import pytest
from flask.testing import FlaskClient

from engine import SYSTEM, ProcessEngine
from engine.clock import FrozenClock
from engine.persistence.tables import users
from tests.api.conftest import V1, Org, build_org
from webapi.app import create_app

PASSWORD = "correct horse 1"


@pytest.fixture
def clock() -> FrozenClock:
    return FrozenClock()



@pytest.fixture
def org(engine: ProcessEngine) -> Org:
    org = build_org(engine)
    for name in ("staff_D1", "admin"):
        engine.identity.update_user(SYSTEM, org.user_ids[name], password=PASSWORD)
    return org


@pytest.fixture
def client(engine: ProcessEngine, org: Org) -> FlaskClient:
    return create_app({"TESTING": True}, engine=engine).test_client()


def sign_in(client: FlaskClient, username: str = "staff_D1", password: str = PASSWORD) -> str:
    response = client.post(f"{V1}/session", json={"username": username, "password": password})
    assert response.status_code == 201, response.get_json()
    token: str = response.get_json()["csrf_token"]
    return token


def test_sign_in_sets_an_httponly_samesite_lax_cookie_and_answers_the_csrf_token(client: FlaskClient) -> None:
    response = client.post(f"{V1}/session", json={"username": "staff_D1", "password": PASSWORD})
    assert response.status_code == 201
    cookie = response.headers["Set-Cookie"]
    assert cookie.startswith("wutong_session=")
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie and "Secure" not in cookie
    body = response.get_json()
    assert body["user"]["username"] == "staff_D1" and len(body["csrf_token"]) >= 32


def test_the_cookie_is_secure_over_https(client: FlaskClient) -> None:
    response = client.post(f"{V1}/session", json={"username": "staff_D1", "password": PASSWORD},
                           base_url="https://localhost")
    assert "Secure" in response.headers["Set-Cookie"]


def test_the_session_cookie_reads_the_api_like_a_token(client: FlaskClient) -> None:
    sign_in(client)
    assert client.get(f"{V1}/tasks").status_code == 200
    assert client.get(f"{V1}/users/me").get_json()["username"] == "staff_D1"


def test_a_state_changing_request_with_the_cookie_needs_the_csrf_token(client: FlaskClient) -> None:
    csrf = sign_in(client)
    refused = client.delete(f"{V1}/session")
    assert refused.status_code == 403 and refused.get_json()["code"] == "csrf_failed"
    wrong = client.post(f"{V1}/users/me/password", json={"current_password": PASSWORD, "new_password": "x" * 9},
                        headers={"X-CSRF-Token": "forged"})
    assert wrong.status_code == 403 and wrong.get_json()["code"] == "csrf_failed"
    assert client.get(f"{V1}/session").status_code == 200  # still signed in, password unchanged
    assert client.delete(f"{V1}/session", headers={"X-CSRF-Token": csrf}).status_code == 204


def test_get_session_answers_the_csrf_token_again(client: FlaskClient) -> None:
    csrf = sign_in(client)
    assert client.get(f"{V1}/session").get_json()["csrf_token"] == csrf


def test_a_wrong_password_is_401_bad_credentials(client: FlaskClient) -> None:
    response = client.post(f"{V1}/session", json={"username": "staff_D1", "password": "nope"})
    assert response.status_code == 401 and response.get_json()["code"] == "bad_credentials"
    assert "Set-Cookie" not in response.headers and "Retry-After" not in response.headers


def test_an_unknown_user_answers_like_a_wrong_password(client: FlaskClient) -> None:
    response = client.post(f"{V1}/session", json={"username": "nobody", "password": "nope"})
    assert response.status_code == 401 and response.get_json()["code"] == "bad_credentials"


def fail(client: FlaskClient, times: int, username: str = "staff_D1") -> None:
    for _ in range(times):
        client.post(f"{V1}/session", json={"username": username, "password": "wrong"})


def test_five_failures_lock_the_username_for_fifteen_minutes(client: FlaskClient, clock: FrozenClock) -> None:
    fail(client, 5)
    locked = client.post(f"{V1}/session", json={"username": "staff_D1", "password": PASSWORD})
    assert locked.status_code == 401 and locked.get_json()["code"] == "bad_credentials"
    assert int(locked.headers["Retry-After"]) == 15 * 60
    clock.advance(timedelta(minutes=15))
    assert client.post(f"{V1}/session", json={"username": "staff_D1", "password": PASSWORD}).status_code == 201


def test_failures_spread_over_more_than_fifteen_minutes_do_not_lock(client: FlaskClient, clock: FrozenClock) -> None:
    fail(client, 4)
    clock.advance(timedelta(minutes=16))
    fail(client, 4)
    assert client.post(f"{V1}/session", json={"username": "staff_D1", "password": PASSWORD}).status_code == 201


def test_an_admin_unlocks_a_locked_user(client: FlaskClient, org: Org) -> None:
    fail(client, 5)
    unlock = client.post(f"{V1}/users/{org.user_ids['staff_D1']}/unlock", headers=org.headers("admin"))
    assert unlock.status_code == 204
    assert client.post(f"{V1}/session", json={"username": "staff_D1", "password": PASSWORD}).status_code == 201


def test_only_admins_unlock(client: FlaskClient, org: Org) -> None:
    response = client.post(f"{V1}/users/{org.user_ids['staff_D1']}/unlock", headers=org.headers("staff_D2"))
    assert response.status_code == 403


def test_sign_out_ends_the_session_server_side(client: FlaskClient) -> None:
    csrf = sign_in(client)
    cookie = client.get_cookie("wutong_session")
    assert cookie is not None
    assert client.delete(f"{V1}/session", headers={"X-CSRF-Token": csrf}).status_code == 204
    client.set_cookie("wutong_session", cookie.value)  # a copy of the old cookie no longer works
    response = client.get(f"{V1}/tasks")
    assert response.status_code == 401 and response.get_json()["code"] == "session_expired"


def test_a_session_expires_after_eight_idle_hours(client: FlaskClient, clock: FrozenClock) -> None:
    sign_in(client)
    clock.advance(timedelta(hours=7, minutes=59))
    assert client.get(f"{V1}/tasks").status_code == 200
    clock.advance(timedelta(hours=7, minutes=59))  # used 7:59 ago: still alive
    assert client.get(f"{V1}/tasks").status_code == 200
    clock.advance(timedelta(hours=8))
    assert client.get(f"{V1}/tasks").status_code == 401


def test_a_session_ends_after_seven_days_however_busy(client: FlaskClient, clock: FrozenClock) -> None:
    sign_in(client)
    for _ in range(7 * 24 // 6):
        clock.advance(timedelta(hours=6))
        response = client.get(f"{V1}/session")
    assert response.status_code == 401 and response.get_json()["code"] == "session_expired"


def test_users_change_their_own_password_and_other_sessions_end(client: FlaskClient, engine: ProcessEngine,
                                                              org: Org) -> None:
    other = create_app({"TESTING": True}, engine=engine).test_client()
    sign_in(other)
    csrf = sign_in(client)
    changed = client.post(f"{V1}/users/me/password", headers={"X-CSRF-Token": csrf},
                          json={"current_password": PASSWORD, "new_password": "a new secret"})
    assert changed.status_code == 204
    assert client.get(f"{V1}/tasks").status_code == 200
    assert other.get(f"{V1}/tasks").status_code == 401
    assert client.post(f"{V1}/session", json={"username": "staff_D1", "password": PASSWORD}).status_code == 401
    assert client.post(f"{V1}/session", json={"username": "staff_D1", "password": "a new secret"}).status_code == 201


def test_changing_the_password_needs_the_current_one(client: FlaskClient, org: Org) -> None:
    response = client.post(f"{V1}/users/me/password", headers=org.headers("staff_D1"),
                           json={"current_password": "wrong", "new_password": "a new secret"})
    assert response.status_code == 422
    assert response.get_json()["errors"][0]["field"] == "/current_password"


def test_a_new_password_shorter_than_eight_characters_is_refused(client: FlaskClient, org: Org) -> None:
    response = client.post(f"{V1}/users/me/password", headers=org.headers("staff_D1"),
                           json={"current_password": PASSWORD, "new_password": "short"})
    assert response.status_code == 422
    assert response.get_json()["errors"][0]["field"] == "/new_password"


def test_a_hash_of_an_older_scheme_is_rehashed_at_the_next_sign_in(client: FlaskClient, engine: ProcessEngine,
                                                                   org: Org) -> None:
    import hashlib

    salt = b"0123456789abcdef"
    old = hashlib.scrypt(PASSWORD.encode(), salt=salt, n=2**12, r=8, p=1, dklen=32)
    user_id = org.user_ids["staff_D1"]
    stored = f"scrypt${2**12}$8$1${salt.hex()}${old.hex()}"
    with engine.db.transaction() as connection:
        connection.execute(users.update().where(users.c.id == user_id).values(password_hash=stored))
    sign_in(client)
    with engine.db.transaction(write=False) as connection:
        now = connection.execute(users.select().where(users.c.id == user_id)).mappings().one()["password_hash"]
    assert now != stored and now.startswith("scrypt$16384$8$1$")


def test_every_response_carries_the_security_headers(client: FlaskClient) -> None:
    for path in (f"{V1}/healthz", f"{V1}/tasks", "/api/docs/"):
        response = client.get(path)
        csp = response.headers["Content-Security-Policy"]
        assert "frame-ancestors 'none'" in csp and "script-src 'self'" in csp and "unsafe-inline" not in csp
        assert response.headers["X-Content-Type-Options"] == "nosniff"


def test_demo_users_sign_in_with_the_printed_password(client: FlaskClient, engine: ProcessEngine) -> None:
    from webapi.demo import load_demo, user_table

    data = {"password": "demo-password", "departments": [{"code": "W", "name": "水务"}],
            "users": [{"username": "w.staff", "roles": ["staff"], "departments": ["W"]}]}
    result = load_demo(engine, data, {})
    assert "demo-password" in user_table(result.users)[1]
    load_demo(engine, data, {})  # loading again keeps the password usable
    assert client.post(f"{V1}/session", json={"username": "w.staff", "password": "demo-password"}).status_code == 201


def test_admins_see_who_is_locked_out_until_unlocked(client: FlaskClient, org: Org) -> None:
    fail(client, 5)
    fail(client, 2, username="staff_D2")  # failures without a lock are not listed
    fail(client, 5, username="nobody")  # a name no user has is locked all the same
    locks = client.get(f"{V1}/sign-in-locks", headers=org.headers("admin")).get_json()
    assert [(lock["username"], lock["user_id"]) for lock in locks] == [
        ("nobody", None), ("staff_D1", org.user_ids["staff_D1"])]  # the same release time: by name
    assert all(lock["locked_until"] for lock in locks)
    client.post(f"{V1}/users/{org.user_ids['staff_D1']}/unlock", headers=org.headers("admin"))
    locks = client.get(f"{V1}/sign-in-locks", headers=org.headers("admin")).get_json()
    assert [lock["username"] for lock in locks] == ["nobody"]


def test_only_admins_see_sign_in_locks(client: FlaskClient, org: Org) -> None:
    response = client.get(f"{V1}/sign-in-locks", headers=org.headers("staff_D2"))
    assert response.status_code == 403
