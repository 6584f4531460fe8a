"""The plumbing every endpoint shares: tokens, health, the spec and docs page, pagination, sorting,
the app factory, and the catch-all for genuine bugs."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from flask import Flask
from flask_smorest import Blueprint

from engine import EngineConfig, ProcessEngine
from tests.api.conftest import PROBLEM_JSON, Api, corpus
from webapi.app import create_app
from webapi.blueprints.common import RoleBlueprint


def test_healthz_needs_no_token_and_reports_ok(api: Api) -> None:
    for path in ("/api/v1/healthz", "/healthz"):
        response = api.client.get(path)
        assert response.status_code == 200
        assert response.get_json() == {"status": "ok", "database": "ok", "migrations": "current"}


def test_healthz_is_503_when_migrations_are_not_current(tmp_path: Path) -> None:
    engine = ProcessEngine(EngineConfig(database_url=f"sqlite:///{tmp_path / 'empty.db'}"))
    response = create_app(engine=engine).test_client().get("/api/v1/healthz")
    engine.close()
    assert response.status_code == 503
    assert response.mimetype == PROBLEM_JSON
    assert response.get_json()["code"] == "migrations_pending"


def test_livez_answers_without_the_database() -> None:
    engine = ProcessEngine(EngineConfig(database_url="postgresql+psycopg://nobody:secret@127.0.0.1:1/none"))
    client = create_app(engine=engine).test_client()
    answers = [client.get(path) for path in ("/api/v1/livez", "/livez")]
    engine.close()
    assert [(r.status_code, r.get_json()) for r in answers] == [(200, {"status": "ok"})] * 2


def test_healthz_is_503_when_the_database_is_unreachable() -> None:
    engine = ProcessEngine(EngineConfig(database_url="postgresql+psycopg://nobody:secret@127.0.0.1:1/none"))
    response = create_app(engine=engine).test_client().get("/healthz")
    engine.close()
    assert response.status_code == 503
    assert response.get_json()["code"] == "database_unreachable"
    assert "secret" not in response.get_data(as_text=True)


def test_create_app_builds_its_engine_from_the_database_url(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'own.db'}"
    app = create_app({"WUTONG_DATABASE_URL": url})
    engine = app.extensions["wutong"]
    assert isinstance(engine, ProcessEngine)
    assert engine.config.database_url == url
    engine.close()


def test_spec_and_docs_need_no_token(api: Api) -> None:
    assert api.client.get("/api/v1/openapi.json").status_code == 200
    page = api.client.get("/api/docs")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "/api/docs/assets/swagger-ui-bundle.js" in html and "/api/docs/init.js" in html
    assert "//cdn" not in html and "https://" not in html and "<script>" not in html  # the CSP allows no inline script
    assert "/api/v1/openapi.json" in api.client.get("/api/docs/init.js").get_data(as_text=True)
    for name in ("swagger-ui.css", "swagger-ui-bundle.js", "swagger-ui-standalone-preset.js"):
        asset = api.client.get(f"/api/docs/assets/{name}")
        assert asset.status_code == 200 and len(asset.data) > 1000
    assert api.client.get("/api/docs/assets/package.json").status_code == 404


def test_docs_page_says_how_to_install_when_node_modules_is_missing(app: Flask, tmp_path: Path) -> None:
    app.config["WUTONG_SWAGGER_UI_DIR"] = str(tmp_path / "nothing")
    response = app.test_client().get("/api/docs")
    assert response.status_code == 503
    text = response.get_data(as_text=True)
    assert "make run" in text and "npm install" in text


def test_a_revoked_token_no_longer_works(api: Api) -> None:
    user_id = api.org.user_ids["staff_D1"]
    created = api.post(f"/users/{user_id}/tokens", "staff_D1", json={"name": "laptop"})
    assert created.status_code == 201
    token = created.get_json()
    assert token["secret"].startswith("wt_") and token["user_id"] == user_id
    headers = {"Authorization": f"Bearer {token['secret']}"}
    assert api.get("/users/me", None, headers=headers).get_json()["username"] == "staff_D1"
    assert api.delete(f"/tokens/{token['id']}", "staff_D1").status_code == 204
    refused = api.get("/users/me", None, headers=headers)
    assert refused.status_code == 401
    assert refused.headers["WWW-Authenticate"].startswith("Bearer")


def test_an_inactive_users_token_no_longer_works(api: Api) -> None:
    user_id = api.org.user_ids["staff_D2"]
    patched = api.patch(f"/users/{user_id}", json={"active": False, "display_name": "Gone"})
    assert patched.status_code == 200 and patched.get_json()["active"] is False
    assert api.get("/users/me", "staff_D2").status_code == 401


def test_lists_are_paginated_with_the_x_pagination_header(api: Api) -> None:
    for code in ("E1", "E2", "E3", "E4"):
        assert api.post("/departments", json={"code": code, "name": f"name {code}"}).status_code == 201
    response = api.get("/departments", query_string={"page": 2, "page_size": 3, "sort": "-code"})
    assert response.status_code == 200
    assert [d["code"] for d in response.get_json()] == ["E1", "D3", "D2"]
    assert json.loads(response.headers["X-Pagination"]) == {
        "total": 7, "total_pages": 3, "first_page": 1, "last_page": 3, "page": 2, "previous_page": 1, "next_page": 3
    }


def test_the_pagination_metadata_is_flask_smorests() -> None:
    """The blueprints build X-Pagination without flask-smorest's per-request schema: same numbers."""
    for total in (0, 1, 49, 50, 51, 101, 10_000):
        for page in (1, 2, 3, 300):
            for page_size in (1, 20, 50):
                ours = RoleBlueprint._make_pagination_metadata(page, page_size, total)
                assert ours == Blueprint._make_pagination_metadata(page, page_size, total), (page, page_size, total)


