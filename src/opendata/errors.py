"""Exceptions for "could not run" and "refused" outcomes; problems in data are Issues instead."""

from __future__ import annotations


class OpendataError(Exception):
    """A failure the user can act on; carries the process exit code."""

    exit_code = 2

    def __init__(self, message: str, *, path: str | None = None, hint: str | None = None) -> None:
        self.path = path
        self.hint = hint
        super().__init__(message)

    @property
    def one_line(self) -> str:
        """The message as one line: where, what, and the fix."""
        parts = []
        if self.path:
            parts.append(f"{self.path}:")
        parts.append(str(self))
        if self.hint:
            parts.append(f"({self.hint})")
        return " ".join(parts).replace("\n", " ")


class CouldNotRun(OpendataError):
    """The input cannot be read at all: exit 2."""

    exit_code = 2


class Refused(OpendataError):
    """The command ran but refuses to act (invalid package, existing version, bad checksum): exit 1."""

    exit_code = 1
