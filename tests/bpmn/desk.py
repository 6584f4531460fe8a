"""Driving shipped processes as the right user at every step: through the engine services or the HTTP API.

A ``Desk`` starts cases, reads them and completes tasks; every completion is done by a user who may do
it (a staff member of the task's department, or the applicant a task is assigned to) and is recorded
with who the engine says completed it, so tests can check routing afterwards. With ``check_forms`` on,
every completion is preceded by one attempt per required field with that field left out, each of which
must be refused with nothing changed.

Two desks offer the same interface:

* ``EngineDesk`` calls the engine services (``engine.runtime``, ``engine.tasks``, ...) directly;
* ``ApiDesk`` calls the REST API through a Flask test client, every request with the acting user's
  bearer token: deploys with ``POST /deployments`` as the designer, starts with
  ``POST /process-definitions/key/{key}/start``, reads ``GET /process-instances/{id}`` and ``/tasks``,
  completes with ``POST /tasks/{id}/complete`` and delivers with ``POST /messages``. A refusal comes
  back as a problem document and is raised as the engine error of its status (403 ``Forbidden``, 404
  ``NotFound``, 409 ``Conflict``, 422 ``InvalidInput`` with the ``errors`` as problems), so stories
  and tests read the same on both desks.

Time passes the way it does in production, on both desks: the frozen clock moves and one run of the
worker fires the timers then due.

``ModelIndex`` reads a deployed process's XML: flow nodes, gateway branches, lanes, user tasks.
"""

from __future__ import annotations

import copy
import dataclasses
from abc import ABC, abstractmethod
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from io import BytesIO
from typing import Any, ClassVar

from flask.testing import FlaskClient
from lxml import etree
from werkzeug.test import TestResponse

from engine import SYSTEM, EngineConfig, FrozenClock, InvalidInput, ProcessEngine
from engine.actors import Actor
from engine.errors import Conflict, EngineError, Forbidden, NotFound, Problem
from engine.results import InstanceView, TaskSummary, TaskView
from engine.services.identity_users import actor_for
from engine.spiff.sandbox import SandboxLimits
from engine.worker import Worker, WorkerRun
from webapi.app import create_app

BPMN_NS = "http://www.omg.org/spec/BPMN/20100524/MODEL"
SPIFF_NS = "http://spiffworkflow.org/bpmn/schema/1.0/core"
NS = {"bpmn": BPMN_NS, "spiffworkflow": SPIFF_NS}
FLOW_NODE_TAGS = frozenset(
    {
        "startEvent",
        "endEvent",
        "intermediateCatchEvent",
        "intermediateThrowEvent",
        "boundaryEvent",
        "task",
        "userTask",
        "manualTask",
        "scriptTask",
        "serviceTask",
        "businessRuleTask",
        "sendTask",
        "receiveTask",
        "callActivity",
        "subProcess",
        "transaction",
        "adHocSubProcess",
        "exclusiveGateway",
        "parallelGateway",
        "inclusiveGateway",
        "eventBasedGateway",
        "complexGateway",
    }
)
GATEWAY_TAGS = frozenset(t for t in FLOW_NODE_TAGS if t.endswith("Gateway"))
SHIPPED_KEYS = frozenset({"utility_connection", "enterprise_problem", "financing_request"})
APPLICANT = "jinggong.applicant"
STARTER = "ops_center.staff1"
ADMIN = "admin"
DESIGNER = "designer"
OPEN = ("open", "claimed")
V1 = "/api/v1"
PROBLEM_JSON = "application/problem+json"
ERROR_OF_STATUS: dict[int, type[EngineError]] = {403: Forbidden, 404: NotFound, 409: Conflict, 422: InvalidInput}


def make_engine(database_url: str, clock: FrozenClock, *, cache_cases: bool = True) -> ProcessEngine:
    config = EngineConfig(database_url=database_url, cache_cases=cache_cases, sandbox=SandboxLimits(max_seconds=2.0))
    return ProcessEngine(config, clock=clock)


