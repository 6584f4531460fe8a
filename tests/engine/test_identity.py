"""Identity service: departments, users, roles, companies and revocable hashed tokens."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from engine import SYSTEM, Conflict, Forbidden, InvalidInput, ProcessEngine, Unauthenticated
from engine.persistence.tables import api_tokens
from tests.engine.conftest import Org, table_counts


def test_a_token_authenticates_as_its_user_with_roles_and_departments(engine: ProcessEngine, org: Org) -> None:
    actor = org["supervisor_D2"]
    assert (actor.username, actor.roles, actor.departments) == ("supervisor_D2", {"supervisor"}, {"D2"})


def test_tokens_are_stored_hashed(engine: ProcessEngine, org: Org) -> None:
    token = engine.identity.create_token(SYSTEM, org["staff_D1"].user_id or "")
    assert token.secret is not None
    with engine.db.transaction(write=False) as connection:
        stored = connection.execute(select(api_tokens.c.token_hash).where(api_tokens.c.id == token.id)).scalar_one()
    assert token.secret not in stored and len(stored) == 64


def test_a_revoked_token_no_longer_authenticates(engine: ProcessEngine, org: Org) -> None:
    token = engine.identity.create_token(SYSTEM, org["staff_D1"].user_id or "")
    assert token.secret is not None
    engine.identity.revoke_token(org["staff_D1"], token.id)
    with pytest.raises(Unauthenticated):
        engine.identity.authenticate(token.secret)


def test_an_unknown_token_is_unauthenticated(engine: ProcessEngine, org: Org) -> None:
    with pytest.raises(Unauthenticated):
        engine.identity.authenticate("wt_nothing")


def test_a_deactivated_user_cannot_authenticate(engine: ProcessEngine, org: Org) -> None:
    user_id = org["staff_D3"].user_id or ""
    token = engine.identity.create_token(SYSTEM, user_id)
    engine.identity.update_user(org["admin"], user_id, active=False)
    assert token.secret is not None
    with pytest.raises(Unauthenticated):
        engine.identity.authenticate(token.secret)


def test_passwords_are_checked_for_sign_in(engine: ProcessEngine, org: Org) -> None:
    engine.identity.create_user(
        SYSTEM, "li_wei", display_name="李伟", roles=["staff"], departments_=["D1"], password="s3cret-pass"
    )
    assert engine.identity.sign_in("li_wei", "s3cret-pass").username == "li_wei"
    with pytest.raises(Unauthenticated):
        engine.identity.sign_in("li_wei", "wrong")


def test_applicants_belong_to_a_company_not_a_department(engine: ProcessEngine, org: Org) -> None:
    with pytest.raises(InvalidInput) as raised:
        engine.identity.create_user(SYSTEM, "bad_applicant", roles=["applicant"], departments_=["D1"])
    assert sorted(p.field or "" for p in raised.value.problems) == ["/company", "/departments"]
    user = engine.identity.create_user(
        SYSTEM, "zhang", roles=["applicant"], company="郑州水务科技", credit_code="91410100"
    )
    assert user.company is not None and user.company.name == "郑州水务科技"


def test_staff_need_a_department_and_roles_must_be_known(engine: ProcessEngine, org: Org) -> None:
    before = table_counts(engine)
    with pytest.raises(InvalidInput) as raised:
        engine.identity.create_user(SYSTEM, "x", roles=["staff", "wizard"])
    assert sorted(p.field or "" for p in raised.value.problems) == ["/departments", "/roles/1"]
    with pytest.raises(InvalidInput):
        engine.identity.create_user(SYSTEM, "y", roles=["staff"], departments_=["D9"])
    assert table_counts(engine) == before


def test_duplicate_usernames_and_department_codes_conflict(engine: ProcessEngine, org: Org) -> None:
    with pytest.raises(Conflict):
        engine.identity.create_user(SYSTEM, "staff_D1", roles=["staff"], departments_=["D1"])
    with pytest.raises(Conflict):
        engine.identity.create_department(SYSTEM, "D1", "重复")


def test_only_admins_administer(engine: ProcessEngine, org: Org) -> None:
    with pytest.raises(Forbidden):
        engine.identity.create_department(org["supervisor_D1"], "D9", "九部")
    with pytest.raises(Forbidden):
        engine.identity.create_user(org["designer"], "someone", roles=["staff"], departments_=["D1"])
    with pytest.raises(Forbidden):
        engine.identity.create_token(org["staff_D1"], org["staff_D2"].user_id or "")


def test_updating_a_user_replaces_roles_and_departments(engine: ProcessEngine, org: Org) -> None:
    user_id = org["staff_D1"].user_id or ""
    updated = engine.identity.update_user(org["admin"], user_id, roles=["supervisor"], departments_=["D2", "D3"])
    assert (updated.roles, updated.departments) == (("supervisor",), ("D2", "D3"))
