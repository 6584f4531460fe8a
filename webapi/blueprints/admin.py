"""Administration: departments, users, API tokens, and the caller's own account."""

from __future__ import annotations

from datetime import timedelta
from typing import Any
from uuid import UUID

from flask import current_app

from webapi import settings
from webapi.auth import current_actor, current_engine
from webapi.blueprints.common import PAGINATION_HEADERS, documents, page_in_memory, page_of, protected_blueprint
from webapi.schemas.admin import (
    ApplicantQuerySchema,
    ApplicantSchema,
    DepartmentCreateSchema,
    DepartmentQuerySchema,
    DepartmentSchema,
    TokenCreateSchema,
    TokenQuerySchema,
    TokenSchema,
    UserCreateSchema,
    UserPatchSchema,
    UserQuerySchema,
    UserSchema,
)

blp = protected_blueprint("admin", __name__, "Departments, users and API tokens.")


@blp.route("/departments", methods=["GET"])
@blp.arguments(DepartmentQuerySchema, location="query")
@blp.response(200, DepartmentSchema(many=True), headers=PAGINATION_HEADERS)
@documents(blp, 422)
def list_departments(args: dict[str, Any]) -> Any:
    """Every department."""
    return page_in_memory(current_engine().identity.list_departments(current_actor()), args)


@blp.route("/departments", methods=["POST"])
@blp.arguments(DepartmentCreateSchema)
@blp.response(201, DepartmentSchema)
@documents(blp, 403, 409, 422)
def create_department(args: dict[str, Any]) -> Any:
    """Add a department (admins)."""
    return current_engine().identity.create_department(
        current_actor(), args["code"], args["name"], args.get("name_en")
    )


@blp.route("/users", methods=["GET"])
@blp.arguments(UserQuerySchema, location="query")
@blp.response(200, UserSchema(many=True), headers=PAGINATION_HEADERS)
@documents(blp, 403, 422)
def list_users(args: dict[str, Any]) -> Any:
    """Every user (admins, supervisors, auditors)."""
    page = current_engine().identity.user_page(
        current_actor(), sort=args.get("sort"), page=args["page"], page_size=args["page_size"]
    )
    return page_of(page.items, page.total, args)


@blp.route("/users", methods=["POST"])
@blp.arguments(UserCreateSchema)
@blp.response(201, UserSchema)
@documents(blp, 403, 409, 422)
def create_user(args: dict[str, Any]) -> Any:
    """Add a user: staff roles with departments, or the applicant role with a company (admins)."""
    return current_engine().identity.create_user(
        current_actor(),
        args["username"],
        display_name=args.get("display_name"),
        roles=args["roles"],
        departments_=args["departments"],
        company=args.get("company"),
        credit_code=args.get("credit_code"),
        password=args.get("password"),
        active=args["active"],
        phone=args.get("phone"),
        email=args.get("email"),
        notify_via=args.get("notify_via"),
    )


@blp.route("/users/me", methods=["GET"])
@blp.response(200, UserSchema)
@documents(blp, 404)
def get_me() -> Any:
    """The caller's own account."""
    actor = current_actor()
    return current_engine().identity.get_user(actor, actor.user_id or "")


@blp.route("/users/<uuid:user_id>", methods=["GET"])
@blp.response(200, UserSchema)
@documents(blp, 404)
def get_user(user_id: UUID) -> Any:
    """One user (admins, or the user themself)."""
    return current_engine().identity.get_user(current_actor(), str(user_id))


@blp.route("/users/<uuid:user_id>", methods=["PATCH"])
@blp.arguments(UserPatchSchema)
@blp.response(200, UserSchema)
@documents(blp, 403, 404, 422)
def update_user(args: dict[str, Any], user_id: UUID) -> Any:
    """Change a user's roles, departments or company, display name, password, or deactivate them."""
    return current_engine().identity.update_user(
        current_actor(),
        str(user_id),
        display_name=args.get("display_name"),
        roles=args.get("roles"),
        departments_=args.get("departments"),
        company=args.get("company"),
        active=args.get("active"),
        password=args.get("password"),
        **{key: args[key] for key in ("phone", "email", "notify_via") if key in args},
    )


@blp.route("/users/<uuid:user_id>/tokens", methods=["POST"])
@blp.arguments(TokenCreateSchema)
@blp.response(201, TokenSchema, description="the token; `secret` is shown only this once")
@documents(blp, 403, 404, 422)
def create_token(args: dict[str, Any], user_id: UUID) -> Any:
    """Issue an API token for a user (admins, or the user themself); it expires after
    `expires_in_days` (default `WUTONG_TOKEN_TTL_DAYS`, 90)."""
    days = args.get("expires_in_days") or current_app.config.get(
        "WUTONG_TOKEN_TTL_DAYS", settings.DEFAULT_TOKEN_TTL_DAYS
    )
    return current_engine().identity.create_token(
        current_actor(), str(user_id), args.get("name"), expires_in=timedelta(days=int(days))
    )


@blp.route("/users/<uuid:user_id>/tokens", methods=["GET"])
@blp.arguments(TokenQuerySchema, location="query")
@blp.response(200, TokenSchema(many=True), headers=PAGINATION_HEADERS)
@documents(blp, 404, 422)
def list_tokens(args: dict[str, Any], user_id: UUID) -> Any:
    """A user's tokens, newest first, with prefix, expiry, last use (to the hour) and state; never
    the secrets (admins, or the user themself)."""
    return page_in_memory(current_engine().identity.list_tokens(current_actor(), str(user_id)), args)


@blp.route("/tokens/<uuid:token_id>", methods=["DELETE"])
@blp.response(204)
@documents(blp, 404)
def revoke_token(token_id: UUID) -> tuple[str, int]:
    """Revoke an API token (admins, or the token's owner)."""
    current_engine().identity.revoke_token(current_actor(), str(token_id))
    return "", 204


@blp.route("/applicants", methods=["GET"])
@blp.arguments(ApplicantQuerySchema, location="query")
@blp.response(200, ApplicantSchema(many=True), headers=PAGINATION_HEADERS)
@documents(blp, 403, 422)
def list_applicants(args: dict[str, Any]) -> Any:
    """The companies' active users (role `applicant`) a case may be opened for: staff, supervisors, admins."""
    page = current_engine().identity.applicant_page(current_actor(), page=args["page"], page_size=args["page_size"])
    return page_of(page.items, page.total, args)
