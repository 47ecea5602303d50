"""Load a Data Package descriptor: resources, resolved schemas and checks, safe local paths."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from opendata.errors import CouldNotRun
from opendata.metadata import check_shape, read_metadata

DESCRIPTOR_NAME = "datapackage.json"
# The names a folder's descriptor may have, in the order they are looked for.
DESCRIPTOR_NAMES = (DESCRIPTOR_NAME, "datapackage.yaml", "datapackage.yml")


@dataclass
class Field:
    """One Table Schema field."""

    name: str
    type: str = "string"
    format: str = "default"
    constraints: dict[str, Any] = field(default_factory=dict)
    descriptor: dict[str, Any] = field(default_factory=dict)

    @property
    def required(self) -> bool:
        """Whether the field may not be null."""
        return bool(self.constraints.get("required", False))


# Formats frictionless reads as tables (its plugins' `datatype = "table"`); any other is a file.
TABLE_FORMATS = frozenset(
    {"csv", "tsv", "xlsx", "xls", "ods", "jsonl", "ndjson", "parquet", "parq", "sav", "inline"}
)
COMPRESSIONS = ("gz", "zip", "bz2", "xz")


@dataclass
class Resource:
    """A resource: where its file(s) or inline data are, its schema and its declared checks.

    `path`/`fullpath` name the (first) file; a multipart resource lists every part in
    `paths`/`fullpaths`, read as one table.
    """

    name: str
    path: str | None
    fullpath: Path | None
    descriptor: dict[str, Any]
    schema: dict[str, Any] | None
    schema_path: str | None = None
    checks: list[dict[str, Any]] = field(default_factory=list)
    checks_path: str | None = None
    # Where the resource sits in its package: the descriptor's file name, its index in
    # `resources`, and the package's Data Package version ("v1", "v2" or "unknown").
    descriptor_file: str = DESCRIPTOR_NAME
    index: int = 0
    standard: str = "v1"
    paths: list[str] = field(default_factory=list)
    fullpaths: list[Path] = field(default_factory=list)
    loaded_dialect: dict[str, Any] | None = None

    @property
    def compression(self) -> str | None:
        """`gz`, `zip`, `bz2` or `xz` when declared or named by the file's extension, else None."""
        declared = self.descriptor.get("compression")
        if isinstance(declared, str) and declared:
            return declared.lower()
        suffix = Path(self.path or "").suffix.lstrip(".").lower()
        return suffix if suffix in COMPRESSIONS else None

    @property
    def format(self) -> str:
        """The declared format, else the file's extension (inner one when compressed), lower case."""
        declared = self.descriptor.get("format")
        if isinstance(declared, str) and declared:
            return declared.lower()
        if self.path is None:
            return "inline" if isinstance(self.descriptor.get("data"), list) else "json"
        name = Path(self.path)
        suffix = name.suffix.lstrip(".").lower()
        if suffix in COMPRESSIONS:
            suffix = Path(name.stem).suffix.lstrip(".").lower()
        return suffix

    @property
    def tabular(self) -> bool:
        """Whether frictionless reads the resource as a table (by format, `type` or profile)."""
        return (
            self.descriptor.get("type") == "table"
            or self.descriptor.get("profile") == "tabular-data-resource"
            or self.format in TABLE_FORMATS
        )

    @property
    def fields(self) -> list[Field]:
        """The schema's fields, in order."""
        fields = (self.schema or {}).get("fields")
        if not isinstance(fields, list):
            return []
        return [
            Field(
                name=str(f.get("name")),
                type=str(f.get("type", "string")),
                format=str(f.get("format", "default")),
                constraints=c if isinstance(c := f.get("constraints"), dict) else {},
                descriptor=f,
            )
            for f in fields
            if isinstance(f, dict)
        ]

    @property
    def primary_key(self) -> list[str]:
        """The primary key as a list of field names (empty if none)."""
        pk = (self.schema or {}).get("primaryKey") or []
        if isinstance(pk, str):
            return [pk]
        return [n for n in pk if isinstance(n, str)] if isinstance(pk, list) else []

    @property
    def foreign_keys(self) -> list[dict[str, Any]]:
        """The schema's foreign keys, with `fields` and `reference.fields` as lists."""
        out = []
        fks = (self.schema or {}).get("foreignKeys") or []
        # A malformed key is the Table Schema check's to report; here it is only skipped.
        for fk in fks if isinstance(fks, list) else []:
            if not isinstance(fk, dict) or not isinstance(fk.get("reference") or {}, dict):
                continue
            fields = fk.get("fields")
            ref = dict(fk.get("reference") or {})
            rfields = ref.get("fields")
            ref["fields"] = [rfields] if isinstance(rfields, str) else list(rfields or [])
            out.append(
                {
                    "fields": [fields] if isinstance(fields, str) else list(fields or []),
                    "reference": ref,
                }
            )
        return out

    @property
    def missing_values(self) -> list[str]:
        """The schema's missing values as text (v2's `{"value": ...}` objects by their value)."""
        entries = (self.schema or {}).get("missingValues", [""])
        return [str(e.get("value")) if isinstance(e, dict) else e for e in entries]

    @property
    def encoding(self) -> str:
        """The declared encoding (utf-8 by default)."""
        return str(self.descriptor.get("encoding") or "utf-8")

    @property
    def dialect(self) -> dict[str, Any]:
        """The Table Dialect (inline, or loaded from the file its path names), or empty."""
        d = (
            self.loaded_dialect
            if self.loaded_dialect is not None
            else self.descriptor.get("dialect")
        )
        return d if isinstance(d, dict) else {}