@dataclass
class Org:
    """The demo users as actors, by username and by user id."""

    actors: dict[str, Actor]

    @classmethod
    def of(cls, engine: ProcessEngine) -> Org:
        users = engine.identity.list_users(SYSTEM)
        return cls(engine.query(lambda connection: {u.username: actor_for(connection, u.id) for u in users}))

    def __getitem__(self, username: str) -> Actor:
        return self.actors[username]

    def by_id(self, user_id: str) -> Actor:
        return next(a for a in self.actors.values() if a.user_id == user_id)

    def staff_of(self, department: str) -> Actor:
        return self.actors[f"{department}.staff1"]


@dataclass(frozen=True)
class Routed:
    """Where a completed task was routed and who completed it (as the engine recorded it)."""

    case: str
    activity_id: str
    department: str | None
    assignee: str | None
    completed_by: str


@dataclass(frozen=True)
class CaseView:
    """A case as a desk reads it: the fields the stories look at, and the whole body for comparisons."""

    id: str
    state: str
    department: str | None
    applicant_id: str | None
    variables: dict[str, Any]
    open_tasks: tuple[TaskSummary, ...]
    completed_activities: tuple[str, ...]
    active_activities: tuple[str, ...]
    incidents: tuple[Any, ...]
    body: Mapping[str, Any]  # everything the engine's view or the API's answer shows

    @classmethod
    def of_engine(cls, view: InstanceView) -> CaseView:
        return cls(
            id=view.id,
            state=view.state,
            department=view.department,
            applicant_id=view.applicant_id,
            variables=view.variables,
            open_tasks=view.open_tasks,
            completed_activities=view.completed_activities,
            active_activities=view.active_activities,
            incidents=view.incidents,
            body=dataclasses.asdict(view),
        )

    @classmethod
    def of_json(cls, body: Mapping[str, Any]) -> CaseView:
        return cls(
            id=body["id"],
            state=body["state"],
            department=body["department"],
            applicant_id=body["applicant"],
            variables=body["variables"],
            open_tasks=tuple(summary_of_json(t) for t in body["open_tasks"]),
            completed_activities=tuple(body["completed_activities"]),
            active_activities=tuple(body["active_activities"]),
            incidents=tuple(body["incidents"]),
            body=body,
        )


@dataclass(frozen=True)
class TaskDetail:
    """One task as its worker sees it: instructions, form, state, who completed it."""

    id: str
    activity_id: str
    department: str | None
    assignee: str | None
    state: str
    instructions: str | None
    form: dict[str, Any] | None
    data: dict[str, Any]
    completed_by: str | None

    @classmethod
    def of_engine(cls, view: TaskView) -> TaskDetail:
        return cls(
            id=view.id,
            activity_id=view.activity_id,
            department=view.department,
            assignee=view.assignee,
            state=view.state,
            instructions=view.instructions,
            form=view.form,
            data=view.data,
            completed_by=view.completed_by,
        )

    @classmethod
    def of_json(cls, body: Mapping[str, Any]) -> TaskDetail:
        return cls(**{f.name: body[f.name] for f in dataclasses.fields(cls)})


@dataclass(frozen=True)
class Completion:
    """A completed task and the state its case went on to."""

    task: TaskDetail
    case_state: str


def summary_of_json(body: Mapping[str, Any]) -> TaskSummary:
    due_at = body["due_at"]
    return TaskSummary(
        id=body["id"],
        name=body["name"],
        activity_id=body["activity_id"],
        department=body["department"],
        assignee=body["assignee"],
        state=body["state"],
        due_at=datetime.fromisoformat(due_at) if due_at is not None else None,
        instance_id=body["instance_id"],
        case_number=body["case_number"],
        business_key=body["business_key"],
        process_key=body["process_key"],
        process_name=body["process_name"],
        created_at=datetime.fromisoformat(body["created_at"]),
        due_status=body["due_status"],
        kind=body["kind"],
    )


