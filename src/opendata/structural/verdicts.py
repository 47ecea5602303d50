"""frictionless's verdicts on a package's descriptor and Table Schemas, worked out in a child process.

Importing frictionless and checking a descriptor with it costs about half a second of CPU, all
of it holding the GIL. On a thread it only takes turns with importing pandas and pandera and
reading the tables; in a second Python process it runs on another core at the same time. The
child loads the same descriptor file and prints its findings as JSON. When the child cannot be
started or its answer cannot be read, the same verdicts are worked out in this process, so the
findings never depend on which way they were obtained.

Run as `python -m opendata.structural.verdicts DESCRIPTOR` to see the JSON a child prints.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

from opendata.codes import known
from opendata.package import Package, load_package
from opendata.report import Issue
from opendata.structural.schema import check_schema

Verdicts = tuple[list[Issue], dict[str, list[Issue]]]

# Set to 1 to work the verdicts out in this process (no child), for instance where starting a
# process is costly or forbidden.
IN_PROCESS_ENV = "OPENDATA_VERDICTS_IN_PROCESS"


def descriptor_issues(package: Package) -> list[Issue]:
    """Problems frictionless finds in the package descriptor itself (schemas and checks aside)."""
    from frictionless import Package as FPackage

    descriptor: dict[str, Any] = {k: v for k, v in package.descriptor.items() if k != "checks"}
    descriptor["resources"] = [
        {k: v for k, v in r.descriptor.items() if k not in ("schema", "checks")}
        for r in package.resources
    ]
    report = FPackage.validate_descriptor(descriptor)
    return [
        Issue(
            code=known(str(err.type), "metadata-error"),
            layer="descriptor",
            path=str(package.descriptor_path.name),
            message=f"invalid descriptor: {err.note}",
        )
        for err in report.errors
    ]


def verdicts(package: Package) -> Verdicts:
    """The descriptor's problems, and each resource's Table Schema problems by resource name."""
    return descriptor_issues(package), {r.name: check_schema(r) for r in package.resources}


def _to_json(found: Verdicts) -> str:
    descriptor, schemas = found
    return json.dumps(
        {
            "descriptor": [i.to_dict() for i in descriptor],
            "schemas": {name: [i.to_dict() for i in issues] for name, issues in schemas.items()},
        },
        ensure_ascii=False,
    )


def _from_json(text: str, names: list[str]) -> Verdicts:
    """The child's answer; KeyError, TypeError or ValueError when it is not a complete one."""
    data = json.loads(text)
    schemas = {name: [Issue(**d) for d in data["schemas"][name]] for name in names}
    return [Issue(**d) for d in data["descriptor"]], schemas


class Pending:
    """Verdicts being worked out by a child process (when `child`); `result()` waits for them.

    `result()` works them out here instead when no child was asked for or allowed, or when the
    child could not start, failed, or printed something that is not a complete answer for this
    package.
    """

    def __init__(self, package: Package, child: bool = True) -> None:
        self._package = package
        self._child: subprocess.Popen[bytes] | None = None
        self._cancelled = False
        if not child or os.environ.get(IN_PROCESS_ENV) == "1" or not sys.executable:
            return
        root = str(Path(__file__).resolve().parent.parent)
        env = dict(os.environ)
        env["PYTHONPATH"] = os.pathsep.join(p for p in (root, env.get("PYTHONPATH")) if p)
        try:
            self._child = subprocess.Popen(
                [
                    sys.executable,
                    "-m",
                    "opendata.structural.verdicts",
                    str(package.descriptor_path),
                ],
                stdin=subprocess.DEVNULL,
                stdout=subprocess.PIPE,
                stderr=subprocess.DEVNULL,
                env=env,
            )
        except OSError:
            self._child = None

    @property
    def child(self) -> subprocess.Popen[bytes] | None:
        """The child process working the verdicts out, or None when they are worked out here."""
        return self._child

    def result(self) -> Verdicts:
        """The verdicts: the child's answer when it gave a complete one, else worked out here."""
        if self._child is not None:
            out, _ = self._child.communicate()
            if self._cancelled:  # nobody waits for the answer any more: do not work it out
                return [], {}
            if self._child.returncode == 0:
                try:
                    return _from_json(
                        out.decode("utf-8"), [r.name for r in self._package.resources]
                    )
                except (KeyError, TypeError, ValueError):
                    pass
        return verdicts(self._package)

    def cancel(self) -> None:
        """Stop the child if it is still running (the caller no longer needs its answer)."""
        if self._child is not None and self._child.poll() is None:
            self._cancelled = True
            self._child.kill()
            self._child.wait()


def main(argv: list[str]) -> int:
    """Print the verdicts on the descriptor at argv[0] as JSON; exit 2 when it cannot be loaded."""
    from opendata.errors import OpendataError

    try:
        package = load_package(argv[0])
    except OpendataError as exc:
        print(f"error: {exc.one_line}", file=sys.stderr)
        return 2
    sys.stdout.write(_to_json(verdicts(package)))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
