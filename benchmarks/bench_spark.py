"""Benchmark the Spark engine beside the local engine, on bench.py's generated county-year panel.

One command (from a venv with the `spark` extra; the local engine may run from another venv)::

    python benchmarks/bench_spark.py [--sizes 1000000,5000000] [--master local[2]]
                                     [--local-python .venv/bin/python] [--out FILE]

For every size, on the package `bench.dataset(n)` generates (cached in ``benchmarks/.data/``),
each in a fresh process: `opendata validate --engine local` and `--engine spark` on the
``errors/`` and ``clean/`` copies (wall time; CPU time and peak RSS of the Python process and
the children it waited for — for Spark that leaves out the JVM, which pyspark does not wait
for, so only the wall time compares the engines), and once more through the API in a child that
reports where the Spark engine's time goes (session start, each resource's structural jobs,
the declared checks). Both engines' findings on ``errors/`` must equal the injected set, and
each other; the clean copy must have none.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import bench  # noqa: E402  (bench.py sits beside this file)


def _phases(descriptor: str, master: str) -> None:
    """Child: validate on Spark through the API; print the phase timings as JSON."""
    from opendata.spark.engine import validate_package_spark

    timings: dict[str, float] = {}
    report = validate_package_spark(descriptor, master=master, timings=timings)
    print(json.dumps({"timings": timings, "issues": len(report.issues)}))


def _triples(stdout: str) -> list[Any]:
    got, _other = bench.opendata_triples(json.loads(stdout)["issues"])
    return got


def bench_size(n: int, master: str, local_python: str, spark_python: str) -> list[str]:
    """Time both engines on n rows; the result lines (and problems found)."""
    root, expected = bench.dataset(n)
    lines = [
        f"### {n:,} rows ({(root / 'errors' / 'data' / 'panel.csv').stat().st_size / 2**20:.0f} MB CSV)",
        "",
    ]
    lines += [
        "| engine | copy | wall s | Python CPU s | Python peak MB |",
        "|---|---|---|---|---|",
    ]
    results: dict[tuple[str, str], Any] = {}
    for copy in ("errors", "clean"):
        descriptor = str(root / copy / "datapackage.json")
        for engine, python, extra in (
            ("local", local_python, []),
            ("spark", spark_python, ["--engine", "spark", "--spark-master", master]),
        ):
            cmd = [python, "-m", "opendata", "validate", descriptor, "--format", "json", *extra]
            run = bench.run(cmd)
            results[(engine, copy)] = run
            lines.append(
                f"| {engine} | {copy} | {run.wall:.1f} | {run.cpu:.1f} | {run.rss_mb:.0f} |"
            )
            print(lines[-1], flush=True)
    local, spark = results[("local", "errors")], results[("spark", "errors")]
    lines += [
        "",
        f"Spark / local on the error copy: {spark.wall / local.wall:.1f}× the wall time.",
    ]
    problems = []
    if _triples(spark.stdout) != _triples(local.stdout):
        problems.append(f"{n}: the engines' findings differ")
    if _triples(spark.stdout) != sorted(expected, key=bench._sort_key):
        problems.append(f"{n}: Spark's findings differ from the injected set")
    if json.loads(results[("spark", "clean")].stdout)["issues"]:
        problems.append(f"{n}: Spark reports issues on the clean copy")
    me = str(Path(__file__).resolve())
    phases = bench.run(
        [spark_python, me, "--child-phases", str(root / "errors" / "datapackage.json"), master]
    )
    timings = json.loads(phases.stdout.strip().splitlines()[-1])["timings"]
    lines += ["", "Where the Spark engine's time goes (error copy, through the API):", ""]
    lines += [f"- {name}: {seconds:.1f} s" for name, seconds in timings.items()]
    lines += [""] + [f"**problem:** {p}" for p in problems]
    return lines


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--sizes", default="100000")
    p.add_argument("--master", default="local[2]")
    p.add_argument("--local-python", default=sys.executable)
    p.add_argument("--spark-python", default=sys.executable)
    p.add_argument("--out", default=None, help="also write the results (Markdown) to this file")
    p.add_argument(
        "--child-phases", nargs=2, metavar=("DESCRIPTOR", "MASTER"), help=argparse.SUPPRESS
    )
    args = p.parse_args()
    if args.child_phases:
        _phases(*args.child_phases)
        return
    out = ["## Spark engine beside the local engine", "", f"Master `{args.master}`.", ""]
    for n in (int(s) for s in args.sizes.split(",")):
        out += bench_size(n, args.master, args.local_python, args.spark_python)
    text = "\n".join(out) + "\n"
    print(text)
    if args.out:
        Path(args.out).write_text(text, encoding="utf-8")


if __name__ == "__main__":
    main()