@dataclass
class Desk(ABC):
    """Where the stories act. Subclasses say how a case is started, read and worked."""

    engine: ProcessEngine
    org: Org
    clock: FrozenClock
    check_forms: bool = False
    routed: list[Routed] = field(default_factory=list)
    forms_checked: dict[str, list[str]] = field(default_factory=dict)  # activity id -> fields left out
    instructions: dict[str, list[str | None]] = field(default_factory=dict)  # activity id -> as rendered

    kind: ClassVar[str]

    # --- what each desk does its own way -------------------------------------------------------

    @abstractmethod
    def deploy(self, files: Mapping[str, bytes], *, by: str = DESIGNER) -> list[tuple[str, int, bool]]:
        """Deploy as ``by``; (key, version, created) of every process in the deployment."""

    @abstractmethod
    def deployed_xml(self, key: str) -> bytes:
        """The BPMN file of the newest deployed version of a process."""

    @abstractmethod
    def start(
        self,
        key: str,
        *,
        by: str = STARTER,
        applicant: str | None = APPLICANT,
        variables: Mapping[str, Any] | None = None,
    ) -> str:
        """Start a case as ``by`` (for ``applicant`` when ``by`` is staff); the case id."""

    @abstractmethod
    def view(self, case: str, *, as_: str = ADMIN) -> CaseView:
        """The case as ``as_`` sees it."""

    @abstractmethod
    def tasks(self, case: str, *, state: str, as_: str = ADMIN) -> list[TaskSummary]:
        """The case's tasks in one state (``open``, ``completed``, ``cancelled``, ...)."""

    @abstractmethod
    def task_detail(self, task_id: str, *, as_: str) -> TaskDetail:
        """One task as ``as_`` sees it."""

    @abstractmethod
    def submit_task(self, task_id: str, data: Mapping[str, Any], *, as_: str) -> Completion:
        """Complete a task as ``as_``. Raises the engine's error on a refusal."""

    @abstractmethod
    def deliver(self, name: str, payload: Mapping[str, Any], *, by: str, **target: Any) -> tuple[str, ...]:
        """Deliver a message (``instance_id=`` or ``correlation=``); the cases it reached."""

    @abstractmethod
    def on(self, engine: ProcessEngine) -> Desk:
        """A desk of the same kind on another engine over the same database."""

    # --- shared ----------------------------------------------------------------------------------

    def model(self, key: str) -> ModelIndex:
        return ModelIndex.read(self.deployed_xml(key), key)

    def open_tasks(self, case: str) -> tuple[TaskSummary, ...]:
        view = self.view(case)
        assert view.state != "error", view.incidents
        return view.open_tasks

    def open_activities(self, case: str) -> list[str]:
        return sorted({t.activity_id for t in self.open_tasks(case)})

    def task(self, case: str, activity: str, department: str | None = None) -> TaskSummary:
        found = [
            t
            for t in self.open_tasks(case)
            if t.activity_id == activity and (department is None or t.department == department)
        ]
        assert len(found) == 1, f"{activity} ({department}) open {len(found)} times in {self.open_activities(case)}"
        return found[0]

    def completed_count(self, case: str, activity: str) -> int:
        return sum(1 for t in self.tasks(case, state="completed") if t.activity_id == activity)

    def worker_for(self, task: TaskSummary) -> str:
        """Who works a task: the user it is assigned to, else a staff member of its department."""
        if task.assignee is not None:
            return self.org.by_id(task.assignee).username
        assert task.department is not None, task
        return self.org.staff_of(task.department).username

    def submit(
        self,
        case: str,
        activity: str,
        data: Mapping[str, Any],
        *,
        department: str | None = None,
        by: str | None = None,
    ) -> Completion:
        """Complete the open task of ``activity`` once, without checks or records (for refusals)."""
        task = self.task(case, activity, department)
        return self.submit_task(task.id, data, as_=by or self.worker_for(task))

    def complete(
        self,
        case: str,
        activity: str,
        data: Mapping[str, Any],
        *,
        department: str | None = None,
        by: str | None = None,
    ) -> Completion:
        task = self.task(case, activity, department)
        username = by or self.worker_for(task)
        detail = self.task_detail(task.id, as_=username)
        self.instructions.setdefault(task.activity_id, []).append(detail.instructions)
        if self.check_forms:
            self._refuse_each_missing_field(case, detail, username, data)
        done = self.submit_task(task.id, copy.deepcopy(dict(data)), as_=username)
        assert done.task.state == "completed", done
        assert done.case_state != "error", self.view(case).incidents
        assert done.task.completed_by is not None
        completed_by = self.org.by_id(done.task.completed_by).username
        self.routed.append(Routed(case, activity, task.department, task.assignee, completed_by))
        return done

    def _refuse_each_missing_field(self, case: str, task: TaskDetail, username: str, data: Mapping[str, Any]) -> None:
        """Leave out each required field in turn: every attempt is refused naming that field, and
        neither the case (its whole body) nor the task (still open, same data) changes."""
        assert task.form is not None, f"{task.activity_id} has no form"
        assert task.state in OPEN, task
        before = self.view(case)
        left_out: list[str] = []
        for name in task.form.get("required", []):
            assert name in data, f"the scenario's data for {task.activity_id} lacks the required {name}"
            partial = {k: v for k, v in data.items() if k != name}
            try:
                self.submit_task(task.id, partial, as_=username)
            except InvalidInput as error:
                fields = [p.field for p in error.problems]
                assert error.code == "invalid_input" and f"/{name}" in fields, (task.activity_id, name, fields)
            else:
                raise AssertionError(f"{task.activity_id} accepted data without {name}")
            left_out.append(name)
        assert self.view(case).body == before.body
        assert self.task_detail(task.id, as_=username) == task
        self.forms_checked.setdefault(task.activity_id, []).extend(left_out)

    def pass_time(self, delta: timedelta) -> WorkerRun:
        """Move the clock, then let the worker fire what fell due (as ``wutong worker`` would)."""
        self.clock.advance(delta)
        return Worker(self.engine).run_once()


