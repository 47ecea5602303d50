"""Each table's declared checks as a pandera DataFrameSchema: exported, loaded back, run by pandera."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from opendata.cli import main
from tests.conftest import REPO

PROVINCES = (
    "code,counties\n52,2\n22,1\n",
    {
        "fields": [
            {"name": "code", "constraints": {"required": True, "pattern": "[0-9]{2}"}},
            {"name": "counties", "type": "integer", "constraints": {"minimum": 0}},
        ],
        "primaryKey": ["code"],
    },
)
COUNTIES_CSV = "id,province,year\na,52,2019\nb,52,2020\nc,22,2020\n"
COUNTIES = (
    COUNTIES_CSV,
    {
        "fields": [
            {"name": "id", "constraints": {"unique": True, "required": True}},
            {"name": "province", "constraints": {"enum": ["52", "22"]}},
            {"name": "year", "type": "integer", "constraints": {"minimum": 2016, "maximum": 2020}},
        ]
    },
)
CHECKS = [
    {"id": "three", "type": "row-count", "message": "three counties", "equals": 3},
    {
        "id": "per-province",
        "type": "group-count",
        "message": "counts match",
        "by": ["province"],
        "against": {"resource": "provinces", "key": ["code"], "column": "counties"},
    },
    {
        "id": "late",
        "type": "expression",
        "message": "exits from 2019",
        "severity": "warning",
        "expression": "year >= 2019",
    },
]


def write(make_package: Callable[..., Path], counties: str = COUNTIES_CSV) -> Path:
    return make_package(
        {"provinces": PROVINCES, "counties": (counties, COUNTIES[1])},
        checks={"counties": CHECKS},
    )


def typed(path: Path, resource: str) -> Any:
    """The resource as a downstream user loads it (the types `load_release` gives)."""
    from opendata.package import load_package
    from opendata.semantic.export import _frames

    return _frames(load_package(path), {resource})[resource]


def test_schema_for_types_columns_and_holds_the_checks(make_package: Callable[..., Path]) -> None:
    import pandas as pd

    import opendata

    schema = opendata.schema_for(write(make_package), "counties")
    dtypes = {name: c.dtype.type for name, c in schema.columns.items()}
    assert list(dtypes) == ["id", "province", "year"]
    # pandas's string dtype (stored in Arrow by pandas 3, in Python objects by pandas 2)
    assert isinstance(dtypes["id"], pd.StringDtype) and isinstance(
        dtypes["province"], pd.StringDtype
    )
    assert str(dtypes["year"]) == "Int64"
    builtins = {n: [c.name for c in col.checks] for n, col in schema.columns.items()}
    assert builtins == {"id": [], "province": ["isin"], "year": ["in_range"]}
    assert schema.columns["id"].unique and not schema.columns["id"].nullable
    assert [(c.name, c.error) for c in schema.checks] == [
        ("opendata_row_count", "three"),
        ("opendata_group_count", "per-province"),
        ("opendata_expression", "late"),
    ]
    # the other table's counts travel with the schema, as plain values
    against = schema.checks[1].statistics["declaration"]["against"]
    assert against["values"] == [["22", 1], ["52", 2]]
    assert schema.checks[2].raise_warning  # a warning-severity check warns


LOAD_AND_RUN = """
import sys
import pandas as pd
import pandera.pandas as pandera
import opendata

opendata.register_checks()
schema = pandera.DataFrameSchema.from_yaml(sys.argv[1])
frame = pd.read_pickle(sys.argv[2])
try:
    schema.validate(frame, lazy=True)
except pandera.errors.SchemaErrors as exc:
    print(sorted(set(exc.failure_cases["check"].astype(str))))
    sys.exit(1)
