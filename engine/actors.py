"""Who is acting: the engine decides what an actor may do; the web layer only says who it is."""

from __future__ import annotations

from dataclasses import dataclass, field

ROLES = ("designer", "staff", "supervisor", "auditor", "leader", "admin", "applicant", "bridge")
# "leader": reads the ledger and every report, changes nothing (issue 11)
# "bridge": a delivery bridge (SMS, e-mail, DingTalk) that reads every user's notifications and marks them sent
STAFF_ROLES = frozenset({"designer", "staff", "supervisor", "auditor", "admin"})


@dataclass(frozen=True)
class Actor:
    """An authenticated user (or the command line's ``system``) and what they belong to."""

    user_id: str | None
    username: str
    roles: frozenset[str] = field(default_factory=frozenset)
    departments: frozenset[str] = field(default_factory=frozenset)
    company_id: str | None = None

    def has(self, role: str) -> bool:
        return role in self.roles

    @property
    def is_admin(self) -> bool:
        return "admin" in self.roles

    @property
    def is_auditor(self) -> bool:
        return "auditor" in self.roles

    @property
    def sees_everything(self) -> bool:
        return self.is_admin or self.is_auditor

    @property
    def reads_every_case(self) -> bool:
        """Auditors, admins and leaders read every case (leaders open the ledger's cases, read-only:
        they see no department's task list and act on nothing)."""
        return self.sees_everything or "leader" in self.roles

    @property
    def reads_every_report(self) -> bool:
        """Auditors, leaders and admins read the whole ledger and every report."""
        return self.sees_everything or "leader" in self.roles

    @property
    def is_applicant(self) -> bool:
        return "applicant" in self.roles


SYSTEM = Actor(user_id=None, username="system", roles=frozenset({"admin"}))
