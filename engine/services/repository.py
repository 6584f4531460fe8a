"""Repository service (process designers): deploy versions, list and read definitions."""

from __future__ import annotations

import difflib
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from sqlalchemy import Connection, func, insert, select

from engine import access, ledger_spec
from engine.actors import STAFF_ROLES, Actor
from engine.command_context import CommandContext, definition_row
from engine.commands.base import Command
from engine.deadlines import DeadlineSpec
from engine.definitions import APPLICANT_LANE, DefinitionModel, UserTaskModel, bad_variable_names
from engine.errors import NotFound, Problem, ProblemList
from engine.persistence.tables import departments, deployment_files, deployments, process_definitions
from engine.results import DefinitionView, DeployedDecision, DeployedProcess, DeploymentResult
from engine.services import decision_versions, deployment_views
from engine.spiff.parsing import ParsedBundle, ProcessModel, parse_bundle, raise_problems
from engine.spiff.specs import SpecBundle
from engine.spiff.state import digest
from engine.spiff.state_versions import LAYOUT_VERSION, SERIALIZER_VERSION

if TYPE_CHECKING:
    from engine.core import ProcessEngine


class RepositoryService:
    def __init__(self, engine: ProcessEngine) -> None:
        self._engine = engine

    def deploy(self, actor: Actor, files: Mapping[str, bytes]) -> DeploymentResult:
        """Validate every file, build every process, then store new versions of changed processes."""
        access.require_role(actor, "designer")
        stored = self._engine.query(decision_versions.newest_files)
        bundle = parse_bundle(files, self._engine.config.parse, defer=True, stored_decisions=stored)
        return self._engine.execute(DeployProcesses(actor=actor, bundle=bundle))

    def check(self, actor: Actor, files: Mapping[str, bytes]) -> deployment_views.DeployCheck:
        """Every problem the upload has and what deploying it would create; stores nothing (dry run)."""
        access.require_role(actor, "designer")
        stored = self._engine.query(decision_versions.newest_files)
        bundle = parse_bundle(files, self._engine.config.parse, defer=True, stored_decisions=stored)
        return self._engine.query(lambda c: deployment_views.check(c, bundle, *prepare(c, bundle)))

    def get_deployment(self, actor: Actor, deployment_id: str) -> deployment_views.DeploymentView:
        return self._engine.query(lambda c: deployment_views.get_deployment(c, actor, deployment_id))

    def get_file(self, actor: Actor, deployment_id: str, name: str) -> bytes:
        return self._engine.query(lambda c: deployment_views.get_file(c, actor, deployment_id, name))

    @staticmethod
    def _store(work: CommandContext, bundle: ParsedBundle) -> DeploymentResult:
        connection = work.connection
        problems, prepared = prepare(connection, bundle)
        raise_problems(problems, bundle.files)

        deployment_id = str(uuid.uuid4())
        results: list[DeployedProcess] = []
        created_any = False
        for process, spec_json, model in prepared:
            model_json = model.to_json()
            content_hash = digest(spec_json + "\n" + model_json)
            latest = connection.execute(
                select(process_definitions.c.id, process_definitions.c.version, process_definitions.c.content_hash)
                .where(process_definitions.c.key == process.key)
                .order_by(process_definitions.c.version.desc())
                .limit(1)
            ).first()
            if latest is not None and latest.content_hash == content_hash:
                results.append(DeployedProcess(latest.id, process.key, latest.version, process.name, False))
                continue
            if not created_any:
                RepositoryService._insert_deployment(work, deployment_id, bundle)
                created_any = True
            definition_id = str(uuid.uuid4())
            version = (latest.version + 1) if latest is not None else 1
            connection.execute(
                insert(process_definitions).values(
                    id=definition_id,
                    key=process.key,
                    version=version,
                    name=process.name,
                    deployment_id=deployment_id,
                    source_file=process.file,
                    content_hash=content_hash,
                    spec_json=spec_json,
                    model_json=model_json,
                    serializer_version=SERIALIZER_VERSION,
                    layout_version=LAYOUT_VERSION,
                    created_at=work.now,
                )
            )
            results.append(DeployedProcess(definition_id, process.key, version, process.name, True))
        decisions: list[DeployedDecision] = []
        for key, file_name in sorted(bundle.decisions.items()):
            if not created_any and decision_versions.changed(connection, key, bundle.files[file_name]):
                RepositoryService._insert_deployment(work, deployment_id, bundle)
                created_any = True
            decisions.append(decision_versions.store(work, key, file_name, bundle.files[file_name], deployment_id))
        work.record(
            action="deployment.created" if created_any else "deployment.unchanged",
            details={
                "files": sorted(bundle.files),
                "processes": [f"{p.key}:{p.version}" for p in results],
                "decisions": [f"{d.key}:{d.version}" for d in decisions],
            },
        )
        return DeploymentResult(
            deployment_id if created_any else None, created_any, tuple(results), tuple(decisions)
        )

    @staticmethod
    def _insert_deployment(work: CommandContext, deployment_id: str, bundle: ParsedBundle) -> None:
        work.connection.execute(
            insert(deployments).values(id=deployment_id, deployed_by=work.actor.user_id, created_at=work.now)
        )
        work.connection.execute(
            insert(deployment_files),
            [{"deployment_id": deployment_id, "name": n, "content": c} for n, c in sorted(bundle.files.items())],
        )

    # --- reading ------------------------------------------------------------------------------

    def list_definitions(
        self, actor: Actor, key: str | None = None, latest: bool = False, startable: bool = False
    ) -> list[DefinitionView]:
        """Definitions the actor may read; ``startable``: only the newest version of each process the
        actor may start (``access.may_start``), e.g. for a "start a case" page."""

        def run(connection: Connection) -> list[DefinitionView]:
            query = select(process_definitions).order_by(
                process_definitions.c.key, process_definitions.c.version.desc()
            )
            if key is not None:
                query = query.where(process_definitions.c.key == key)
            if latest or startable:
                newest = (
                    select(process_definitions.c.key, func.max(process_definitions.c.version).label("v"))
                    .group_by(process_definitions.c.key)
                    .subquery()
                )
                query = query.join(
                    newest,
                    (newest.c.key == process_definitions.c.key) & (newest.c.v == process_definitions.c.version),
                )
            views = [_view(row) for row in connection.execute(query).mappings()]
            views = [v for v in views if _may_read(actor, v) and (not startable or _may_start(actor, v))]
            return deployment_views.with_usage(connection, views)

        return self._engine.query(run)

    def get_definition(self, actor: Actor, definition_id: str) -> DefinitionView:
        return self._engine.query(
            lambda c: deployment_views.with_usage(c, [_readable(actor, _view(definition_row(c, definition_id)))])[0]
        )

    def get_xml(self, actor: Actor, definition_id: str) -> bytes:
        def run(connection: Connection) -> bytes:
            row = definition_row(connection, definition_id)
            _readable(actor, _view(row))
            content = connection.execute(
                select(deployment_files.c.content)
                .where(deployment_files.c.deployment_id == row["deployment_id"])
                .where(deployment_files.c.name == row["source_file"])
            ).scalar()
            if content is None:
                raise NotFound("the definition's file is missing", code="definition_not_found")
            return bytes(content)

        return self._engine.query(run)