@dataclass
class EngineDesk(Desk):
    """Works through the engine services."""

    kind: ClassVar[str] = "engine"

    def deploy(self, files: Mapping[str, bytes], *, by: str = DESIGNER) -> list[tuple[str, int, bool]]:
        result = self.engine.repository.deploy(self.org[by], dict(files))
        return [(p.key, p.version, p.created) for p in result.processes]

    def deployed_xml(self, key: str) -> bytes:
        definition = self.engine.repository.list_definitions(self.org[ADMIN], key=key, latest=True)[0]
        return self.engine.repository.get_xml(self.org[ADMIN], definition.id)

    def start(
        self,
        key: str,
        *,
        by: str = STARTER,
        applicant: str | None = APPLICANT,
        variables: Mapping[str, Any] | None = None,
    ) -> str:
        actor = self.org[by]
        applicant_id = None
        if applicant is not None and not actor.is_applicant:
            applicant_id = self.org[applicant].user_id
        view = self.engine.runtime.start(actor, key, variables=dict(variables or {}), applicant_id=applicant_id)
        assert view.state == "running", (view.state, view.incidents)
        return view.id

    def view(self, case: str, *, as_: str = ADMIN) -> CaseView:
        return CaseView.of_engine(self.engine.runtime.get(self.org[as_], case))

    def tasks(self, case: str, *, state: str, as_: str = ADMIN) -> list[TaskSummary]:
        return list(self.engine.tasks.list(self.org[as_], instance_id=case, state=state, page_size=200).items)

    def task_detail(self, task_id: str, *, as_: str) -> TaskDetail:
        return TaskDetail.of_engine(self.engine.tasks.get(self.org[as_], task_id))

    def submit_task(self, task_id: str, data: Mapping[str, Any], *, as_: str) -> Completion:
        result = self.engine.tasks.complete(self.org[as_], task_id, dict(data))
        return Completion(TaskDetail.of_engine(result.task), result.case_state)

    def deliver(self, name: str, payload: Mapping[str, Any], *, by: str, **target: Any) -> tuple[str, ...]:
        return self.engine.runtime.deliver_message(self.org[by], name, payload=dict(payload), **target).delivered_to

    def on(self, engine: ProcessEngine) -> EngineDesk:
        return EngineDesk(engine, Org.of(engine), self.clock)