@dataclass
class Package:
    """A loaded descriptor with its resources; `basepath` is the folder relative paths start from."""

    descriptor_path: Path
    basepath: Path
    descriptor: dict[str, Any]
    resources: list[Resource]
    checks: list[dict[str, Any]] = field(default_factory=list)
    checks_path: str | None = None

    @property
    def name(self) -> str:
        """The package name (or the folder name when the descriptor has none)."""
        return str(self.descriptor.get("name") or self.basepath.name)

    @property
    def version(self) -> str | None:
        """The package version, if declared."""
        v = self.descriptor.get("version")
        return str(v) if v is not None else None

    def get(self, name: str) -> Resource:
        """The resource of that name."""
        for r in self.resources:
            if r.name == name:
                return r
        raise KeyError(name)

    def has(self, name: str) -> bool:
        """Whether a resource of that name exists."""
        return any(r.name == name for r in self.resources)


_STANDARD_PROFILE = re.compile(r"/profiles/(\d+)\.\d+/")


def standard_version(descriptor: dict[str, Any]) -> str:
    """ "v1", "v2" or "unknown": the Data Package version a package descriptor declares.

    Its `$schema` names it (a datapackage.org profile URL: `/profiles/1.0/` is v1, `/profiles/2.0/`
    v2); without one it is v1, and a custom `$schema` URL is "unknown", where a rule that differs
    between the versions takes the lenient side. The package's version holds for everything in
    it, whatever `$schema` a resource or schema declares (as frictionless 5.21 reads the standard).
    """
    from urllib.parse import urlparse

    declared = descriptor.get("$schema")
    if not declared:
        return "v1"
    if not isinstance(declared, str):
        return "unknown"
    url = urlparse(declared)
    found = _STANDARD_PROFILE.search(url.path)
    if url.netloc == "datapackage.org" and found and found.group(1) in ("1", "2"):
        return f"v{found.group(1)}"
    return "unknown"


def find_descriptor(source: str | Path) -> Path:
    """The descriptor file SOURCE names: itself, or in a folder the first of DESCRIPTOR_NAMES."""
    path = Path(source)
    if not path.is_dir():
        return path
    for name in DESCRIPTOR_NAMES:
        if (path / name).exists():
            return path / name
    raise CouldNotRun(
        "descriptor not found",
        path=str(path / DESCRIPTOR_NAME),
        hint=f"the folder needs one of {', '.join(DESCRIPTOR_NAMES)}",
    )


def safe_local_path(basepath: Path, relpath: Any, *, what: str, descriptor: Path) -> Path:
    """Resolve a descriptor path inside the package folder; refuse absolute and escaping paths.

    A URL is refused too, unless downloads are allowed (an open `opendata.remote.Downloads`):
    then it is downloaded and its local copy returned, as is a relative path of a remote
    descriptor (from the same place relative to the descriptor's URL).
    """
    from opendata import remote

    if not isinstance(relpath, str) or not relpath:
        raise CouldNotRun(
            f"{what} has no valid path", path=str(descriptor), hint="give a relative path"
        )
    if "://" in relpath:
        remote.refuse_remote(relpath, what=what, where=str(descriptor))
        downloads = remote.active()
        assert downloads is not None  # refuse_remote refused otherwise
        return downloads.fetch(relpath)
    rel = Path(relpath)
    if (
        rel.is_absolute()
        or relpath.startswith(("/", "\\"))
        or (len(relpath) > 1 and relpath[1] == ":")
    ):
        raise CouldNotRun(
            f"{what} has an absolute path ({relpath})",
            path=str(descriptor),
            hint="use a path relative to the descriptor",
        )
    full = (basepath / rel).resolve()
    if not full.is_relative_to(basepath.resolve()):
        raise CouldNotRun(
            f"{what} path {relpath!r} escapes the package folder",
            path=str(descriptor),
            hint="keep data files inside the package folder",
        )
    downloads = remote.active()
    if downloads is not None:
        downloads.localise(basepath, relpath, full)
    return full


def _load_ref(
    value: Any, basepath: Path, descriptor: Path, *, what: str, kind: type, shape: str | None
) -> tuple[Any, str | None]:
    """A descriptor value that is either inline or a relative path to a JSON file, of SHAPE.

    A Table Schema's shape (SHAPE None here) is judged later, by the structural layer, as a
    finding: a malformed schema makes its table invalid, like any other schema error.
    """
    loaded, rel = _load_raw_ref(value, basepath, descriptor, what=what, kind=kind)
    if loaded is not None and shape is not None:
        check_shape(loaded, shape, what=what, where=rel or str(descriptor))
    return loaded, rel


