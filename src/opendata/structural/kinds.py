"""Resource kinds: which reader a table needs, the checks a non-tabular file gets, inferred schemas.

frictionless decides a resource's kind by its format (csv, tsv, parquet, inline rows... are
tables; geojson, json, txt, pdf... are files): a file is checked for what applies to any file
(it exists, its declared bytes and hash, its declared encoding), a table against its schema,
inferred as frictionless infers it when the descriptor gives none.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from opendata.errors import CouldNotRun
from opendata.io.encoding import first_bad_bytes
from opendata.io.source import ByteSource
from opendata.report import Issue
from opendata.structural.findings import Findings
from opendata.structural.integrity import check_integrity, declared_algorithm, report_integrity

if TYPE_CHECKING:
    from opendata.io.reader import CsvReader
    from opendata.package import Resource

# The tabular formats opendata reads; frictionless's others (xlsx, ods, jsonl...) are refused.
READABLE = ("csv", "tsv", "parquet", "parq", "inline")


def reader_for(resource: Resource, block_size: int) -> CsvReader:
    """The reader of a tabular resource: pyarrow's for CSV where it can, Python's otherwise."""
    from opendata.io.dialect import Dialect, declared
    from opendata.io.reader import CsvReader

    if resource.format == "inline":
        from opendata.io.inline import InlineReader

        return InlineReader(resource, block_size)
    if resource.format in ("parquet", "parq"):
        from opendata.io.parquet import ParquetReader

        return ParquetReader(resource, block_size)
    if Dialect(**declared(resource.dialect)).fast:
        return CsvReader(resource, block_size)
    from opendata.io.textrows import TextReader

    return TextReader(resource, block_size)


def check_data_files(resource: Resource) -> None:
    """CouldNotRun when a data file of the resource is missing or not a regular file."""
    for name, path in zip(resource.paths, resource.fullpaths, strict=True):
        if path.exists() and not path.is_file():
            raise CouldNotRun(
                f"data file of resource {resource.name!r} is not a regular file (a folder, pipe or device)",
                path=name,
                hint="point the resource's path at a data file",
            )
        if not path.is_file():
            raise CouldNotRun(
                f"data file of resource {resource.name!r} not found",
                path=name,
                hint="create the file or fix the resource's path in datapackage.json",
            )


def check_file_integrity(found: Findings, resource: Resource) -> None:
    """The declared `hash` and `bytes` against the file (a multipart resource's joined bytes).

    As frictionless: a hash without a prefix is md5; an algorithm hashlib lacks is not checked.
    """
    declared_hash = resource.descriptor.get("hash")
    declared_bytes = resource.descriptor.get("bytes")
    if (declared_hash is None and declared_bytes is None) or not resource.fullpaths:
        return  # nothing declared, or inline data: no file to measure
    import hashlib  # here: most packages declare neither, and OpenSSL's bindings take 0.003 s

    algorithm = declared_algorithm(declared_hash)
    if declared_hash and algorithm not in hashlib.algorithms_available:
        declared_hash = None
    if len(resource.fullpaths) == 1:
        check_integrity(found, resource.fullpaths[0], declared_hash, declared_bytes)
        return
    hexdigest, size = joined_digest(resource, algorithm if declared_hash else "sha256")
    report_integrity(
        found, hexdigest, size, declared_hash, declared_bytes, whose="the joined parts"
    )


def joined_digest(resource: Resource, algorithm: str) -> tuple[str, int]:
    """The hex digest and size of a multipart resource's joined bytes, as `hash` and `bytes`
    describe them (a later part's repeated header left out, as frictionless reads the parts)."""
    import hashlib

    joined = ByteSource.of(resource)
    digest = hashlib.new(algorithm)
    size = 0
    with joined.open() as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
            size += len(block)
    return digest.hexdigest(), size


def check_file(resource: Resource) -> list[Issue]:
    """A non-tabular resource: its files exist, match `bytes` and `hash`, decode as declared."""
    found = Findings(resource)
    check_data_files(resource)
    check_file_integrity(found, resource)
    encoding = resource.descriptor.get("encoding")
    if isinstance(encoding, str) and encoding:
        for name, path in zip(resource.paths, resource.fullpaths, strict=True):
            try:
                bad = first_bad_bytes(path, encoding)
            except LookupError:
                raise CouldNotRun(
                    f"unknown encoding {encoding!r}", path=name, hint="declare a valid encoding"
                ) from None
            if bad is not None:
                line, offset = bad
                found.add(
                    "encoding-error",
                    f"{name} line {line} is not valid {encoding} (byte {offset})",
                    line=line,
                    rule="encoding",
                    details={"expected": encoding, "byte_offset": offset},
                )
                break
    return found.issues


def basepath(resource: Resource) -> Path | None:
    """The folder the resource's relative paths start from."""
    if resource.fullpath is None or resource.path is None:
        return None
    base = resource.fullpath
    for _ in Path(resource.path).parts:
        base = base.parent
    return base


def with_inferred_schema(resource: Resource) -> Resource:
    """The resource with the Table Schema frictionless infers from its first rows (its default)."""
    from frictionless import Resource as FResource

    # The profile goes too: a v1 tabular resource without a schema is the descriptor check's
    # finding (structural/descriptor.py); frictionless would refuse to infer for it.
    descriptor: dict[str, Any] = {
        k: v for k, v in resource.descriptor.items() if k not in ("schema", "checks", "profile")
    }
    if resource.loaded_dialect is not None:
        descriptor["dialect"] = resource.loaded_dialect
    base = basepath(resource)
    try:
        inferred = FResource(descriptor, basepath=str(base) if base else None)
        inferred.infer()
        schema = inferred.schema.to_descriptor()
    except Exception as exc:  # frictionless raises its own errors and its parsers' ones
        raise CouldNotRun(
            f"cannot infer a schema for resource {resource.name!r}: {exc}",
            path=resource.path,
            hint="add a Table Schema to the resource",
        ) from None
    return replace(resource, schema=schema)


def relocate(issues: list[Issue], source: ByteSource) -> None:
    """Point each finding of a multipart table at its part and the line within it."""
    if len(source.parts) < 2:
        return
    for issue in issues:
        if issue.line is not None:
            issue.path, issue.line = source.locate(issue.line)