@dataclass
class ApiDesk(Desk):
    """Works through the REST API, as whoever acts, with that user's bearer token.

    Tokens are issued on first use: the admin's through the identity service (someone has to hold the
    first token), everyone else's with ``POST /users/{id}/tokens`` as the admin.
    """

    client: FlaskClient | None = None
    tokens: dict[str, str] = field(default_factory=dict)

    kind: ClassVar[str] = "api"

    @classmethod
    def around(
        cls, engine: ProcessEngine, org: Org, clock: FrozenClock, tokens: dict[str, str] | None = None
    ) -> ApiDesk:
        """A desk calling a fresh app built on ``engine``."""
        client = create_app({"TESTING": True}, engine=engine).test_client()
        return cls(engine, org, clock, client=client, tokens={} if tokens is None else tokens)

    # --- HTTP ------------------------------------------------------------------------------------

    def token(self, username: str) -> str:
        if username not in self.tokens:
            user_id = self.org[username].user_id
            if username == ADMIN:
                secret = self.engine.identity.create_token(SYSTEM, str(user_id), "tests").secret
            else:
                issued = self.call("POST", f"/users/{user_id}/tokens", as_=ADMIN, expect=201, json={"name": "tests"})
                secret = issued["secret"]
            assert secret is not None
            self.tokens[username] = secret
        return self.tokens[username]

    def request(self, method: str, path: str, *, as_: str, expect: int, **kwargs: Any) -> TestResponse:
        """One call as ``as_``; a problem document is raised as the engine error of its status."""
        assert self.client is not None
        headers = {"Authorization": f"Bearer {self.token(as_)}"}
        response = self.client.open(V1 + path, method=method, headers=headers, **kwargs)
        if response.status_code >= 400:
            raise engine_error(response)
        assert response.status_code == expect, (method, path, response.status_code, response.get_data(as_text=True))
        return response

    def call(self, method: str, path: str, *, as_: str, expect: int = 200, **kwargs: Any) -> Any:
        return self.request(method, path, as_=as_, expect=expect, **kwargs).get_json()

    # --- the desk --------------------------------------------------------------------------------

    def deploy(self, files: Mapping[str, bytes], *, by: str = DESIGNER) -> list[tuple[str, int, bool]]:
        upload = {"files": [(BytesIO(content), name) for name, content in files.items()]}
        body = self.call("POST", "/deployments", as_=by, expect=201, data=upload, content_type="multipart/form-data")
        return [(p["key"], p["version"], p["created"]) for p in body["processes"]]

    def deployed_xml(self, key: str) -> bytes:
        definitions = self.call("GET", "/process-definitions", as_=ADMIN, query_string={"key": key, "latest": "true"})
        assert len(definitions) == 1, definitions
        response = self.request("GET", f"/process-definitions/{definitions[0]['id']}/xml", as_=ADMIN, expect=200)
        assert response.mimetype == "application/xml"
        return response.get_data()

    def start(
        self,
        key: str,
        *,
        by: str = STARTER,
        applicant: str | None = APPLICANT,
        variables: Mapping[str, Any] | None = None,
    ) -> str:
        body: dict[str, Any] = {"variables": dict(variables or {})}
        if applicant is not None and not self.org[by].is_applicant:
            body["applicant_id"] = self.org[applicant].user_id
        case = self.call("POST", f"/process-definitions/key/{key}/start", as_=by, expect=201, json=body)
        assert case["state"] == "running", (case["state"], case["incidents"])
        return str(case["id"])

    def view(self, case: str, *, as_: str = ADMIN) -> CaseView:
        return CaseView.of_json(self.call("GET", f"/process-instances/{case}", as_=as_))

    def tasks(self, case: str, *, state: str, as_: str = ADMIN) -> list[TaskSummary]:
        query = {"instance_id": case, "state": state, "page_size": 200}
        return [summary_of_json(t) for t in self.call("GET", "/tasks", as_=as_, query_string=query)]

    def task_detail(self, task_id: str, *, as_: str) -> TaskDetail:
        return TaskDetail.of_json(self.call("GET", f"/tasks/{task_id}", as_=as_))

    def submit_task(self, task_id: str, data: Mapping[str, Any], *, as_: str) -> Completion:
        body = self.call("POST", f"/tasks/{task_id}/complete", as_=as_, json={"data": dict(data)})
        return Completion(TaskDetail.of_json(body["task"]), body["case_state"])

    def deliver(self, name: str, payload: Mapping[str, Any], *, by: str, **target: Any) -> tuple[str, ...]:
        body = {"name": name, "payload": dict(payload), **target}
        return tuple(self.call("POST", "/messages", as_=by, json=body)["delivered_to"])

    def on(self, engine: ProcessEngine) -> ApiDesk:
        return ApiDesk.around(engine, Org.of(engine), self.clock, self.tokens)


