"""Pattern constraints in bounded time: RE2 (linear, vectorised by Arrow) with Python's classes.

frictionless matches a cell with Python's `re`: `re.compile(f"^{pattern}$").match(cell)`, where
`\\w`, `\\d` and `\\s` are Unicode classes. Arrow's `match_substring_regex` is RE2, linear in the
cell but with ASCII classes, so each pattern is translated (`\\w` -> `[\\p{L}\\p{N}_]`, ...) and
anchored the same way. What RE2 cannot express (lookaround, backreferences, Unicode `\\b`,
possessive quantifiers) falls back to the `regex` package, which accepts `re`'s syntax and takes a
timeout: each column gets a time budget, and a `check-error` finding says when it ran out.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import pyarrow as pa

# Seconds of backtracking one column's pattern may take in all (the fallback only); the
# budget for a single cell is the same, so one catastrophic cell cannot take longer either.
BUDGET_SECONDS = 2.0

_WORD = r"\p{L}\p{N}_"
_DIGIT = r"\p{Nd}"
# str.isspace(): ASCII whitespace, the separators \x1c-\x1f, and Unicode's spaces.
_SPACE = (
    r"\t\n\x0b\x0c\r\x1c-\x1f \x{85}\x{a0}\x{1680}\x{2000}-\x{200a}\x{2028}\x{2029}"
    r"\x{202f}\x{205f}\x{3000}"
)
_CLASSES = {"w": _WORD, "d": _DIGIT, "s": _SPACE}


class Untranslatable(ValueError):
    """The pattern uses syntax with no RE2 equivalent."""


def to_re2(pattern: str) -> str:
    """The RE2 form of a Python pattern, with `re`'s Unicode classes; raises Untranslatable."""
    out: list[str] = []
    i, n, in_class = 0, len(pattern), False
    while i < n:
        ch = pattern[i]
        if ch == "\\" and i + 1 < n:
            nxt = pattern[i + 1]
            if nxt.lower() in _CLASSES:
                body = _CLASSES[nxt.lower()]
                if nxt.islower():
                    out.append(body if in_class else f"[{body}]")
                elif in_class:
                    raise Untranslatable(f"\\{nxt} inside a class")
                else:
                    out.append(f"[^{body}]")
            elif nxt in "bB":
                if in_class:
                    out.append(r"\x08" if nxt == "b" else "\\B")
                else:
                    raise Untranslatable("Unicode word boundary")
            elif nxt == "Z":
                out.append(r"\z")
            elif nxt.isdigit() and nxt != "0":
                raise Untranslatable("backreference")
            else:
                out.append(ch + nxt)
            i += 2
            continue
        if in_class:
            if ch == "]" and out[-1] not in ("[", "[^"):
                in_class = False
            elif ch == "[":
                out.append(r"\[")
                i += 1
                continue
        elif ch == "[":
            in_class = True
            out.append("[^" if pattern.startswith("^", i + 1) else "[")
            i += 2 if pattern.startswith("^", i + 1) else 1
            if pattern.startswith("]", i):
                out.append(r"\]")
                i += 1
            continue
        elif ch == "{" and pattern.startswith("{,", i):
            out.append("{0,")
            i += 2
            continue
        out.append(ch)
        i += 1
    return "".join(out)


def _re2_compiles(pattern: str) -> bool:
    """Whether RE2 accepts the pattern (asked quietly: RE2 logs its errors to stderr)."""
    import re2

    options = re2.Options()
    options.log_errors = False
    try:
        re2.compile(pattern, options)
    except re2.error:
        return False
    return True


@dataclass
class PatternResult:
    """Cells that do not match, and whether the time budget ran out before every cell was seen."""

    violations: pa.Array
    timed_out: bool = False
    undecided: int = 0


def pattern_violations(values: pa.Array, pattern: str) -> PatternResult:
    """Cells not matching PATTERN the way frictionless matches them; null cells never violate."""
    import pyarrow.compute as pc

    try:
        translated = f"^(?:^{to_re2(pattern)}$)"
    except Untranslatable:
        translated = None
    if translated is not None and _re2_compiles(translated):
        matched = pc.match_substring_regex(values, translated)
        # Python's `$` also matches before a final newline; those few cells are decided by it.
        newline = pc.fill_null(pc.ends_with(values, "\n"), False)
        if not pc.any(newline).as_py():
            return PatternResult(pc.fill_null(pc.invert(matched), False))
        fallback = _fallback(values, pattern, only=newline)
        merged = pc.if_else(newline, fallback.violations, pc.invert(matched))
        return PatternResult(pc.fill_null(merged, False), fallback.timed_out, fallback.undecided)
    return _fallback(values, pattern)


def _fallback(values: pa.Array, pattern: str, only: pa.Array | None = None) -> PatternResult:
    """Decide each distinct cell with the `regex` package, under the column's time budget."""
    import time

    import pyarrow as pa
    import pyarrow.compute as pc
    import regex

    compiled = regex.compile(f"^{pattern}$", flags=regex.VERSION0)
    chosen = values if only is None else pc.filter(values, only)
    uniques = pc.unique(chosen)
    deadline = time.monotonic() + BUDGET_SECONDS
    bad: list[bool] = []
    undecided = 0
    for cell in uniques.to_pylist():
        left = deadline - time.monotonic()
        if cell is None:
            bad.append(False)
            continue
        if left <= 0:
            undecided += 1
            bad.append(False)
            continue
        try:
            bad.append(compiled.match(cell, timeout=left) is None)
        except TimeoutError:
            undecided += 1
            bad.append(False)
    mask = pc.take(pa.array(bad, pa.bool_()), pc.index_in(values, value_set=uniques))
    return PatternResult(pc.fill_null(mask, False), undecided > 0, undecided)
