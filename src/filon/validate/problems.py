"""What validation finds, in a form both people (Rich table) and machines (JSON) can read.

Problems of the same kind in the same column are grouped: a file with a million bad
dates gives one group with its count and the first few rows as examples, not a million
lines of output.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from typing import Literal

Severity = Literal["error", "warning"]

#: How many example rows are kept per (file, column, code) group.
MAX_EXAMPLES = 10


@dataclass
class Problem:
    """One problem found in one place (or a group of them, see `count`)."""

    severity: Severity
    code: str
    message: str
    fix: str
    file: str
    table: str | None = None
    row: int | None = None
    column: str | None = None
    value: str | None = None
    count: int = 1

    def describe(self) -> str:
        """One line for logs and exceptions."""
        where = self.file + (f", row {self.row}" if self.row is not None else "") + (
            f", column '{self.column}'" if self.column else "")
        val = f" (value: {_short(self.value)!r})" if self.value is not None else ""
        more = f" [{self.count} rows like this]" if self.count > 1 else ""
        return f"{self.severity.upper()} {where}: {self.message}{val}. Fix: {self.fix}{more}"


def _short(value: str | None, limit: int = 80) -> str | None:
    if value is None or len(value) <= limit:
        return value
    return value[: limit - 1] + "…"


@dataclass
class ValidationReport:
    """Everything found in a package, plus what was read."""

    package: str
    problems: list[Problem] = field(default_factory=list)
    rows_read: dict[str, int] = field(default_factory=dict)
    files: dict[str, str] = field(default_factory=dict)  # table -> file path

    @property
    def errors(self) -> list[Problem]:
        return [p for p in self.problems if p.severity == "error"]

    @property
    def warnings(self) -> list[Problem]:
        return [p for p in self.problems if p.severity == "warning"]

    @property
    def valid(self) -> bool:
        return not self.errors

    def error_count(self) -> int:
        """Number of failing cells or rows (groups count all their members)."""
        return sum(p.count for p in self.errors)

    def add(self, problem: Problem) -> None:
        self.problems.append(problem)

    def to_dict(self) -> dict[str, object]:
        return {
            "package": self.package,
            "valid": self.valid,
            "errors": self.error_count(),
            "warnings": sum(p.count for p in self.warnings),
            "rows_read": self.rows_read,
            "files": self.files,
            "problems": [_public(p) for p in self.problems],
        }

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), indent=2, ensure_ascii=False)


def _public(problem: Problem) -> dict[str, object]:
    data = asdict(problem)
    data["value"] = _short(problem.value, 200)
    return data