@dataclass(frozen=True, kw_only=True)
class DeployProcesses(Command[DeploymentResult]):
    """Store new versions of the changed processes and decisions of a checked bundle (its deploy
    checks live beside it in this module)."""

    bundle: ParsedBundle

    def execute(self, work: CommandContext) -> DeploymentResult:
        return RepositoryService._store(work, self.bundle)


def prepare(
    connection: Connection, bundle: ParsedBundle
) -> tuple[list[Problem], list[tuple[ProcessModel, str, DefinitionModel]]]:
    """Every problem of the upload, and each process that built with its spec JSON and model.

    The model checks run on every declared process, built or not, so that one answer lists every
    problem of the upload (parse problems included).
    """
    known = _department_names(connection)
    problems = ProblemList(list(bundle.problems))
    prepared: list[tuple[ProcessModel, str, DefinitionModel]] = []
    for key, declared in bundle.declared.items():
        model = _definition_model(declared, bundle, known, problems)
        process = bundle.processes.get(key)
        if process is not None:
            spec_json = SpecBundle(process.spec, process.subprocess_specs).to_json()
            prepared.append((process, spec_json, model))
    return problems.problems, prepared


def _may_read(actor: Actor, view: DefinitionView) -> bool:
    """Staff roles read every model; a company's users only those they may start themselves."""
    if not actor.is_applicant or actor.is_admin:
        return True
    return view.properties.get("startableByApplicant", "").strip().lower() in {"true", "yes", "1"}


