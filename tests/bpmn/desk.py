"""Driving shipped processes through the engine services, as the right user at every step.

``Desk`` starts cases and completes tasks; every completion is done by a user who may do it (a staff
member of the task's department, or the applicant a task is assigned to) and is recorded, so tests
can check routing afterwards. With ``check_forms`` on, every completion is preceded by one attempt
per required field with that field left out, each of which must be refused with nothing changed.

``ModelIndex`` reads a deployed process's XML: flow nodes, gateway branches, lanes, user tasks.
"""

from __future__ import annotations

import copy
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from lxml import etree

from engine import SYSTEM, EngineConfig, FrozenClock, InvalidInput, ProcessEngine
from engine.actors import Actor
from engine.results import CompletionResult, InstanceView, TaskSummary
from engine.runtime.sandbox import SandboxLimits
from engine.services.identity import actor_for

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
APPLICANT = "jinggong.applicant"
STARTER = "ops_center.staff1"


def make_engine(database_url: str, clock: FrozenClock) -> ProcessEngine:
    return ProcessEngine(EngineConfig(database_url=database_url, sandbox=SandboxLimits(max_seconds=2.0)), clock=clock)


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
    """Where a completed task was routed and who completed it."""

    case: str
    activity_id: str
    department: str | None
    assignee: str | None
    completed_by: str


@dataclass
class Desk:
    engine: ProcessEngine
    org: Org
    check_forms: bool = False
    routed: list[Routed] = field(default_factory=list)
    forms_checked: dict[str, list[str]] = field(default_factory=dict)  # activity id -> fields left out
    instructions: dict[str, list[str | None]] = field(default_factory=dict)  # activity id -> as rendered

    # --- cases ---------------------------------------------------------------------------------

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

    def view(self, case: str) -> InstanceView:
        return self.engine.runtime.get(self.org["admin"], case)

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

    def actor_for(self, task: TaskSummary) -> Actor:
        if task.assignee is not None:
            return self.org.by_id(task.assignee)
        assert task.department is not None, task
        return self.org.staff_of(task.department)

    def complete(
        self,
        case: str,
        activity: str,
        data: Mapping[str, Any],
        *,
        department: str | None = None,
        by: str | None = None,
    ) -> CompletionResult:
        task = self.task(case, activity, department)
        actor = self.org[by] if by is not None else self.actor_for(task)
        self.instructions.setdefault(task.activity_id, []).append(self.engine.tasks.get(actor, task.id).instructions)
        if self.check_forms:
            self._refuse_each_missing_field(case, task, actor, data)
        result = self.engine.tasks.complete(actor, task.id, copy.deepcopy(dict(data)))
        assert result.case_state != "error", self.view(case).incidents
        self.routed.append(Routed(case, activity, task.department, task.assignee, actor.username))
        return result

    def _refuse_each_missing_field(self, case: str, task: TaskSummary, actor: Actor, data: Mapping[str, Any]) -> None:
        form = self.engine.tasks.get(actor, task.id).form
        assert form is not None, f"{task.activity_id} has no form"
        before = self.view(case)
        left_out: list[str] = []
        for name in form.get("required", []):
            assert name in data, f"the scenario's data for {task.activity_id} lacks the required {name}"
            partial = {k: v for k, v in data.items() if k != name}
            try:
                self.engine.tasks.complete(actor, task.id, partial)
            except InvalidInput as error:
                fields = [p.field for p in error.problems]
                assert f"/{name}" in fields, (task.activity_id, name, fields)
            else:
                raise AssertionError(f"{task.activity_id} accepted data without {name}")
            left_out.append(name)
        after = self.view(case)
        assert after.row_version == before.row_version
        assert after.variables == before.variables
        assert self.engine.tasks.get(actor, task.id).state in ("open", "claimed")
        self.forms_checked.setdefault(task.activity_id, []).extend(left_out)

    # --- messages ------------------------------------------------------------------------------

    def deliver(self, name: str, payload: Mapping[str, Any], *, by: str, **target: Any) -> tuple[str, ...]:
        return self.engine.runtime.deliver_message(self.org[by], name, payload=dict(payload), **target).delivered_to


# --- the deployed XML ---------------------------------------------------------------------------


@dataclass(frozen=True)
class ModelIndex:
    """What a deployed process consists of, read from its XML."""

    key: str
    flow_nodes: frozenset[str]
    flows: Mapping[str, tuple[str, str]]  # flow id -> (source, target)
    gateways: frozenset[str]
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

    def flows_taken(self, completed: Iterable[str]) -> set[str]:
        """The flows a case with these completed activities provably went along.

        A flow is proven when its source completed and it is the source's only outgoing flow, or when
        source and target completed and no other flow into the target comes from a completed node.
        """
        done = set(completed)
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


def model_index(engine: ProcessEngine, key: str) -> ModelIndex:
    definition = engine.repository.list_definitions(SYSTEM, key=key, latest=True)[0]
    return ModelIndex.read(engine.repository.get_xml(SYSTEM, definition.id), key)
