"""Names in the organisation: usernames and department codes are NFKC-normalised ASCII identifiers,
names refuse hidden characters, the command line applies the API's limits, and two departments may
not share a name in either language."""

from __future__ import annotations

import pytest

from tests.api.conftest import Api, row_counts
from tests.api.test_cli import Cli, departments, upgraded, wutong

__all__ = ["departments", "upgraded", "wutong"]  # fixtures used below


@pytest.mark.parametrize(
    ("code", "bad"),
    [("D1\u200b", "U+200B"), ("D\x01", "U+0001"), ("\u0430dmin", "U+0430 CYRILLIC SMALL LETTER A"), ("部门", "U+90E8")],
)
def test_department_codes_refuse_invisible_control_and_non_ascii_characters(
    api: Api, database_url: str, code: str, bad: str
) -> None:
    before = row_counts(database_url)
    refused = api.post("/departments", json={"code": code, "name": f"部门 {bad}"})
    assert refused.status_code == 422
    error = refused.get_json()["errors"][0]
    assert (error["field"], error["code"]) == ("/code", "invalid_character") and bad in error["message"]
    assert row_counts(database_url) == before


@pytest.mark.parametrize("username", ["\u0430dmin", "staff\u200b", "li\x01na", "li na"])
def test_usernames_refuse_confusable_invisible_and_control_characters(api: Api, username: str) -> None:
    refused = api.post("/users", json={"username": username, "roles": ["designer"]})
    assert refused.status_code == 422
    assert [e["field"] for e in refused.get_json()["errors"]] == ["/username"]


def test_codes_and_usernames_are_nfkc_normalised(api: Api) -> None:
    created = api.post("/departments", json={"code": "\uff24\uff14", "name": "\u56db\u90e8"})  # full-width Ｄ４
    assert created.status_code == 201 and created.get_json()["code"] == "D4"
    user = api.post("/users", json={"username": "\uff4c\uff49.na", "roles": ["staff"], "departments": ["Ｄ４"]})
    assert user.status_code == 201
    assert (user.get_json()["username"], user.get_json()["departments"]) == ("li.na", ["D4"])


def test_names_differing_only_in_letter_case_are_the_same(api: Api) -> None:
    assert api.post("/departments", json={"code": "d1", "name": "另一部"}).get_json()["code"] == "department_exists"
    taken = api.post("/users", json={"username": "ADMIN", "roles": ["designer"]})
    assert (taken.status_code, taken.get_json()["code"]) == (409, "user_exists")


def test_display_and_department_names_refuse_hidden_characters(api: Api) -> None:
    refused = api.post("/departments", json={"code": "D7", "name": "七\u200b部", "name_en": "Dept\x017"})
    assert refused.status_code == 422
    assert sorted(e["field"] for e in refused.get_json()["errors"]) == ["/name", "/name_en"]
    user_id = api.org.user_ids["staff_D1"]
    assert api.patch(f"/users/{user_id}", json={"display_name": "李\u2066娜"}).status_code == 422


def test_a_department_may_not_reuse_a_name_in_either_language(api: Api, database_url: str) -> None:
    before = row_counts(database_url)
    for body in (
        {"code": "D8", "name": "部门D1"},  # D1's Chinese name
        {"code": "D8", "name": "八部", "name_en": "department d2"},  # D2's English name, any case
        {"code": "D8", "name": "Department D3"},  # D3's English name as the Chinese one
    ):
        refused = api.post("/departments", json=body)
        assert refused.status_code == 409, body
        assert refused.get_json()["code"] == "department_name_taken"
    assert row_counts(database_url) == before
    assert api.post("/departments", json={"code": "D8", "name": "八部", "name_en": "Department 8"}).status_code == 201


def test_the_cli_refuses_a_5000_character_department_code(upgraded: Cli) -> None:
    result = upgraded.fails("department", "add", "D" * 5000, "--name", "长部")
    assert "/code: at most 64 characters (this has 5000) (too_long)" in result.stderr
    assert len(upgraded.ok("department", "list").stdout.splitlines()) == 1  # only the header


def test_the_cli_refuses_invisible_characters_and_duplicate_names(departments: Cli) -> None:
    assert "(invalid_character)" in departments.fails("department", "add", "D9\u200b", "--name", "九部").stderr
    assert "(invalid_character)" in departments.fails("user", "add", "\u0430dmin", "--role", "admin").stderr
    duplicate = departments.fails("department", "add", "D9", "--name", "D1 部")
    assert "(department_name_taken)" in duplicate.stderr


def test_the_cli_applies_the_apis_length_limits_to_users(upgraded: Cli) -> None:
    result = upgraded.fails("user", "add", "u" * 101, "--role", "designer", "--display-name", "名" * 201)
    assert "/username: at most 100 characters" in result.stderr
    assert "/display_name: at most 200 characters" in result.stderr