def _may_start(actor: Actor, view: DefinitionView) -> bool:
    model = DefinitionModel(view.key, view.name, view.properties, {}, {}, {})
    return access.may_start(
        actor, startable_by=model.startable_by, startable_by_applicant=model.startable_by_applicant
    )


def _readable(actor: Actor, view: DefinitionView) -> DefinitionView:
    if not _may_read(actor, view):
        raise NotFound(f"process definition {view.id} does not exist", code="definition_not_found")
    return view


def _view(row: Mapping[Any, Any]) -> DefinitionView:
    model = DefinitionModel.from_json(row["model_json"])
    return DefinitionView(
        id=row["id"],
        key=row["key"],
        version=row["version"],
        name=row["name"],
        deployment_id=row["deployment_id"],
        source_file=row["source_file"],
        created_at=row["created_at"],
        properties=dict(model.properties),
        lanes=dict(model.lane_ids),
        start_form=model.start_form,
        needs_applicant=model.needs_applicant,
    )


def _department_names(connection: Connection) -> dict[str, list[str]]:
    """Every way a lane may name a department: its code, Chinese name or English name."""
    names: dict[str, list[str]] = {}
    for code, name, name_en in connection.execute(
        select(departments.c.code, departments.c.name, departments.c.name_en)
    ):
        names.setdefault(code, []).append(code)
        for alias in (name, name_en):
            if alias and alias != code:
                names.setdefault(alias.strip(), []).append(code)
    return names


def _resolve_lane(name: str | None, known: Mapping[str, list[str]]) -> tuple[bool, str | None]:
    if name is None or not name.strip():
        return False, None
    label = name.strip()
    if label == APPLICANT_LANE:
        return True, None
    if label in known and label in known[label]:  # a department code wins over names
        return True, label
    codes = sorted(set(known.get(label, [])))
    if len(codes) == 1:
        return True, codes[0]
    return False, None


def _suggest_departments(name: str | None, known: Mapping[str, list[str]]) -> str:
    """``; did you mean 城市管理局 (urban_mgmt)?`` for the department names closest to a lane's name."""
    label = (name or "").strip()
    if not label:
        return ""
    matches = difflib.get_close_matches(label, list(known), n=3, cutoff=0.6)
    shown = [
        alias if alias in known[alias] else f"{alias} ({', '.join(sorted(set(known[alias])))})" for alias in matches
    ]
    return f"; did you mean {' or '.join(shown)}?" if shown else ""


def _check_send_back(
    properties: Mapping[str, str],
    step_ids: set[str],
    problems: ProblemList,
    *,
    file: str,
    element_id: str,
    line: int | None = None,
) -> None:
    """``sendBackTo`` must name a user task of the process: otherwise a send-back fails only at run time."""
    target = (properties.get("sendBackTo") or "").strip()
    if target and target not in step_ids:
        problems.add(
            Problem(
                "send_back_target_unknown",
                f"sendBackTo names '{target}', which is no user task of this process",
                file=file,
                line=line,
                element_id=element_id,
            )
        )


def _check_applicant_only(
    properties: Mapping[str, str],
    lane: str | None,
    problems: ProblemList,
    *,
    file: str,
    element_id: str,
    line: int | None = None,
) -> None:
    """``applicantOnly`` is ``true`` or ``false``, and only a step of the applicant lane can be the company's own."""
    raw = properties.get("applicantOnly")
    if raw is None:
        return
    value = raw.strip().lower()
    if value not in ("true", "false"):
        message = "applicantOnly must be true or false"
    elif value == "true" and lane != APPLICANT_LANE:
        message = f"applicantOnly marks a step outside the '{APPLICANT_LANE}' lane: staff would work it"
    else:
        return
    problems.add(Problem("invalid_applicant_only", message, file=file, line=line, element_id=element_id))


def _check_deadline(
    properties: Mapping[str, str], problems: ProblemList, *, file: str, element_id: str, line: int | None = None
) -> None:
    spec = DeadlineSpec.from_properties(properties)
    if spec is not None:
        for problem in spec.problems(file=file, element_id=element_id, line=line):
            problems.add(problem)


