"""Inline `data` resources: rows written in the descriptor, read as the CSV reader's text batches.

JSON values are written as the text frictionless would accept for the field (an integer for an
integer field, `true` for a boolean one); a value frictionless refuses for its field keeps a
spelling the field's parser refuses too, and in a string field (which takes any text) it is
listed in `refused`, for the table to report as a type error.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from opendata.io.batches import Batch
from opendata.io.reader import CsvReader
from opendata.io.textrows import Record, batches

if TYPE_CHECKING:
    from opendata.package import Field

# What a JSON value may be, per field type, for frictionless to read it (besides a string).
_ACCEPTS: dict[str, tuple[type, ...]] = {
    "integer": (int,),
    "number": (int, float),
    "year": (int,),
    "boolean": (bool,),
    "object": (dict,),
    "array": (list,),
    "geojson": (dict,),
}


def cell_text(field: Field | None, value: Any) -> tuple[str | None, bool]:
    """The text a JSON value is checked as, and whether frictionless accepts its JSON type."""
    if value is None or isinstance(value, str):
        return value, True
    kind = field.type if field is not None else "any"
    text = json.dumps(value, ensure_ascii=False)
    if kind == "any":
        return text, True
    if kind == "integer" and isinstance(value, float) and value.is_integer():
        return str(int(value)), True
    accepts = _ACCEPTS.get(kind, ())
    is_bool = isinstance(value, bool)
    if accepts and isinstance(value, accepts) and (is_bool == (kind in ("boolean", "year"))):
        if kind == "boolean":
            d = field.descriptor if field is not None else {}
            words = d.get("trueValues" if value else "falseValues") or [text]
            return str(words[0]), True
        return text, True
    # Refused: a spelling no parser of this type reads (a boolean's words include "1").
    return (f"{text} " if kind == "boolean" else text), False


class InlineReader(CsvReader):
    """Reads a resource's inline `data`: a header row then rows, or a list of objects."""

    def __init__(self, resource: Any, block_size: int) -> None:
        super().__init__(resource, block_size)
        data = resource.descriptor.get("data")
        self.data: list[Any] = data if isinstance(data, list) else []
        self.keyed = bool(self.data) and isinstance(self.data[0], dict)
        # (row, field, value) of values frictionless refuses in fields that take any text.
        self.refused: list[tuple[int, str, Any]] = []

    def read_header(self) -> list[str]:
        """The header: the first row, or for objects the schema's names (else the first's keys)."""
        if not self.data:
            return []
        if self.keyed:
            names = [f.name for f in self.resource.fields] or list(self.data[0])
            self.labels = [str(n) for n in names]
        else:
            first = self.data[0] if isinstance(self.data[0], list) else []
            self.labels = ["" if c is None else str(c).strip() for c in first]
        return self.labels

    def _rows(self) -> Iterator[Record]:
        start = 1 if not self.keyed else 0
        fields = self.fields
        for number, item in enumerate(self.data[start:], start=2):
            values = [item.get(n) for n in self.labels] if isinstance(item, dict) else item
            if not isinstance(values, list):
                values = [values]
            cells: list[str | None] = []
            for i, value in enumerate(values):
                field = fields[i] if i < len(fields) else None
                text, ok = cell_text(field, value)
                if not ok and field is not None and field.type == "string":
                    self.refused.append((number, field.name, value))
                cells.append(text)
            yield number, number, cells

    def chunks(self) -> Iterator[Batch]:
        """The rows as text batches (row numbers as frictionless gives them; the header is row 1)."""
        self.typed = {}
        self.chunks_read = 1
        yield from batches(self._rows(), max(1, len(self.labels)), self.encoded)
