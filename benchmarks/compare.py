"""A/B benchmark of two revisions of opendata: same data, same run, interleaved.

    python benchmarks/compare.py OLD NEW [--sizes 1000000,5000000] [--repeats 5]

Exports `src/` of both revisions (git archive, compiled to bytecode as an installed package
is), then runs `python -m opendata validate --format json` of each on the benchmark's error and
clean copies (see bench.py, whose data it reuses), taking the commands in turn so that a slow
spell of the machine weighs on both alike. It also times start-up on the repository's own
package. Reported: median wall and CPU seconds of each, and NEW/OLD ratios. It fails when the
two revisions report different findings: a refactor must not change what is found.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import bench  # the data and measurement helpers beside this file


def export(rev: str, into: Path) -> tuple[str, dict[str, str]]:
    """Export src/ of `rev` into `into`; its short commit and the environment that imports it."""
    import subprocess

    commit = bench._git("rev-parse", "--short", rev)
    archive = subprocess.run(
        ["git", "archive", "--format=tar", commit, "src"],
        cwd=bench.REPO,
        capture_output=True,
        check=True,
    )
    subprocess.run(["tar", "-x", "-C", str(into)], input=archive.stdout, check=True)
    bench.compile_source(into / "src")
    return commit, {**os.environ, "PYTHONPATH": str(into / "src")}


def findings(run: bench.Run) -> list[tuple[object, ...]]:
    """The report's findings as sortable tuples (code, resource, line, field, rule, message)."""
    issues = json.loads(run.stdout)["issues"]
    keys = ("code", "resource", "line", "field", "rule", "message")
    return sorted(tuple(str(i.get(k)) for k in keys) for i in issues)


def measure(
    label: str, cwd: Path, envs: dict[str, dict[str, str]], repeats: int
) -> tuple[str, list[str]]:
    """One table row: the medians of each revision on one package, and any findings that differ."""
    cmd = [sys.executable, "-m", "opendata", "validate", "--format", "json", "datapackage.json"]
    runs: dict[str, list[bench.Run]] = {name: [] for name in envs}
    for _ in range(repeats):
        for name, env in envs.items():
            runs[name].append(bench.run(cmd, cwd, env))
    old, new = (bench.median_of(runs[name]) for name in envs)
    problems = []
    if findings(old) != findings(new):
        problems.append(f"{label}: the two revisions report different findings")
    row = (
        f"| {label} | {old.wall:.2f} | {new.wall:.2f} | {new.wall / old.wall:.2f} "
        f"| {old.cpu:.2f} | {new.cpu:.2f} | {new.cpu / old.cpu:.2f} | {old.rss_mb:.0f} / {new.rss_mb:.0f} |"
    )
    print(row, flush=True)
    return row, problems


def main() -> None:
    """Parse arguments, export both revisions, measure every size, print a Markdown table."""
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("old")
    p.add_argument("new")
    p.add_argument("--sizes", default="1000000,5000000")
    p.add_argument("--repeats", type=int, default=5)
    args = p.parse_args()
    with tempfile.TemporaryDirectory() as a, tempfile.TemporaryDirectory() as b:
        old_commit, old_env = export(args.old, Path(a))
        new_commit, new_env = export(args.new, Path(b))
        envs = {old_commit: old_env, new_commit: new_env}
        print(f"OLD = {old_commit}, NEW = {new_commit}; medians of {args.repeats}, in turn\n")
        print(
            "| package | OLD s | NEW s | NEW/OLD | OLD CPU-s | NEW CPU-s | NEW/OLD CPU | MB OLD / NEW |"
        )
        print("|---|---|---|---|---|---|---|---|", flush=True)
        problems: list[str] = []
        _, found = measure("start-up (repository package)", bench.REPO, envs, args.repeats * 2)
        problems += found
        for n in (int(x) for x in args.sizes.split(",")):
            root, _ = bench.dataset(n)
            for copy in ("errors", "clean"):
                _, found = measure(f"{n:,} rows, {copy}", root / copy, envs, args.repeats)
                problems += found
    for problem in problems:
        print(f"PROBLEM: {problem}", file=sys.stderr)
    sys.exit(1 if problems else 0)


if __name__ == "__main__":
    main()
