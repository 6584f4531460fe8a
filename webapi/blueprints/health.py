"""``GET /healthz``: is the database reachable and its schema current? No token needed."""

from __future__ import annotations

import logging
from typing import Any

import marshmallow as ma
from marshmallow import fields

from webapi.auth import current_engine
from webapi.blueprints.common import API_PREFIX, RoleBlueprint
from webapi.problems import problem_response
from webapi.schemas.common import ProblemSchema

log = logging.getLogger("wutong.webapi")
blp = RoleBlueprint("health", __name__, url_prefix=API_PREFIX, description="Liveness for load balancers and operators.")


class HealthSchema(ma.Schema):
    status = fields.String()
    database = fields.String()
    migrations = fields.String()


@blp.route("/healthz", methods=["GET"])
@blp.response(200, HealthSchema)
@blp.alt_response(503, schema=ProblemSchema, content_type="application/problem+json",
                  description="the database is unreachable or its schema is not current")
@blp.doc(security=[])
def healthz() -> Any:
    """Health: 200 when the database answers and its migrations are current, else 503."""
    try:
        current = current_engine().schema_is_current()
    except Exception as exc:  # any failure to reach the database means "unhealthy"
        log.warning("health check: database unreachable: %s", exc)
        return problem_response(503, "database_unreachable", "the database cannot be reached")
    if not current:
        return problem_response(503, "migrations_pending", "the database schema is not current: "
                                "run `wutong db upgrade`")
    return {"status": "ok", "database": "ok", "migrations": "current"}
