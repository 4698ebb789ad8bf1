"""One exception root for filon; every message is written for the analyst who will read it.

Subclasses also inherit the fitting builtin so callers can catch either. The CLI maps
these to exit codes in one place (`filon.cli.main`); domain code never prints tracebacks.
"""

from __future__ import annotations


class FilonError(Exception):
    """Root of every error filon raises on purpose. `str(err)` is shown to the user."""

    exit_code = 1


class UsageError(FilonError, ValueError):
    """The command was called wrongly (missing folder, unknown option value)."""

    exit_code = 2


class InvalidData(FilonError, ValueError):
    """Input data breaks the standard. The message names file, row, column and the fix."""

    def __init__(self, message: str, *, file: str | None = None, row: int | None = None,
                 column: str | None = None, value: str | None = None, fix: str | None = None) -> None:
        self.file, self.row, self.column, self.value, self.fix = file, row, column, value, fix
        where = ", ".join(p for p in (
            f"file {file}" if file else "",
            f"row {row}" if row is not None else "",
            f"column '{column}'" if column else "",
        ) if p)
        text = f"{where}: {message}" if where else message
        if value is not None:
            text += f" (value: {value!r})"
        if fix:
            text += f". Fix: {fix}"
        super().__init__(text)


class WorkspaceError(FilonError, RuntimeError):
    """The workspace is missing, locked or inconsistent."""


class DetectorError(FilonError, RuntimeError):
    """A detector failed; the message names the detector and what it needed."""
