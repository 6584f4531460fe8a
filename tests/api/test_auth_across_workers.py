"""A second worker's cached actor never outlives a change made through the first (issue 13).

Each ``ProcessEngine`` keeps its own actor cache (engine/services/actor_cache.py), as each gunicorn
worker process does: here two engines and two apps on one database stand for two workers. Worker B
signs the user in first (its cache then holds the actor); worker A revokes, deactivates or changes
roles or departments; B's very next request must see it.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from flask.testing import FlaskClient

from engine import ProcessEngine
from tests.api.conftest import V1, Api, make_engine
from webapi.app import create_app


@pytest.fixture
def other_worker(database_url: str, engine: ProcessEngine) -> Iterator[FlaskClient]:
    second = make_engine(database_url)
    try:
        yield create_app({"TESTING": True}, engine=second).test_client()
    finally:
        second.close()


def _me(client: FlaskClient, api: Api, user: str) -> tuple[int, dict[str, object]]:
    response = client.get(f"{V1}/users/me", headers=api.org.headers(user))
    return response.status_code, response.get_json()


def test_a_token_revoked_in_one_worker_is_refused_by_another_at_once(api: Api, other_worker: FlaskClient) -> None:
    assert _me(other_worker, api, "staff_D1")[0] == 200
    listed = api.get(f"/users/{api.org.user_ids['staff_D1']}/tokens").get_json()
    for token in listed:
        assert api.delete(f"/tokens/{token['id']}").status_code == 204
    assert _me(other_worker, api, "staff_D1")[0] == 401


def test_a_user_deactivated_in_one_worker_is_refused_by_another_at_once(api: Api, other_worker: FlaskClient) -> None:
    assert _me(other_worker, api, "staff_D2")[0] == 200
    assert api.patch(f"/users/{api.org.user_ids['staff_D2']}", json={"active": False}).status_code == 200
    assert _me(other_worker, api, "staff_D2")[0] == 401


def test_roles_changed_in_one_worker_apply_in_another_at_once(api: Api, other_worker: FlaskClient) -> None:
    status, me = _me(other_worker, api, "staff_D1")
    assert status == 200 and me["roles"] == ["staff"]
    assert other_worker.get(f"{V1}/users", headers=api.org.headers("staff_D1")).status_code in (403, 404)
    assert api.patch(f"/users/{api.org.user_ids['staff_D1']}", json={"roles": ["admin"]}).status_code == 200
    assert _me(other_worker, api, "staff_D1")[1]["roles"] == ["admin"]
    assert other_worker.get(f"{V1}/users", headers=api.org.headers("staff_D1")).status_code == 200
    assert api.patch(f"/users/{api.org.user_ids['staff_D1']}", json={"roles": ["staff"]}).status_code == 200
    assert other_worker.get(f"{V1}/users", headers=api.org.headers("staff_D1")).status_code in (403, 404)


def test_departments_changed_in_one_worker_apply_in_another_at_once(api: Api, other_worker: FlaskClient) -> None:
    assert _me(other_worker, api, "staff_D1")[1]["departments"] == ["D1"]
    assert api.patch(f"/users/{api.org.user_ids['staff_D1']}", json={"departments": ["D2"]}).status_code == 200
    assert _me(other_worker, api, "staff_D1")[1]["departments"] == ["D2"]
