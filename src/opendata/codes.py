"""The catalogue of issue codes: one definition per code (slug, title, layer, meaning).

Every `Issue` names one of these codes, and only these (`Issue` refuses any other), so renderers
and `docs/codes.md` read titles and meanings from here. Codes shared with frictionless keep its
slugs, so a finding reads the same in both tools; the descriptions are ours.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

Layer = Literal["descriptor", "structural", "semantic", "grounding"]


@dataclass(frozen=True)
class Code:
    """One issue code: its stable slug, a short title, the layer that reports it, and its meaning."""

    slug: str
    title: str
    layer: Layer
    description: str


_ALL = (
    # --- the descriptor: datapackage.json and its Table Schemas against the standard ---
    Code(
        "package-error",
        "Package Error",
        "descriptor",
        "The package descriptor breaks the Data Package standard (a missing or malformed "
        "property, an invalid licence or name).",
    ),
    Code(
        "resource-error",
        "Resource Error",
        "descriptor",
        "A resource's descriptor breaks the Data Resource standard, or its path cannot be used.",
    ),
    Code(
        "schema-error",
        "Schema Error",
        "descriptor",
        "A Table Schema is missing, unreadable or breaks the Table Schema standard (unknown "
        "keys, bad primary or foreign key declarations).",
    ),
    Code(
        "field-error",
        "Field Error",
        "descriptor",
        "A field of a Table Schema is malformed: an unknown type, a constraint that does not "
        "fit the type, a pattern that does not compile.",
    ),
    Code(
        "dialect-error",
        "Dialect Error",
        "descriptor",
        "A resource's CSV dialect is malformed (a property of the wrong type, such as a "
        "numeric delimiter).",
    ),
    Code(
        "metadata-error",
        "Metadata Error",
        "descriptor",
        "A `profile` that is neither a standard profile nor a URL (frictionless cannot retrieve "
        "it), or another problem frictionless reports under its general code.",
    ),
    # --- the file: bytes, encoding and format ---
    Code(
        "source-error",
        "Source Error",
        "structural",
        "The data file cannot be read as the descriptor says (unreadable bytes, a malformed "
        "CSV record).",
    ),
    Code(
        "format-error",
        "Format Error",
        "structural",
        "The resource's format is one this tool does not read.",
    ),
    Code(
        "encoding-error",
        "Encoding Error",
        "structural",
        "The file's bytes do not decode with its declared encoding (UTF-8 unless it says).",
    ),
    Code(
        "hash-count",
        "Hash Count Error",
        "structural",
        "The file's digest differs from the `hash` its descriptor declares.",
    ),
    Code(
        "byte-count",
        "Byte Count Error",
        "structural",
        "The file's size differs from the `bytes` its descriptor declares.",
    ),
    # --- the header ---
    Code(
        "blank-header",
        "Blank Header",
        "structural",
        "The header row is empty.",
    ),
    Code(
        "blank-label",
        "Blank Label",
        "structural",
        "A column of the header has no label.",
    ),
    Code(
        "duplicate-label",
        "Duplicate Label",
        "structural",
        "A header label repeats an earlier one.",
    ),
    Code(
        "incorrect-label",
        "Incorrect Label",
        "structural",
        "A header label differs from the name of the schema field in its position.",
    ),
    Code(
        "extra-label",
        "Extra Label",
        "structural",
        "The header has more columns than the schema has fields.",
    ),
    Code(
        "missing-label",
        "Missing Label",
        "structural",
        "The header has fewer columns than the schema has fields.",
    ),
    # --- rows and cells ---
    Code(
        "blank-row",
        "Blank Row",
        "structural",
        "A row holds no value at all.",
    ),
    Code(
        "extra-cell",
        "Extra Cell",
        "structural",
        "A row has more cells than the header.",
    ),
    Code(
        "missing-cell",
        "Missing Cell",
        "structural",
        "A row has fewer cells than the header.",
    ),
    Code(
        "type-error",
        "Type Error",
        "structural",
        "A cell does not parse as its field's type and format.",
    ),
    Code(
        "constraint-error",
        "Constraint Error",
        "structural",
        "A cell breaks one of its field's constraints (required, minimum, maximum, length, "
        "pattern, enum).",
    ),
    Code(
        "unique-error",
        "Unique Error",
        "structural",
        "A value repeats in a field declared unique; the later rows are reported.",
    ),
    Code(
        "primary-key",
        "Primary Key Error",
        "structural",
        "A row's primary key repeats an earlier row's, or is missing.",
    ),
    Code(
        "foreign-key",
        "Foreign Key Error",
        "structural",
        "A row's foreign key has no match in the table it references.",
    ),
    # --- declared checks (schemas/*.checks.json) ---
    Code(
        "count-mismatch",
        "Count Mismatch",
        "semantic",
        "A row count or a count of distinct values differs from the declared one.",
    ),
    Code(
        "sum-mismatch",
        "Sum Mismatch",
        "semantic",
        "A column sum, or the sum of columns in a row, differs from the declared value.",
    ),
    Code(
        "group-mismatch",
        "Group Mismatch",
        "semantic",
        "Counts or sums per group differ from those of the table they are declared against.",
    ),
    Code(
        "not-monotonic",
        "Not Monotonic",
        "semantic",
        "A series does not rise or fall as declared.",
    ),
    Code(
        "running-total-mismatch",
        "Running Total Mismatch",
        "semantic",
        "A cumulative column differs from the running total of its increments.",
    ),
    Code(
        "difference-mismatch",
        "Difference Mismatch",
        "semantic",
        "The difference between consecutive values differs from the declared column.",
    ),
    Code(
        "ratio-mismatch",
        "Ratio Mismatch",
        "semantic",
        "A ratio of two values differs from the declared one, at the declared rounding.",
    ),
    Code(
        "values-mismatch",
        "Values Mismatch",
        "semantic",
        "A column's values are not the declared set, or not within it.",
    ),
    Code(
        "inconsistent-values",
        "Inconsistent Values",
        "semantic",
        "One key is stated with different values in different rows.",
    ),
    Code(
        "expression-failed",
        "Expression Failed",
        "semantic",
        "A declared expression is false for a row or for the table.",
    ),
    Code(
        "check-error",
        "Check Error",
        "semantic",
        "A declared check is malformed or could not be evaluated (an unknown column or "
        "resource, a bad expression); the check did not run. The structural layer uses it too, "
        "for a `pattern` that needs Python's backtracking (lookaround, backreferences) and did "
        "not decide every cell within its time budget: those cells are not checked.",
    ),
    # --- grounding (--sources) ---
    Code(
        "source-missing",
        "Source Missing",
        "grounding",
        "A row cites a source id with no text in the sources folder.",
    ),
    Code(
        "ungrounded-figure",
        "Ungrounded Figure",
        "grounding",
        "A figure as written does not occur in the paragraph of the source its locator cites.",
    ),
)

CODES: dict[str, Code] = {code.slug: code for code in _ALL}


def known(slug: str, otherwise: str) -> str:
    """`slug` when the catalogue has it, else `otherwise` (for codes another tool hands us)."""
    return slug if slug in CODES else otherwise


def describe(slug: str) -> Code:
    """The catalogue entry of a code; KeyError names the catalogue when it is not there."""
    try:
        return CODES[slug]
    except KeyError:
        raise KeyError(
            f"{slug!r} is not in the catalogue of issue codes (opendata.codes)"
        ) from None


def markdown() -> str:
    """The catalogue as the Markdown page docs/codes.md (a test keeps that file equal to this)."""
    lines = [
        "# Issue codes",
        "",
        "Every finding `opendata validate` reports carries one of these codes. Codes shared",
        "with frictionless keep its slugs. This page is generated from `opendata.codes`",
        "(`python -c 'import opendata.codes as c; print(c.markdown(), end=\"\")' > docs/codes.md`).",
        "",
    ]
    for layer in ("descriptor", "structural", "semantic", "grounding"):
        lines += [f"## {layer}", "", "| code | title | meaning |", "|---|---|---|"]
        lines += [f"| `{c.slug}` | {c.title} | {c.description} |" for c in _ALL if c.layer == layer]
        lines.append("")
    return "\n".join(lines)
