"""Wutong's engine: deploy BPMN, run cases across departments, keep every case safe in the database.

Never imports Flask or the web layer. Services by role hang off ``ProcessEngine``:
``repository`` (designers), ``runtime`` (cases, messages, timers), ``tasks`` (staff),
``identity`` (users, departments, tokens) and ``history`` (audit).
"""

from engine.actors import SYSTEM, Actor
from engine.clock import Clock, FrozenClock, SystemClock
from engine.config import EngineConfig
from engine.core import ProcessEngine
from engine.errors import (
    Conflict,
    DatabaseBusy,
    EngineError,
    Forbidden,
    InvalidInput,
    InvalidModel,
    NotFound,
    Problem,
    TooLarge,
    Unauthenticated,
    Unavailable,
)

__all__ = [
    "SYSTEM",
    "Actor",
    "Clock",
    "Conflict",
    "DatabaseBusy",
    "EngineConfig",
    "EngineError",
    "Forbidden",
    "FrozenClock",
    "InvalidInput",
    "InvalidModel",
    "NotFound",
    "Problem",
    "ProcessEngine",
    "SystemClock",
    "TooLarge",
    "Unauthenticated",
    "Unavailable",
]
