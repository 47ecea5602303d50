"""Reading metadata files (descriptors, schemas, checks files, catalog indexes) safely.

Every such file is bounded in size and nesting and must be a regular file; JSON and YAML parse
errors become one-line `CouldNotRun`s; `check_shape` holds a value to a JSON Schema of
`opendata/shapes/` before the code relies on its shape.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from opendata.errors import CouldNotRun

YAML_SUFFIXES = (".yaml", ".yml")


# A descriptor, schema, checks file or catalog index is metadata: bounded in size and nesting,
# so a hostile one cannot take the memory, the stack or (a FIFO, a device) the process itself.
MAX_JSON_BYTES = 32 << 20
MAX_JSON_DEPTH = 64


def read_bounded(path: Path, *, what: str, limit: int = MAX_JSON_BYTES) -> bytes:
    """The bytes of a regular file of at most LIMIT bytes; anything else is a one-line CouldNotRun."""
    import os
    import stat

    try:
        # O_NONBLOCK: opening a FIFO for reading must not wait for a writer that never comes.
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK)
    except FileNotFoundError:
        raise CouldNotRun(f"{what} not found", path=str(path), hint="check the path") from None
    except IsADirectoryError:
        raise CouldNotRun(f"{what} is a directory, not a file", path=str(path)) from None
    except OSError as exc:
        raise CouldNotRun(f"cannot read {what}: {exc.strerror}", path=str(path)) from None
    try:
        info = os.fstat(fd)
        if stat.S_ISDIR(info.st_mode):
            raise CouldNotRun(f"{what} is a directory, not a file", path=str(path))
        if not stat.S_ISREG(info.st_mode):
            raise CouldNotRun(
                f"{what} is not a regular file (a pipe, socket or device)",
                path=str(path),
                hint="give a regular file",
            )
        if info.st_size > limit:
            raise CouldNotRun(
                f"{what} is {info.st_size} bytes, more than the {limit} allowed",
                path=str(path),
                hint="metadata this large is a mistake; keep data in data files",
            )
        with os.fdopen(fd, "rb", closefd=True) as fh:
            fd = -1
            raw = fh.read(limit + 1)
    except OSError as exc:
        raise CouldNotRun(f"cannot read {what}: {exc.strerror}", path=str(path)) from None
    finally:
        if fd >= 0:
            os.close(fd)
    if len(raw) > limit:
        raise CouldNotRun(f"{what} is larger than the {limit} bytes allowed", path=str(path))
    return raw


def parse_json(raw: bytes, *, what: str, where: str) -> Any:
    """Parse JSON bytes (UTF-8, optional BOM) of bounded nesting; every failure is a CouldNotRun."""
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise CouldNotRun(
            f"{what} is not UTF-8 (byte {exc.start})", path=where, hint="save it as UTF-8"
        ) from None
    if _nesting(text) > MAX_JSON_DEPTH:
        raise CouldNotRun(
            f"{what} is nested more than {MAX_JSON_DEPTH} levels deep",
            path=where,
            hint="flatten the structure",
        )
    try:
        return json.loads(text, parse_constant=_no_constant)
    except json.JSONDecodeError as exc:
        raise CouldNotRun(
            f"{what} is not valid JSON: {exc.msg} at line {exc.lineno} column {exc.colno}",
            path=where,
            hint="fix the JSON syntax",
        ) from None
    except (RecursionError, ValueError) as exc:
        raise CouldNotRun(f"{what} is not valid JSON: {exc}", path=where) from None


def _no_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


def _nesting(text: str) -> int:
    """The deepest nesting of brackets and braces outside strings (an upper bound, cheaply)."""
    import re

    depth = deepest = 0
    for m in re.finditer(r'"(?:[^"\\]|\\.)*"|[\[{]|[\]}]', text):
        token = m.group()
        if token in "[{":
            depth += 1
            deepest = max(deepest, depth)
        elif token in "]}":
            depth -= 1
    return deepest


def read_json(path: Path, *, what: str) -> Any:
    """Parse a JSON file, turning every failure into a one-line CouldNotRun."""
    return parse_json(read_bounded(path, what=what), what=what, where=str(path))


def read_metadata(path: Path, *, what: str) -> Any:
    """Parse a metadata file: YAML when it is named `.yaml`/`.yml`, JSON otherwise."""
    if path.suffix.lower() not in YAML_SUFFIXES:
        return read_json(path, what=what)
    from opendata.safe_yaml import parse_yaml

    raw = read_bounded(path, what=what)
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise CouldNotRun(
            f"{what} is not UTF-8 (byte {exc.start})", path=str(path), hint="save it as UTF-8"
        ) from None
    return parse_yaml(text, what=what, where=str(path), max_depth=MAX_JSON_DEPTH)


def shape_problem(value: Any, shape: str) -> str | None:
    """Where and how VALUE departs from `shapes/<shape>.json` (a JSON Schema), or None."""
    from opendata.schema_gate import conforms

    if conforms(value, _shape(shape)):
        return None  # jsonschema is imported only to say what is wrong
    import jsonschema

    validator = jsonschema.Draft202012Validator(_shape(shape))
    error = jsonschema.exceptions.best_match(validator.iter_errors(value))
    if error is None:
        return None
    at = "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in error.absolute_path)
    message = error.message if len(error.message) < 200 else error.message[:199] + "…"
    return f"at {at or 'the top'}: {message}"


def check_shape(value: Any, shape: str, *, what: str, where: str) -> None:
    """Refuse VALUE unless it has the shape `shapes/<shape>.json` (a JSON Schema) describes."""
    problem = shape_problem(value, shape)
    if problem is not None:
        raise CouldNotRun(
            f"{what} has the wrong shape {problem}",
            path=where,
            hint=f"see the shape opendata expects in opendata/shapes/{shape}.json",
        )


_SHAPES: dict[str, Any] = {}


def _shape(name: str) -> Any:
    """A JSON Schema from opendata/shapes/, loaded once."""
    if name not in _SHAPES:
        path = Path(__file__).parent / "shapes" / f"{name}.json"
        _SHAPES[name] = json.loads(path.read_text(encoding="utf-8"))
    return _SHAPES[name]
