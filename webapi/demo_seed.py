"""``wutong demo seed``: a year of enterprise problems (一口受理) driven through the engine's own services.

Cases start at random working-hour moments spread over the year, with varied companies, sources and
categories (so the routing table picks varied lead and assisting departments); about one in twenty is
referred elsewhere, the rest are handled (claimed first, then completed, early or late against the
step's limit), confirmed and rated by the company (mostly satisfied), sometimes reopened after a poor
rating, and struck off. Every action is a real command as the right demo user, on an injected frozen
clock moved to the action's moment; actions that would fall after the year's end are not taken, so
the last weeks' cases stay open. The same ``seed`` gives the same cases.
"""

from __future__ import annotations

import heapq
import random
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from engine import SYSTEM, FrozenClock, ProcessEngine
from engine.actors import Actor
from engine.results import TaskSummary
from engine.services.identity_users import actor_for

CATEGORIES = (
    ("land_construction", 3), ("water_power", 3), ("planning", 2), ("financing", 2), ("premises_transport", 2),
    ("talent_recruitment", 2), ("schooling_housing", 2), ("other", 1),
)
SOURCES = ("visit", "reception_day", "hotline", "online")
COMPANIES = (
    "河南嵩岳新材料科技有限公司", "郑州梧桐精工机械有限公司", "郑州高新智能装备有限公司", "中原光电科技有限公司",
    "郑州芯源半导体有限公司", "河南绿能环保科技有限公司", "郑州云图信息技术有限公司", "河南汇丰食品有限公司",
    "郑州恒达物流有限公司", "河南天健医疗器械有限公司", "郑州博远新能源有限公司", "河南星河生物科技有限公司",
)
APPLICANTS = ("songyue.applicant", "jinggong.applicant")
REPLY = {"handling_measures": "现场核实，协调相关部门制定解决方案", "reply_to_company": "已协调解决", "resolved": True}


@dataclass(frozen=True)
class SeedResult:
    cases: int
    commands: int
    seconds: float


