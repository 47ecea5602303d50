"""Each table's declared checks as a pandera DataFrameSchema: an artefact users load and run.

The schema has a column per Table Schema field, typed as `load_release` types it, with the
field's constraints as pandera's built-in checks (`in_range`, `ge`, `le`, `isin`,
`str_matches`, `str_length`, `unique`, `nullable`), and the resource's declared checks as the
registered `opendata_*` check methods, every reference to another resource resolved to the
values it had in this package. It serialises with pandera's own `to_yaml` / `to_script`.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from opendata.errors import CouldNotRun
from opendata.package import Field, Package, load_package
from opendata.semantic.declarations import Check, collect_checks
from opendata.semantic.specification import check_declarations

if TYPE_CHECKING:
    import pandas as pd
    import pandera.pandas as pandera


def schema_for(descriptor: str | Path | Package, resource: str) -> pandera.DataFrameSchema:
    """The pandera DataFrameSchema of one resource: typed columns and its declared checks."""
    package = descriptor if isinstance(descriptor, Package) else load_package(descriptor)
    if not package.has(resource):
        raise CouldNotRun(
            f"no resource named {resource!r}",
            path=str(package.descriptor_path),
            hint=f"choose one of: {', '.join(r.name for r in package.resources)}",
        )
    checks = _checks(package)
    mine = [c for c in checks if c.resource == resource]
    names = {resource} | {n for c in mine for n in c.needs()}
    return table_schema(package, resource, mine, _frames(package, names))


def write_schemas(descriptor: str | Path | Package, dest: str | Path) -> list[Path]:
    """Write `<resource>.yaml` (pandera's YAML) for every resource read from a file into `dest`.

    Returns the paths written, in the order of the resources; the bytes depend only on the
    package, so a rebuilt release is identical.
    """
    package = descriptor if isinstance(descriptor, Package) else load_package(descriptor)
    checks = _checks(package)
    on_disk = [r for r in package.resources if r.fullpath is not None]  # not inline data
    frames = _frames(package, {r.name for r in on_disk})
    folder = Path(dest)
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for r in on_disk:
        schema = table_schema(package, r.name, [c for c in checks if c.resource == r.name], frames)
        path = folder / f"{r.name}.yaml"
        path.write_text(to_yaml(schema), encoding="utf-8")
        written.append(path)
    return written


def to_yaml(schema: pandera.DataFrameSchema) -> str:
    """pandera's YAML of a schema, its text left readable and its lists of values on one line."""
    import yaml

    class Dumper(yaml.SafeDumper):
        pass

    def sequence(dumper: yaml.SafeDumper, data: list[Any]) -> Any:
        flat = not any(isinstance(item, list | dict) for item in data)
        return dumper.represent_sequence("tag:yaml.org,2002:seq", data, flow_style=flat)

    Dumper.add_representer(list, sequence)
    data = yaml.safe_load(schema.to_yaml() or "")
    dumped = yaml.dump(data, Dumper=Dumper, allow_unicode=True, sort_keys=False, width=100)
    return str(dumped)


def table_schema(
    package: Package, name: str, checks: list[Check], frames: dict[str, pd.DataFrame]
) -> pandera.DataFrameSchema:
    """The DataFrameSchema of resource `name` given typed frames of it and the tables it reads."""
    import pandera.pandas as pandera

    from opendata.semantic.pandera_checks import builtin, pandera_check, resolved

    resource = package.get(name)
    key = list((resource.schema or {}).get("primaryKey") or [])
    key = [key] if isinstance(key, str) else key
    frame = frames[name]
    columns = {
        f.name: _column(f, frame[f.name].dtype, alone_key=key == [f.name])
        for f in resource.fields
        if f.name in frame.columns
    }
    frame_checks = []
    for check in checks:
        found = builtin(check, warn=True)
        if found is not None and found[0] in columns:
            columns[found[0]].checks.append(found[1])
        else:
            frame_checks.append(
                pandera_check(check, resolved(check, frames, literal=True), warn=True)
            )
    return pandera.DataFrameSchema(
        columns,
        checks=frame_checks,
        name=name,
        unique=key if len(key) > 1 else None,
        report_duplicates="exclude_first",
        description=f"resource {name!r} of {package.name}: its Table Schema "
        "and declared checks (opendata); load with opendata's checks registered",
    )


def _column(field: Field, dtype: Any, *, alone_key: bool) -> pandera.Column:
    """A field as a pandera Column: its type and constraints as pandera's built-in checks."""
    import pandera.pandas as pandera

    c = field.constraints
    checks = []
    if field.type in ("integer", "number"):
        low, high = c.get("minimum"), c.get("maximum")
        if low is not None and high is not None:
            checks.append(pandera.Check.in_range(low, high))
        elif low is not None:
            checks.append(pandera.Check.ge(low))
        elif high is not None:
            checks.append(pandera.Check.le(high))
    if "enum" in c and field.type in ("string", "integer", "number"):
        checks.append(pandera.Check.isin(list(c["enum"])))
    if field.type == "string":
        if "pattern" in c:  # Table Schema patterns match the whole value
            checks.append(pandera.Check.str_matches(f"(?:{c['pattern']})\\Z"))
        if "minLength" in c or "maxLength" in c:
            checks.append(pandera.Check.str_length(c.get("minLength"), c.get("maxLength")))
    required = bool(c.get("required")) or alone_key
    # pandera's `unique` counts nulls as equal values; Table Schema does not, so a unique
    # column that allows nulls is exported without it.
    unique = (bool(c.get("unique")) and required) or alone_key
    return pandera.Column(
        dtype,
        checks=checks,
        nullable=not required,
        unique=unique,
        report_duplicates="exclude_first" if unique else "all",
        description=field.descriptor.get("description"),
        title=field.descriptor.get("title"),
    )


def _checks(package: Package) -> list[Check]:
    """The package's checks; refuses (exit 2) a malformed declaration."""
    check_declarations(package)
    checks, problems = collect_checks(package)
    if problems:
        where, message, _ = problems[0]
        raise CouldNotRun(message, path=where or str(package.descriptor_path))
    return checks


def _frames(package: Package, names: set[str]) -> dict[str, pd.DataFrame]:
    """Typed frames of the named resources, as `load_release` gives them; refuses broken tables."""
    from opendata.io.dtypes import pandas_types
    from opendata.structural.table import decoded, validate_table

    frames = {}
    for name in sorted(names):
        result = validate_table(package.get(name))
        # Foreign keys need the other tables read first; they are `validate`'s business, and
        # the values typed here do not depend on them.
        broken = [i for i in result.issues if i.severity == "error" and i.code != "foreign-key"]
        if result.table is None or broken:
            raise CouldNotRun(
                f"resource {name!r} has structural errors",
                path=package.get(name).path,
                hint="run `opendata validate` and fix them first",
            )
        frames[name] = decoded(result.table).to_pandas(
            types_mapper=pandas_types(), date_as_object=False
        )
    return frames