def test_task_list_is_newest_first_and_sorts_on_request(api: Api) -> None:
    assert api.deploy(corpus("parallel.bpmn")).status_code == 201
    first = api.start("parallel", business_key="first")
    second = api.start("parallel", business_key="second")
    newest = api.get("/tasks", "staff_D1").get_json()
    assert [t["id"] for t in newest] == [second["open_tasks"][0]["id"], first["open_tasks"][0]["id"]]
    oldest = api.get("/tasks", "staff_D1", query_string={"sort": "created_at", "page_size": 1})
    assert [t["id"] for t in oldest.get_json()] == [first["open_tasks"][0]["id"]]
    assert json.loads(oldest.headers["X-Pagination"])["total"] == 2


def test_nul_characters_inside_case_data_round_trip(api: Api) -> None:
    assert api.deploy(corpus("parallel.bpmn")).status_code == 201
    case = api.start("parallel", variables={"note": "a\u0000b", "k\u0000": [1, {"x": None}]})
    again = api.get(f"/process-instances/{case['id']}").get_json()
    assert again["variables"]["note"] == "a\u0000b" and again["variables"]["k\u0000"] == [1, {"x": None}]


def test_a_genuine_bug_is_a_logged_500_problem(api: Api, monkeypatch: pytest.MonkeyPatch,
                                               caplog: pytest.LogCaptureFixture) -> None:
    def broken(*_: object, **__: object) -> None:
        raise RuntimeError("boom")

    monkeypatch.setattr(api.client.application.extensions["wutong"].identity, "list_departments", broken)
    response = api.get("/departments")
    assert response.status_code == 500
    assert response.mimetype == PROBLEM_JSON
    assert response.get_json()["code"] == "internal_error"
    assert "boom" not in response.get_data(as_text=True)
    assert any("boom" in str(r.exc_info[1]) for r in caplog.records if r.exc_info)


def test_a_wrong_method_lists_the_allowed_ones(api: Api) -> None:
    response = api.call("PUT", "/tasks")
    assert response.status_code == 405
    assert response.mimetype == PROBLEM_JSON
    assert set(response.headers["Allow"].replace(" ", "").split(",")) >= {"GET"}
