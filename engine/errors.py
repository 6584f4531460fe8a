"""Domain errors. Each carries a stable ``code``; the web layer maps classes to HTTP statuses."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Problem:
    """One precise complaint about input or a model: where it is and what is wrong."""

    code: str
    message: str
    field: str | None = None  # a JSON Pointer into submitted data
    file: str | None = None
    line: int | None = None
    element_id: str | None = None


class EngineError(Exception):
    """Base of every error the engine raises on purpose."""

    code = "engine_error"

    def __init__(self, message: str, *, code: str | None = None, problems: list[Problem] | None = None):
        super().__init__(message)
        self.message = message
        if code is not None:
            self.code = code
        self.problems: list[Problem] = list(problems or [])


class NotFound(EngineError):
    code = "not_found"


class Forbidden(EngineError):
    code = "forbidden"


class Unauthenticated(EngineError):
    code = "unauthenticated"


class Conflict(EngineError):
    code = "conflict"


class InvalidInput(EngineError):
    code = "invalid_input"


class InvalidModel(EngineError):
    code = "invalid_model"


class TooLarge(EngineError):
    code = "too_large"


class Unavailable(EngineError):
    """The database cannot be reached (or the configured URL is unusable)."""

    code = "database_unavailable"


class DatabaseBusy(Unavailable):
    """The command could not get the database within the lock wait (another command holds it); retry."""

    code = "database_busy"


@dataclass
class ProblemList:
    """Collects problems and raises them together, so a designer sees every mistake at once."""

    problems: list[Problem] = field(default_factory=list)

    def add(self, problem: Problem) -> None:
        self.problems.append(problem)

    def raise_if_any(self, message: str, error: type[EngineError] = InvalidModel) -> None:
        if self.problems:
            raise error(message, problems=self.problems)


class SignInLocked(Unauthenticated):
    """Too many failed sign-ins: answered like a wrong password, plus how long to wait."""

    code = "bad_credentials"

    def __init__(self, message: str, *, retry_after: int) -> None:
        super().__init__(message)
        self.retry_after = retry_after