def engine_error(response: TestResponse) -> EngineError:
    """The engine error a problem document stands for (its status, code, detail and field errors)."""
    assert response.mimetype == PROBLEM_JSON, (response.status_code, response.get_data(as_text=True))
    problem = response.get_json()
    assert problem["status"] == response.status_code, problem
    error = ERROR_OF_STATUS.get(response.status_code)
    assert error is not None, problem  # 400, 401, 413, 500: a mistake of the desk or a server bug
    problems = [
        Problem(e["code"], e["message"], field=e["field"], file=e["file"], line=e["line"], element_id=e["element_id"])
        for e in problem.get("errors") or []
    ]
    return error(problem["detail"], code=problem["code"], problems=problems)


# --- the deployed XML ---------------------------------------------------------------------------


@dataclass(frozen=True)
class ModelIndex:
    """What a deployed process consists of, read from its XML."""

    key: str
    flow_nodes: frozenset[str]
    flows: Mapping[str, tuple[str, str]]  # flow id -> (source, target)
    gateways: frozenset[str]
    boundary_events: frozenset[str]
    user_tasks: Mapping[str, etree._Element]
    lane_of: Mapping[str, str]  # flow node id -> lane name

    @classmethod
    def read(cls, xml: bytes, key: str) -> ModelIndex:
        root = etree.fromstring(xml, etree.XMLParser(resolve_entities=False, no_network=True))
        process = root.find(f"bpmn:process[@id='{key}']", NS)
        assert process is not None, key
        nodes = {
            str(e.get("id")): e
            for e in process.iter()
            if isinstance(e.tag, str)
            and etree.QName(e).namespace == BPMN_NS
            and etree.QName(e).localname in FLOW_NODE_TAGS
        }
        flows = {
            str(f.get("id")): (str(f.get("sourceRef")), str(f.get("targetRef")))
            for f in process.iterfind(".//bpmn:sequenceFlow", NS)
        }
        lane_of = {
            str(ref.text).strip(): str(lane.get("name"))
            for lane in process.iterfind(".//bpmn:lane", NS)
            for ref in lane.iterfind("bpmn:flowNodeRef", NS)
        }
        return cls(
            key=key,
            flow_nodes=frozenset(nodes),
            flows=flows,
            gateways=frozenset(i for i, e in nodes.items() if etree.QName(e).localname in GATEWAY_TAGS),
            boundary_events=frozenset(i for i, e in nodes.items() if etree.QName(e).localname == "boundaryEvent"),
            user_tasks={i: e for i, e in nodes.items() if etree.QName(e).localname == "userTask"},
            lane_of=lane_of,
        )

    @property
    def gateway_branches(self) -> frozenset[str]:
        return frozenset(f for f, (source, _) in self.flows.items() if source in self.gateways)

    def property_of(self, activity: str, name: str) -> str | None:
        found = self.user_tasks[activity].find(
            f"bpmn:extensionElements/spiffworkflow:properties/spiffworkflow:property[@name='{name}']", NS
        )
        return None if found is None else found.get("value")

    def reached(self, completed: Iterable[str]) -> set[str]:
        """The flow nodes a case with these completed activities provably reached.

        The completed ones, plus every boundary event whose outgoing flow leads to a completed node
        that nothing else leads to: a non-interrupting cycle timer keeps waiting after each firing
        (SpiffWorkflow marks it completed only once its cycles run out, and cancels it with its
        activity), so its firing shows in the work it started.
        """
        done = set(completed)
        for source, target in self.flows.values():
            only_way_in = all(s == source for s, t in self.flows.values() if t == target)
            if source in self.boundary_events and target in done and only_way_in:
                done.add(source)
        return done

    def flows_taken(self, completed: Iterable[str]) -> set[str]:
        """The flows a case with these completed activities provably went along.

        A flow is proven when its source was reached and it is the source's only outgoing flow, or when
        source and target were reached and no other flow into the target comes from a reached node.
        """
        done = self.reached(completed)
        taken: set[str] = set()
        for flow, (source, target) in self.flows.items():
            if source not in done:
                continue
            if sum(1 for s, _ in self.flows.values() if s == source) == 1:
                taken.add(flow)
                continue
            other_sources = {s for f, (s, t) in self.flows.items() if t == target and f != flow}
            if target in done and not other_sources & done:
                taken.add(flow)
        return taken