def _load_raw_ref(
    value: Any, basepath: Path, descriptor: Path, *, what: str, kind: type
) -> tuple[Any, str | None]:
    """A descriptor value that is either inline or a relative path to a JSON file."""
    if value is None:
        return None, None
    if isinstance(value, str):
        full = safe_local_path(basepath, value, what=what, descriptor=descriptor)
        loaded = read_metadata(full, what=what)
        if not isinstance(loaded, kind):
            raise CouldNotRun(
                f"{what} must be {'an object' if kind is dict else 'a list'}", path=value
            )
        return loaded, value
    if not isinstance(value, kind):
        raise CouldNotRun(
            f"{what} must be a path or an inline {'object' if kind is dict else 'list'}",
            path=str(descriptor),
        )
    return value, None


def _load_resource(raw: Any, index: int, basepath: Path, path: Path) -> Resource:
    """One entry of the descriptor's `resources`, with its schema and checks resolved."""
    if not isinstance(raw, dict):
        raise CouldNotRun(f"resource #{index + 1} is not an object", path=str(path))
    name = str(raw.get("name") or f"resource{index + 1}")
    what = f"resource {name!r}"
    rel = raw.get("path")
    parts = rel if isinstance(rel, list) else ([] if rel is None else [rel])
    if isinstance(rel, list) and not rel:
        raise CouldNotRun(f"{what} has an empty list of paths", path=str(path))
    fullpaths = [safe_local_path(basepath, p, what=what, descriptor=path) for p in parts]
    if rel is None and "data" not in raw:
        raise CouldNotRun(f"{what} has neither path nor data", path=str(path))
    schema, schema_path = _load_ref(
        raw.get("schema"), basepath, path, what=f"schema of {what}", kind=dict, shape=None
    )
    checks, checks_path = _load_ref(
        raw.get("checks"), basepath, path, what=f"checks of {what}", kind=list, shape="checks"
    )
    dialect, _ = _load_ref(
        raw.get("dialect"), basepath, path, what=f"dialect of {what}", kind=dict, shape=None
    )
    return Resource(
        name=name,
        path=parts[0] if parts else None,
        fullpath=fullpaths[0] if fullpaths else None,
        descriptor=raw,
        schema=schema,
        schema_path=schema_path,
        checks=list(checks or []),
        checks_path=checks_path,
        descriptor_file=path.name,
        index=index,
        paths=list(parts),
        fullpaths=fullpaths,
        loaded_dialect=dialect,
    )


def load_package(source: str | Path) -> Package:
    """Load a descriptor (a JSON or YAML file, or a folder holding one) and resolve its parts."""
    from opendata.remote import refuse_remote

    if "://" in str(source):  # Path would mangle it; `opendata.inputs` downloads it when allowed
        refuse_remote(str(source), what="descriptor", where=str(source))
    path = find_descriptor(source)
    descriptor = read_metadata(path, what="descriptor")
    if not isinstance(descriptor, dict):
        raise CouldNotRun("descriptor must be an object (a mapping)", path=str(path))
    resources_raw = descriptor.get("resources")
    if not isinstance(resources_raw, list) or not resources_raw:
        raise CouldNotRun(
            "not a Data Package descriptor: it has no resources list",
            path=str(path),
            hint='add "resources": [...], or give a CSV file (with --schema for a Table Schema)',
        )
    check_shape(descriptor, "descriptor", what="descriptor", where=str(path))
    basepath = path.parent.resolve()
    resources: list[Resource] = []
    for index, raw in enumerate(resources_raw):
        resource = _load_resource(raw, index, basepath, path)
        if any(r.name == resource.name for r in resources):
            raise CouldNotRun(f"resource name {resource.name!r} is used twice", path=str(path))
        resource.standard = standard_version(descriptor)
        resources.append(resource)
    pchecks, pchecks_path = _load_ref(
        descriptor.get("checks"), basepath, path, what="package checks", kind=list, shape="checks"
    )
    return Package(
        descriptor_path=path,
        basepath=basepath,
        descriptor=descriptor,
        resources=resources,
        checks=list(pchecks or []),
        checks_path=pchecks_path,
    )


def table_package(raw: dict[str, Any], path: Path, *, name: str, shown: str) -> Package:
    """A package of one table: the resource descriptor RAW, for the data file PATH.

    RAW's `path` is set to the file's name (beside which it is read); the resource then names
    the file as the user wrote it (SHOWN), as do its findings.
    """
    raw = {**raw, "path": path.name}
    resource = _load_resource(raw, 0, path.parent.resolve(), path)
    resource.path = shown
    return Package(
        descriptor_path=Path(shown) if "://" not in shown else path,
        basepath=path.parent.resolve(),
        descriptor={"name": name, "resources": [raw]},
        resources=[resource],
    )