def _check_escalate_to(
    properties: Mapping[str, str],
    known: Mapping[str, list[str]],
    problems: ProblemList,
    *,
    file: str,
    element_id: str,
    line: int | None = None,
) -> None:
    target = (properties.get("escalateTo") or "").strip()
    if target and (target not in known or target not in known[target]):
        problems.add(
            Problem(
                "unknown_department",
                f"escalateTo names an unknown department '{target}'",
                file=file,
                line=line,
                element_id=element_id,
            )
        )


def _definition_model(
    process: ProcessModel, bundle: ParsedBundle, known: Mapping[str, list[str]], problems: ProblemList
) -> DefinitionModel:
    lanes: dict[str, str | None] = {}
    lane_ids: dict[str, str | None] = {}
    # tasks of called processes run inside this one's cases: route them with their own lanes
    involved = [process] + [bundle.processes[k] for k in process.subprocess_specs if k in bundle.processes]
    for lane in (lane for p in involved for lane in p.lanes):
        ok, code = _resolve_lane(lane.name, known)
        if not ok:
            label = "an unnamed lane" if not (lane.name or "").strip() else f"lane '{lane.name}'"
            problems.add(
                Problem(
                    "lane_unmapped",
                    f"{label} names no department: use a department code, or one department's name"
                    + _suggest_departments(lane.name, known),
                    file=lane.file,
                    line=lane.line,
                    element_id=lane.id,
                )
            )
            continue
        lanes[(lane.name or "").strip()] = code
        lane_ids[lane.id] = code
    for code in DefinitionModel(process.key, None, process.properties, {}, {}, {}).startable_by:
        if code not in known or code not in known[code]:
            problems.add(
                Problem(
                    "unknown_department",
                    f"startableBy names an unknown department '{code}'",
                    file=process.file,
                    element_id=process.key,
                )
            )
    _check_deadline(process.properties, problems, file=process.file, element_id=process.key)
    _check_escalate_to(process.properties, known, problems, file=process.file, element_id=process.key)
    for name in bad_variable_names(process.properties.get("applicantVariables", "")):
        message = f"applicantVariables names '{name}', which is no variable name (a Python identifier)"
        problems.add(Problem("invalid_applicant_variables", message, file=process.file, element_id=process.key))
    ledger_spec.check_properties(process.properties, problems, file=process.file, element_id=process.key)
    user_tasks: dict[str, UserTaskModel] = {}
    forms: dict[str, dict[str, Any]] = {}
    step_ids = {task.element_id for p in involved for task in p.user_tasks}
    for task in (task for p in involved for task in p.user_tasks):
        _check_send_back(
            task.properties, step_ids, problems, file=task.file, element_id=task.element_id, line=task.line
        )
        _check_deadline(task.properties, problems, file=task.file, element_id=task.element_id, line=task.line)
        _check_escalate_to(task.properties, known, problems, file=task.file, element_id=task.element_id, line=task.line)
        role = (task.properties.get("requiredRole") or "").strip()
        if role and role not in STAFF_ROLES:
            problems.add(
                Problem(
                    "unknown_role",
                    f"requiredRole must be one of {', '.join(sorted(STAFF_ROLES))}",
                    file=task.file,
                    line=task.line,
                    element_id=task.element_id,
                )
            )
        lane_name = task.lane.strip() if task.lane else None
        _check_applicant_only(
            task.properties, lane_name, problems, file=task.file, element_id=task.element_id, line=task.line
        )
        form = task.properties.get("formJsonSchemaFilename")
        if form and form in bundle.forms:
            forms[form] = bundle.forms[form]
        user_tasks[task.element_id] = UserTaskModel(
            activity_id=task.element_id,
            name=task.name,
            lane=lane_name,
            department=lanes.get(lane_name) if lane_name else None,
            properties=dict(task.properties),
            instructions=task.instructions,
            form=form,
        )
    message_schemas = {m: f for m, f in bundle.message_schemas.items() if f in bundle.forms}
    forms.update({f: bundle.forms[f] for f in message_schemas.values()})
    start_form = process.properties.get("startFormJsonSchemaFilename")
    if start_form and start_form in bundle.forms:
        forms[start_form] = bundle.forms[start_form]
    return DefinitionModel(
        key=process.key,
        name=process.name,
        properties=dict(process.properties),
        lanes=lanes,
        lane_ids=lane_ids,
        user_tasks=user_tasks,
        forms=forms,
        message_schemas=message_schemas,
    )