print("valid")
"""


def test_the_exported_yaml_loads_back_and_pandera_fails_the_broken_copy_only(
    make_package: Callable[..., Path], tmp_path: Path
) -> None:
    import opendata
    from tests.conftest import write_package

    original = write(make_package)
    [*_, counties_yaml] = opendata.write_schemas(original, tmp_path / "pandera")
    assert counties_yaml.name == "counties.yaml"
    assert "check_name: opendata_group_count" in counties_yaml.read_text(encoding="utf-8")

    # The broken copy: county c moved from province 22 to 52, which validate reports.
    broken = write_package(
        tmp_path / "broken",
        {"provinces": PROVINCES, "counties": (COUNTIES_CSV.replace("c,22", "c,52"), COUNTIES[1])},
        checks={"counties": CHECKS},
    )
    report = opendata.validate_package(broken)
    assert {(i.code, i.rule) for i in report.issues} == {("group-mismatch", "per-province")}
    for name, path in (("original", original), ("broken", broken)):
        typed(path, "counties").to_pickle(tmp_path / f"{name}.pkl")

    def run(name: str) -> subprocess.CompletedProcess[str]:
        args = [
            sys.executable,
            "-c",
            LOAD_AND_RUN,
            str(counties_yaml),
            str(tmp_path / f"{name}.pkl"),
        ]
        return subprocess.run(args, capture_output=True, text=True, cwd=REPO)

    ok, bad = run("original"), run("broken")
    assert (ok.returncode, ok.stdout.strip()) == (0, "valid"), ok.stderr
    assert (bad.returncode, bad.stdout.strip()) == (1, "['per-province']"), bad.stderr


def test_pandera_fails_an_exported_schema_on_a_broken_column(
    make_package: Callable[..., Path],
) -> None:
    import pandera.pandas as pandera

    import opendata

    schema = opendata.schema_for(write(make_package), "counties")
    back = pandera.DataFrameSchema.from_yaml(schema.to_yaml())
    assert back == schema
    frame = typed(write(make_package), "counties")
    back.validate(frame)
    frame.loc[0, "year"] = 2031
    with pytest.raises(pandera.errors.SchemaErrors) as caught:
        back.validate(frame, lazy=True)
    cases = caught.value.failure_cases
    assert sorted(set(zip(cases["column"], cases["check"], strict=True))) == [
        ("year", "in_range(2016, 2020)")
    ]


def test_checks_export_prints_yaml_and_python(make_package: Callable[..., Path]) -> None:
    import pandera.pandas as pandera

    path = write(make_package)
    result = CliRunner().invoke(main, ["checks", "export", "counties", str(path)])
    assert result.exit_code == 0, result.output
    assert pandera.DataFrameSchema.from_yaml(result.output).name == "counties"
    result = CliRunner().invoke(
        main, ["checks", "export", "counties", str(path), "--format", "python"]
    )
    assert result.exit_code == 0, result.output
    scope: dict[str, Any] = {}
    exec(result.output, scope)
    assert [c.error for c in scope["schema"].checks] == ["three", "per-province", "late"]


def test_checks_export_of_an_unknown_resource_exits_2(make_package: Callable[..., Path]) -> None:
    result = CliRunner().invoke(main, ["checks", "export", "nope", str(write(make_package))])
    assert result.exit_code == 2
    assert "no resource named 'nope'" in result.output


def test_the_repository_tables_pass_their_exported_schemas(tmp_path: Path) -> None:
    import warnings

    import pandera.pandas as pandera

    import opendata
    from opendata.package import load_package
    from opendata.semantic.export import _frames

    package = load_package(REPO / "datapackage.json")
    written = opendata.write_schemas(package, tmp_path)
    assert [p.stem for p in written] == [r.name for r in package.resources]
    frames = _frames(package, {r.name for r in package.resources})
    for path in written:
        schema = pandera.DataFrameSchema.from_yaml(path.read_text(encoding="utf-8"))
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # the package's known warnings
            schema.validate(frames[path.stem], lazy=True)


def test_write_schemas_writes_the_same_bytes_twice(
    make_package: Callable[..., Path], tmp_path: Path
) -> None:
    import opendata

    path = write(make_package)
    first = [p.read_bytes() for p in opendata.write_schemas(path, tmp_path / "a")]
    second = [p.read_bytes() for p in opendata.write_schemas(path, tmp_path / "b")]
    assert first == second and len(first) == 2
