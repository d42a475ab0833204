"""How the application speaks to its user: one exception family, each error carrying every
problem found at once (file, row, field, YAML line), and the progress hooks long jobs report to
(the CLI draws them as progress bars and warnings; the default does nothing).

Imports nothing from the planner or the engine.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Problem:
    """One thing wrong with the user's input, located as precisely as we can."""

    file: str | None
    message: str
    row: int | None = None  # CSV: line number in the file (header = 1); other formats: feature number
    field: str | None = None
    line: int | None = None  # YAML line number

    def __str__(self) -> str:
        where = []
        if self.file:
            where.append(self.file)
        if self.line is not None:
            where.append(f"line {self.line}")
        if self.row is not None:
            where.append(f"row {self.row}")
        if self.field:
            where.append(f"field '{self.field}'")
        prefix = ", ".join(where)
        return f"{prefix}: {self.message}" if prefix else self.message


class PlannerError(Exception):
    """Base class of every error the CLI reports as a message (never a traceback)."""

    def __init__(self, message: str, problems: list[Problem] | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.problems = list(problems or [])

    def __str__(self) -> str:
        if not self.problems:
            return self.message
        shown = self.problems[:50]
        lines = [self.message] + [f"  - {p}" for p in shown]
        if len(self.problems) > len(shown):
            lines.append(f"  ... and {len(self.problems) - len(shown)} more")
        return "\n".join(lines)


class ScenarioError(PlannerError):
    """The scenario file is invalid."""


class DataError(PlannerError):
    """An input data file is invalid."""


class PlanExistsError(PlannerError):
    """Refusing to overwrite an existing plan folder."""


class PlanFormatError(PlannerError):
    """A plan folder is incomplete or unreadable."""


class ValidationFailed(PlannerError):
    """A plan failed independent validation."""


class ProblemCollector:
    """Collects :class:`Problem` items and raises them together."""

    def __init__(self) -> None:
        self.problems: list[Problem] = []

    def add(self, file: str | None, message: str, *, row: int | None = None,
            field: str | None = None, line: int | None = None) -> None:
        self.problems.append(Problem(file, message, row=row, field=field, line=line))

    def __bool__(self) -> bool:
        return bool(self.problems)

    def raise_if_any(self, exc: type[PlannerError], message: str) -> None:
        if self.problems:
            n = len(self.problems)
            raise exc(f"{message} ({n} problem{'s' if n != 1 else ''})", self.problems)


class Progress:
    """Progress reporting hooks; the CLI passes a rich-based implementation, tests the default."""

    def step(self, message: str) -> None:  # a phase starts
        pass

    @contextlib.contextmanager
    def task(self, description: str, total: int) -> Iterator[Callable[..., None]]:
        """A bounded task: the context yields ``advance(n=1)``."""
        yield lambda n=1: None

    def warn(self, message: str) -> None:
        pass
