"""A resource's CSV dialect as frictionless reads it: declared options, then what its sniffer guesses."""

from __future__ import annotations

import csv
from dataclasses import dataclass, field, replace
from typing import Any

# frictionless reads a sample of this many lines to guess the dialect (formats/csv/parser.py).
SAMPLE_LINES = 100
# The delimiters frictionless lets Python's sniffer choose from when none is declared.
SNIFFED_DELIMITERS = ",\t;|"
# At most this many characters of those lines (whole lines, or the first one cut): the sniffer's
# quote regex is quadratic on hostile text (`,"` repeated: 2 s at 16 KB, 8.6 s at 32 KB, minutes
# at 1 MB), while 100 ordinary lines sniff in milliseconds and rarely exceed it.
SAMPLE_CHARS = 16 << 10


@dataclass(frozen=True)
class Dialect:
    """Table Dialect options (v1 and v2 names, and frictionless's `csv` control) in one place."""

    delimiter: str = ","
    quote_char: str = '"'  # "" reads without quoting
    double_quote: bool = True
    escape_char: str | None = None
    skip_initial_space: bool = False
    header: bool = True
    header_rows: tuple[int, ...] = (1,)
    header_join: str = " "
    header_case: bool = True
    comment_char: str | None = None
    comment_rows: frozenset[int] = field(default_factory=frozenset)
    skip_blank_rows: bool = False

    @property
    def fast(self) -> bool:
        """Whether pyarrow's reader applies every option (else the Python reader does)."""
        return (
            (not self.header or self.header_rows == (1,))
            and not self.comment_char
            and not self.comment_rows
            and not self.skip_initial_space
            and not self.skip_blank_rows
            and len(self.delimiter) == 1
            and self.delimiter not in "\r\n"
        )

    @property
    def first_content_row(self) -> int:
        """The row number of the first record after the header rows (frictionless's numbering)."""
        return self.header_rows[-1] + 1 if self.header and self.header_rows else 1

    def csv_kwargs(self) -> dict[str, Any]:
        """The dialect as keyword arguments of Python's csv module, as frictionless builds them."""
        kwargs: dict[str, Any] = {
            "delimiter": self.delimiter,
            # frictionless honours doubleQuote: false only together with an escape character.
            "doublequote": self.double_quote if self.escape_char else True,
            "skipinitialspace": self.skip_initial_space,
            "escapechar": self.escape_char,
        }
        if self.quote_char:
            kwargs["quotechar"] = self.quote_char
        else:
            kwargs["quoting"] = csv.QUOTE_NONE
        return kwargs

    def is_comment(self, row: int, cells: list[str]) -> bool:
        """Whether frictionless skips this record as a comment (by its first cell or its number)."""
        if self.comment_char and cells and cells[0].startswith(self.comment_char):
            return True
        return row in self.comment_rows


def _char(value: Any) -> str | None:
    return value if isinstance(value, str) and len(value) == 1 else None


def _rows(value: Any) -> tuple[int, ...] | None:
    if isinstance(value, list) and all(
        isinstance(v, int) and not isinstance(v, bool) for v in value
    ):
        return tuple(value)
    return None


def declared(options: dict[str, Any]) -> dict[str, Any]:
    """The options a descriptor's `dialect` declares, in this module's names.

    Data Package v1 puts the CSV options at the top level, frictionless 5 under `csv`; both are
    read, the top level winning as in frictionless's own upgrade of a v1 dialect.
    """
    props = dict(options.get("csv") or {}) if isinstance(options.get("csv"), dict) else {}
    props.update({k: v for k, v in options.items() if k != "csv"})
    out: dict[str, Any] = {}
    if (delimiter := props.get("delimiter")) and isinstance(delimiter, str):
        out["delimiter"] = delimiter
    if isinstance(props.get("quoteChar"), str) and len(props["quoteChar"]) <= 1:
        out["quote_char"] = props["quoteChar"]
    if (escape := _char(props.get("escapeChar"))) is not None:
        out["escape_char"] = escape
    booleans = {
        "doubleQuote": "double_quote",
        "skipInitialSpace": "skip_initial_space",
        "header": "header",
        "headerCase": "header_case",
        "skipBlankRows": "skip_blank_rows",
    }
    for key, name in booleans.items():
        if isinstance(props.get(key), bool):
            out[name] = props[key]
    if (rows := _rows(props.get("headerRows"))) is not None:
        out["header_rows"] = rows
    if isinstance(props.get("headerJoin"), str):
        out["header_join"] = props["headerJoin"]
    if isinstance(props.get("commentChar"), str) and props["commentChar"]:
        out["comment_char"] = props["commentChar"]
    if (rows := _rows(props.get("commentRows"))) is not None:
        out["comment_rows"] = frozenset(rows)
    return out


def _sample(text: str) -> str:
    """The first SAMPLE_LINES lines of the text, cut to whole lines within SAMPLE_CHARS."""
    lines = text.splitlines(keepends=True)[:SAMPLE_LINES]
    kept: list[str] = []
    size = 0
    for line in lines:
        if size + len(line) > SAMPLE_CHARS:
            return "".join(kept) if kept else line[:SAMPLE_CHARS]
        kept.append(line)
        size += len(line)
    return "".join(kept)


def resolve(options: dict[str, Any], fmt: str, sample: str) -> Dialect:
    """The dialect a CSV or TSV resource is read with: declared options, the rest sniffed.

    As frictionless does, Python's `csv.Sniffer` looks at the first lines for the delimiter
    (among `,`, tab, `;` and `|`, or the declared one), the quote character and whether spaces
    follow delimiters; what the descriptor declares always wins. A TSV's default is a tab.
    """
    given = declared(options)
    base = Dialect(**given)
    if fmt == "tsv" and "delimiter" not in given:
        base = replace(base, delimiter="\t")
    try:
        sniffed = csv.Sniffer().sniff(_sample(sample), given.get("delimiter") or SNIFFED_DELIMITERS)
    except Exception:  # the sniffer raises csv.Error, and worse on odd samples: then excel's
        return base
    guessed: dict[str, Any] = {}
    if "delimiter" not in given:
        guessed["delimiter"] = sniffed.delimiter
    if "quote_char" not in given and sniffed.quotechar:
        # frictionless refuses the sniffer's guess of `'` (embedded JSON confuses it).
        guessed["quote_char"] = '"' if sniffed.quotechar == "'" else sniffed.quotechar
    if "skip_initial_space" not in given:
        guessed["skip_initial_space"] = bool(sniffed.skipinitialspace)
    return replace(base, **guessed)
