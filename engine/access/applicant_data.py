"""What an applicant (a company's user) sees of their own case's data.

A process declares the case variables its applicants see with the process property
``applicantVariables`` (comma-separated names). Without it, an applicant sees the fields they
submitted themselves (their start data and their own steps) and the fields of the ``applicant``
lane's forms. Everything else (internal opinions such as ``assist_opinions`` or ``review_opinion``,
routing variables) is left out of what the applicant reads: the case's variables, a task's data and
instructions, and the values in the case's history and its exports. Staff, auditors and admins see
everything their access allows.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy import Connection, select

from engine.actors import Actor
from engine.definitions import APPLICANT_LANE, DefinitionModel
from engine.persistence.tables import audit_events, process_definitions

# Events in which a user submits case data; their details list the field names under "fields".
SUBMITTING_ACTIONS = ("case.started", "task.completed")


def is_restricted(actor: Actor) -> bool:
    """Whether the actor reads case data as an applicant (restricted to the shown variables)."""
    return actor.is_applicant and not actor.sees_everything


def case_model(connection: Connection, case: Mapping[Any, Any]) -> DefinitionModel:
    """The deployed model of a case's process version."""
    document = connection.execute(
        select(process_definitions.c.model_json).where(process_definitions.c.id == case["definition_id"])
    ).scalar_one()
    return DefinitionModel.from_json(document)


def shown_names(
    connection: Connection, actor: Actor, case: Mapping[Any, Any], model: DefinitionModel | None = None
) -> frozenset[str] | None:
    """The variables of ``case`` the actor may read; None: all of them (the actor is no applicant)."""
    if not is_restricted(actor):
        return None
    model = model if model is not None else case_model(connection, case)
    declared = model.applicant_variables
    if declared is not None:
        return frozenset(declared)
    return model.form_fields(lane=APPLICANT_LANE) | _submitted_by(connection, case)


def shown_names_by_case(
    connection: Connection,
    actor: Actor,
    cases: Sequence[Mapping[Any, Any]],
    models: Mapping[str, DefinitionModel],
) -> dict[str, frozenset[str] | None]:
    """:func:`shown_names` of each of ``cases`` by case id, reading the applicants' submissions of all of
    them in one query; ``models``: the cases' models by definition id (needed only for an applicant)."""
    if not is_restricted(actor):
        return {case["id"]: None for case in cases}
    undeclared = [case for case in cases if models[case["definition_id"]].applicant_variables is None]
    submitted: dict[str, set[str]] = {case["id"]: set() for case in undeclared}
    applicants = {case["id"]: case["applicant_user_id"] for case in undeclared if case["applicant_user_id"]}
    if applicants:
        for chain, by, details in connection.execute(
            select(audit_events.c.chain, audit_events.c.actor_user_id, audit_events.c.details).where(
                audit_events.c.chain.in_(applicants),
                audit_events.c.actor_user_id.in_(set(applicants.values())),
                audit_events.c.action.in_(SUBMITTING_ACTIONS),
            )
        ).all():
            fields = (details or {}).get("fields")
            if by == applicants[chain] and isinstance(fields, list):
                submitted[chain].update(str(name) for name in fields)
    shown: dict[str, frozenset[str] | None] = {}
    for case in cases:
        model = models[case["definition_id"]]
        declared = model.applicant_variables
        shown[case["id"]] = (
            frozenset(declared)
            if declared is not None
            else model.form_fields(lane=APPLICANT_LANE) | frozenset(submitted[case["id"]])
        )
    return shown


def _submitted_by(connection: Connection, case: Mapping[Any, Any]) -> frozenset[str]:
    """The fields the case's applicant submitted: their start data and the steps they completed."""
    applicant = case["applicant_user_id"]
    if applicant is None:
        return frozenset()
    names: set[str] = set()
    for details in connection.execute(
        select(audit_events.c.details).where(
            audit_events.c.chain == case["id"],
            audit_events.c.actor_user_id == applicant,
            audit_events.c.action.in_(SUBMITTING_ACTIONS),
        )
    ).scalars():
        fields = (details or {}).get("fields")
        if isinstance(fields, list):
            names.update(str(name) for name in fields)
    return frozenset(names)


def only_shown(data: Mapping[str, Any], shown: frozenset[str] | None) -> dict[str, Any]:
    """``data`` without the variables that are not ``shown`` (all of it when ``shown`` is None)."""
    if shown is None:
        return dict(data)
    return {name: value for name, value in data.items() if name in shown}


def known_names(case: Mapping[Any, Any], model: DefinitionModel) -> frozenset[str]:
    """Every name that is a variable of the case: its current variables and its forms' fields."""
    variables = json.loads(case["variables_json"] or "{}")
    return frozenset(variables) | model.form_fields()


def hidden_in(details: Mapping[str, Any], known: frozenset[str], shown: frozenset[str]) -> frozenset[str]:
    """The variable names to take out of one event's details: every known variable and every name the
    event lists as submitted, set, unset or changed, except the ``shown`` ones."""
    listed: set[str] = set()
    for key in ("fields", "set", "unset"):
        names = details.get(key)
        if isinstance(names, list):
            listed.update(name for name in names if isinstance(name, str))
    for key in ("data", "changes"):  # submitted values and old/new values, by variable name
        values = details.get(key)
        if isinstance(values, Mapping):
            listed.update(name for name in values if isinstance(name, str))
    return (known | listed) - shown


def redacted(value: Any, hidden: frozenset[str]) -> Any:
    """An event's details without ``hidden`` variables: keys naming them are dropped from every mapping,
    and their names from every list (e.g. the ``fields`` a step submitted)."""
    if isinstance(value, Mapping):
        return {key: redacted(item, hidden) for key, item in value.items() if key not in hidden}
    if isinstance(value, list):
        return [redacted(item, hidden) for item in value if not (isinstance(item, str) and item in hidden)]
    return value
