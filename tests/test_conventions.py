"""The ecosystem's conventions: a pre-commit hook, a GitHub Action and this repository's CI.

Each file is parsed, and every `opendata` command it runs must exist with the options it uses,
so a renamed command or option breaks here rather than in someone else's repository.
"""

from __future__ import annotations

import re
import shlex
import tomllib
from pathlib import Path
from typing import Any

import click
import pytest
import yaml

from opendata.cli import main
from tests.conftest import REPO


def load(name: str) -> Any:
    return yaml.safe_load((REPO / name).read_text(encoding="utf-8"))


def opendata_calls(script: str) -> list[list[str]]:
    """The argument lists of the `opendata ...` commands in a shell script or hook entry."""
    calls = []
    for line in script.splitlines():
        line = re.sub(r'"\$[^"]*"', "ARG", line.strip())  # "$PACKAGE", "${BASE:-...}"
        if line.startswith("opendata "):
            calls.append(shlex.split(line, comments=True)[1:])
    return calls


def unknown_parts(args: list[str]) -> list[str]:
    """Parts of an `opendata` command line the CLI does not have: a command, option or choice."""
    command: click.Command = main
    rest = list(args)
    while isinstance(command, click.Group) and rest and not rest[0].startswith("-"):
        sub = command.commands.get(rest[0])
        if sub is None:
            return [rest[0]]
        command, rest = sub, rest[1:]
    if isinstance(command, click.Group):
        return ["(a group, not a command)"]
    options = {o: p for p in command.params for o in p.opts if isinstance(p, click.Option)}
    bad = []
    for i, arg in enumerate(rest):
        if not arg.startswith("--"):
            continue
        option = options.get(arg.split("=")[0])
        if option is None:
            bad.append(arg)
        elif isinstance(option.type, click.Choice) and i + 1 < len(rest):
            if rest[i + 1] not in option.type.choices:
                bad.append(f"{arg} {rest[i + 1]}")
    return bad


def test_the_check_of_commands_sees_a_missing_command_option_or_choice() -> None:
    assert unknown_parts(["validate", "--format", "github"]) == []
    assert unknown_parts(["release", "check", "--base", "ARG", "--repo", "ARG"]) == []
    assert unknown_parts(["valdate"]) == ["valdate"]
    assert unknown_parts(["validate", "--fromat", "github"]) == ["--fromat"]
    assert unknown_parts(["validate", "--format", "gitlab"]) == ["--format gitlab"]
    assert unknown_parts(["release"]) == ["(a group, not a command)"]


def test_pre_commit_hook_runs_opendata_validate() -> None:
    hooks = {h["id"]: h for h in load(".pre-commit-hooks.yaml")}
    hook = hooks["opendata-validate"]
    assert hook["language"] == "python"  # pre-commit installs this repository into a venv
    assert hook["pass_filenames"] is False  # validate takes a descriptor, not the changed files
    scripts = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]["scripts"]
    assert hook["entry"].split()[0] in scripts
    assert opendata_calls(hook["entry"]) == [["validate"]]
    files = re.compile(hook["files"])
    for path in ("datapackage.json", "data/counties.csv", "schemas/counties.schema.json"):
        assert files.search(path), path
    assert not files.search("README.md")


def test_action_is_composite_and_runs_validate_and_release_check() -> None:
    action = load("action.yml")
    assert action["runs"]["using"] == "composite"
    steps = action["runs"]["steps"]
    assert all("shell" in s for s in steps if "run" in s)  # composite steps must name a shell
    calls = [c for s in steps if "run" in s for c in opendata_calls(s["run"])]
    assert [c[:2] for c in calls] == [["validate", "ARG"], ["release", "check"]]
    assert calls[0][calls[0].index("--format") + 1] == "github"
    for call in calls:
        assert unknown_parts(call) == [], call
    used = set(re.findall(r"inputs\.([\w-]+)", (REPO / "action.yml").read_text()))
    assert used == set(action["inputs"])  # every input is used, every used input declared


def test_ci_workflow_runs_the_ci_script() -> None:
    workflow = load(".github/workflows/ci.yml")
    triggers = workflow.get("on", workflow.get(True))  # YAML 1.1 reads `on` as true
    assert {"push", "pull_request"} <= set(triggers)
    runs = [s["run"] for job in workflow["jobs"].values() for s in job["steps"] if "run" in s]
    assert "bash .ci/run" in runs
    checkout = next(
        s
        for job in workflow["jobs"].values()
        for s in job["steps"]
        if "checkout" in s.get("uses", "")
    )
    assert checkout["with"]["fetch-depth"] == 0  # the release gate needs history


@pytest.mark.parametrize("script", [".ci/run"])
def test_ci_script_calls_only_existing_commands(script: str) -> None:
    text = (REPO / script).read_text(encoding="utf-8")
    calls = opendata_calls(text.replace('"$venv/bin/opendata"', "opendata"))
    assert {c[0] for c in calls} >= {"validate", "release", "build"}
    for call in calls:
        assert unknown_parts(call) == [], call
    assert "command -v" in text and "chromium-driver" in text  # installs the browser when missing


def test_readme_names_the_hook_and_the_action() -> None:
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    assert "id: opendata-validate" in readme
    assert "uses: " in readme and "action" in readme.lower()
    assert Path(REPO / ".github" / "workflows" / "ci.yml").is_file()
