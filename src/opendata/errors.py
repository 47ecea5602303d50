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
        return printable(" ".join(parts))


def printable(text: str, limit: int = 400) -> str:
    """TEXT on one line: whitespace runs become one space, other control characters are escaped,
    and it is cut at LIMIT characters (a message may quote hostile bytes)."""
    flat = " ".join(text.split())
    clean = "".join(
        ch if ch.isprintable() else ch.encode("unicode_escape").decode("ascii") for ch in flat
    )
    return clean if len(clean) <= limit else clean[: limit - 1] + "…"


class CouldNotRun(OpendataError):
    """The input cannot be read at all: exit 2."""

    exit_code = 2


class Refused(OpendataError):
    """The command ran but refuses to act (invalid package, existing version, bad checksum): exit 1."""

    exit_code = 1


def from_unexpected(exc: BaseException) -> CouldNotRun:
    """A one-line CouldNotRun for an exception no layer turned into one: the last safety net."""
    if isinstance(exc, OSError):
        path = exc.filename if isinstance(exc.filename, str) else None
        what = exc.strerror or type(exc).__name__
        hint = {
            PermissionError: "check the file's permissions",
            FileNotFoundError: "check the path",
            IsADirectoryError: "give a file, not a folder",
            NotADirectoryError: "give a folder, not a file",
            FileExistsError: "remove it or choose another path",
        }.get(type(exc), "check the file system")
        return CouldNotRun(f"cannot read or write: {what}", path=path, hint=hint)
    if isinstance(exc, UnicodeError):
        return CouldNotRun(f"text is not in the expected encoding ({exc})", hint="save it as UTF-8")
    if isinstance(exc, MemoryError):
        return CouldNotRun("out of memory", hint="try a smaller --chunk-mb or a smaller input")
    if isinstance(exc, RecursionError):
        return CouldNotRun("input is nested too deeply", hint="flatten the structure")
    if isinstance(exc, OverflowError):
        return CouldNotRun(f"a number is out of range ({exc})", hint="use a smaller value")
    text = " ".join(str(exc).split())[:300] or type(exc).__name__
    return CouldNotRun(
        f"malformed input or unexpected failure: {type(exc).__name__}: {text}",
        hint="check the descriptor, schemas and files it names; report it if they are well-formed",
    )
