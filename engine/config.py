"""Engine settings, read from the environment by the entry points and passed in explicitly."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from datetime import time
from pathlib import Path
from zoneinfo import ZoneInfo

from engine.audit_chain import AuditKeyring
from engine.persistence.database import DEFAULT_LOCK_WAIT_SECONDS, redacted_url
from engine.spiff.parsing import ParseLimits
from engine.spiff.sandbox import SandboxLimits
from engine.working_calendar import WorkdayPolicy

__all__ = [
    "DEFAULT_LOCK_WAIT_SECONDS", "EngineConfig", "ParseLimits", "SandboxLimits", "default_database_url", "redacted_url",
]


def default_database_url() -> str:
    return f"sqlite:///{Path('var/wutong.db').absolute()}"


@dataclass(frozen=True)
class EngineConfig:
    """Everything the engine needs to know that is not in the database."""

    database_url: str = field(default_factory=default_database_url)
    sandbox: SandboxLimits = field(default_factory=SandboxLimits)
    parse: ParseLimits = field(default_factory=ParseLimits)
    time_zone: str = "Asia/Shanghai"  # where working days and close of business are counted
    close_of_business: str = "18:00"
    due_soon_working_days: int = 1
    cache_cases: bool = True  # keep live workflows between commands (checked against row_version)
    max_cached_cases: int = 2000
    count_cap: int = 10_000  # task and case lists count their total up to this many (then say "capped")
    sqlite_synchronous: str = "FULL"
    # audit chain: the MAC key (never in the database) and where signed digests of the chain heads go
    audit_keys: AuditKeyring | None = field(default_factory=AuditKeyring.from_env)
    audit_digest_dir: str | None = field(default_factory=lambda: os.environ.get("WUTONG_AUDIT_DIGEST_DIR") or None)
    lock_wait_seconds: float = DEFAULT_LOCK_WAIT_SECONDS  # then a command gives up: database_busy

    def workday_policy(self) -> WorkdayPolicy:
        hours, minutes = (int(part) for part in self.close_of_business.split(":"))
        return WorkdayPolicy(ZoneInfo(self.time_zone), time(hours, minutes), self.due_soon_working_days)

    @classmethod
    def from_env(cls) -> EngineConfig:
        env = os.environ
        sandbox = SandboxLimits(
            max_steps=int(env.get("WUTONG_SANDBOX_MAX_STEPS", SandboxLimits.max_steps)),
            max_seconds=float(env.get("WUTONG_SANDBOX_MAX_SECONDS", SandboxLimits.max_seconds)),
            max_result_size=int(env.get("WUTONG_SANDBOX_MAX_RESULT_SIZE", SandboxLimits.max_result_size)),
            max_int_bits=int(env.get("WUTONG_SANDBOX_MAX_INT_BITS", SandboxLimits.max_int_bits)),
            max_allocated_items=int(env.get("WUTONG_SANDBOX_MAX_ALLOCATED_ITEMS", SandboxLimits.max_allocated_items)),
            max_command_seconds=float(env.get("WUTONG_SANDBOX_MAX_COMMAND_SECONDS", SandboxLimits.max_command_seconds)),
            max_stored_bytes=int(env.get("WUTONG_SANDBOX_MAX_STORED_BYTES", SandboxLimits.max_stored_bytes)),
            max_command_stored_bytes=int(
                env.get("WUTONG_SANDBOX_MAX_COMMAND_STORED_BYTES", SandboxLimits.max_command_stored_bytes)
            ),
            isolation=env.get("WUTONG_SANDBOX_ISOLATION", SandboxLimits.isolation),
            max_memory_mb=int(env.get("WUTONG_SANDBOX_MAX_MEMORY_MB", SandboxLimits.max_memory_mb)),
            workers=int(env.get("WUTONG_SANDBOX_WORKERS", SandboxLimits.workers)),
        )
        parse = ParseLimits(
            max_file_bytes=int(env.get("WUTONG_MAX_UPLOAD_FILE_BYTES", ParseLimits.max_file_bytes)),
            max_total_bytes=int(env.get("WUTONG_MAX_UPLOAD_BYTES", ParseLimits.max_total_bytes)),
        )
        return cls(
            database_url=env.get("WUTONG_DATABASE_URL") or default_database_url(),
            sandbox=sandbox,
            parse=parse,
            cache_cases=env.get("WUTONG_CACHE_CASES", "1") != "0",
            count_cap=int(env.get("WUTONG_COUNT_CAP", "10000")),
            time_zone=env.get("WUTONG_TIME_ZONE", "Asia/Shanghai"),
            close_of_business=env.get("WUTONG_CLOSE_OF_BUSINESS", "18:00"),
            due_soon_working_days=int(env.get("WUTONG_DUE_SOON_WORKING_DAYS", "1")),
            sqlite_synchronous=env.get("WUTONG_SQLITE_SYNCHRONOUS", "FULL"),
            lock_wait_seconds=float(env.get("WUTONG_DB_LOCK_WAIT_SECONDS", DEFAULT_LOCK_WAIT_SECONDS)),
        )