class _Seeder:
    def __init__(self, engine: ProcessEngine, clock: FrozenClock, year: int, seed: int) -> None:
        self.engine = engine
        self.clock = clock
        self.rng = random.Random(seed)
        self.zone: ZoneInfo = engine.policy.zone
        self.end = datetime(year + 1, 1, 1, tzinfo=self.zone).astimezone(UTC)
        self.year = year
        self.actors: dict[str, Actor] = {}
        self.queue: list[tuple[datetime, int, Callable[[], None]]] = []
        self.order = 0
        self.commands = 0
        self.scheduled: set[tuple[str, datetime]] = set()  # task instances already planned

    def actor(self, username: str) -> Actor:
        if username not in self.actors:
            user = self.engine.identity.find_user(username)
            self.actors[username] = self.engine.query(lambda c: actor_for(c, user.id))
        return self.actors[username]

    def staff(self, department: str | None) -> Actor:
        return self.actor(f"{department}.staff{self.rng.choice((1, 2))}")

    def at(self, moment: datetime, action: Callable[[], None]) -> None:
        if moment < self.end:
            self.order += 1
            heapq.heappush(self.queue, (moment, self.order, action))

    def later(self, after: datetime, working_days: float) -> datetime:
        """A working-hour moment about ``working_days`` working days after ``after``."""
        whole = int(working_days)
        day = self.engine.calendar.add_working_days(after.astimezone(self.zone).date(), whole) if whole else (
            after.astimezone(self.zone).date())
        minutes = self.rng.randint(9 * 60, 17 * 60)
        moment = datetime.combine(day, time(minutes // 60, minutes % 60), tzinfo=self.zone).astimezone(UTC)
        return max(moment, after + timedelta(minutes=self.rng.randint(10, 90)))

    def run(self) -> None:
        while self.queue:
            moment, _, action = heapq.heappop(self.queue)
            self.clock.set(moment)
            action()
            self.commands += 1

    # --- one case ------------------------------------------------------------------------------

    def start(self, moment: datetime) -> None:
        applicant = self.actor(self.rng.choice(APPLICANTS))
        opener = self.actor(f"ops_center.staff{self.rng.choice((1, 2))}")

        def act() -> None:
            view = self.engine.runtime.start(opener, "enterprise_problem", applicant_id=applicant.user_id)
            self.next_steps(view.id, view.open_tasks, {})

        self.at(moment, act)

    def next_steps(self, case: str, open_tasks: tuple[TaskSummary, ...], plan: dict[str, Any]) -> None:
        for task in open_tasks:
            if task.kind != "user" or task.state not in ("open", "claimed"):
                continue
            if (task.id, task.created_at) in self.scheduled:
                continue
            self.scheduled.add((task.id, task.created_at))
            step = getattr(self, f"_{task.activity_id}", None)
            if step is not None:
                step(case, task, plan)

    def complete(self, case: str, task: TaskSummary, by: Actor, data: dict[str, Any], plan: dict[str, Any],
                 when: datetime, claim: bool = False) -> None:
        if claim:
            def take() -> None:
                self.engine.tasks.claim(by, task.id)

            self.at(max(task.created_at, when - timedelta(minutes=self.rng.randint(5, 120))), take)

        def act() -> None:
            self.engine.tasks.complete(by, task.id, data)
            # the completion answers only what its actor may see: read every open step as the system
            self.next_steps(case, self.engine.runtime.get(SYSTEM, case).open_tasks, plan)

        self.at(when, act)

    def _accept_problem(self, case: str, task: TaskSummary, plan: dict[str, Any]) -> None:
        category = self.rng.choices([c for c, _ in CATEGORIES], [w for _, w in CATEGORIES])[0]
        refer = self.rng.random() < 0.05
        data: dict[str, Any] = {
            "company_name": self.rng.choice(COMPANIES), "source": self.rng.choice(SOURCES), "category": category,
            "problem_description": "企业反映的问题（演示数据）", "contact_person": "联系人",
            "contact_phone": f"0371-{self.rng.randint(60000000, 69999999)}",
            "acceptance": "refer" if refer else "accept",
        }
        if refer:
            data.update(referral_reason="不属于园区受理范围", referred_to="郑州高新区人民法院")
        plan["late"] = self.rng.random() < 0.2
        plan["reopens"] = 1 if self.rng.random() < 0.08 else 0
        when = self.later(task.created_at, self.rng.choice((0, 0, 1)))
        self.complete(case, task, self.staff(task.department), data, plan, when)

    def _lead_handle(self, case: str, task: TaskSummary, plan: dict[str, Any]) -> None:
        limit = self.engine.calendar.working_days_between(task.created_at, task.due_at) if task.due_at else 10
        days = limit + self.rng.randint(1, 6) if plan.get("late") else self.rng.randint(1, max(1, limit - 1))
        self.complete(case, task, self.staff(task.department), dict(REPLY), plan, self.later(task.created_at, days),
                      claim=self.rng.random() < 0.7)

    _lead_rehandle = _lead_handle

    def _assist_handle(self, case: str, task: TaskSummary, plan: dict[str, Any]) -> None:
        when = self.later(task.created_at, self.rng.randint(1, 4))
        self.complete(case, task, self.staff(task.department), {"assist_opinion": "同意承办部门方案"}, plan, when)

    def _applicant_confirm(self, case: str, task: TaskSummary, plan: dict[str, Any]) -> None:
        reopen = plan.get("reopens", 0) > 0
        rating = self.rng.choice((1, 2)) if reopen else self.rng.choices((5, 4, 3, 2, 1), (55, 25, 10, 6, 4))[0]
        data = {"result_accepted": not reopen, "satisfaction": rating, "feedback": "演示评价"}
        by = self.actor_by_id(task.assignee)
        self.complete(case, task, by, data, plan, self.later(task.created_at, self.rng.randint(0, 2)))

    def _center_review(self, case: str, task: TaskSummary, plan: dict[str, Any]) -> None:
        reopen = plan.get("reopens", 0) > 0
        if reopen:
            plan["reopens"] -= 1
            plan["late"] = False
        data = {"close_decision": "reopen" if reopen else "strike_off", "review_opinion": "审核意见"}
        self.complete(case, task, self.staff(task.department), data, plan, self.later(task.created_at, 1))

    def actor_by_id(self, user_id: str | None) -> Actor:
        assert user_id is not None
        for actor in self.actors.values():
            if actor.user_id == user_id:
                return actor
        found = self.engine.query(lambda c: actor_for(c, user_id))
        self.actors[found.username] = found
        return found


def seed(engine: ProcessEngine, clock: FrozenClock, *, cases: int, year: int, seed_value: int = 2019) -> SeedResult:
    """Seed ``cases`` enterprise problems over ``year``; the demo organisation must be loaded."""
    import time as timer

    seeder = _Seeder(engine, clock, year, seed_value)
    first = date(year, 1, 1)
    days = [first + timedelta(days=n) for n in range((date(year + 1, 1, 1) - first).days)]
    working = [d for d in days if engine.calendar.is_working_day(d)]
    for _ in range(cases):
        day = seeder.rng.choice(working)
        minutes = seeder.rng.randint(8 * 60 + 30, 17 * 60)
        seeder.start(datetime.combine(day, time(minutes // 60, minutes % 60), tzinfo=seeder.zone).astimezone(UTC))
    began = timer.perf_counter()
    seeder.run()
    return SeedResult(cases, seeder.commands, timer.perf_counter() - began)
