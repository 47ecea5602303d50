"""`validate --engine spark` where the Spark engine cannot run: exit 2 with a one-line fix (no pyspark needed)."""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import CliRunner

from opendata.cli import main
from tests.conftest import BATCHES_CSV, BATCHES_SCHEMA


def test_without_pyspark_exit_2_with_the_fix(
    make_package: Callable[..., Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    descriptor = make_package({"batches": (BATCHES_CSV, BATCHES_SCHEMA)})
    monkeypatch.setitem(sys.modules, "pyspark", None)  # import pyspark raises ImportError
    result = CliRunner().invoke(main, ["validate", str(descriptor), "--engine", "spark"])
    assert result.exit_code == 2
    assert result.output.strip() == (
        "error: --engine spark needs pyspark, which is not installed "
        "(pip install 'opendata[spark]')"
    )


def test_spark_master_defaults_to_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    from opendata.spark.session import master_url

    monkeypatch.delenv("OPENDATA_SPARK_MASTER", raising=False)
    assert master_url(None) == "local[*]"
    monkeypatch.setenv("OPENDATA_SPARK_MASTER", "spark://10.0.0.1:7077")
    assert master_url(None) == "spark://10.0.0.1:7077"
    assert master_url("local[2]") == "local[2]"
