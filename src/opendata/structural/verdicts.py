"""The verdicts on a package's descriptor and Table Schemas, worked out once per validation.

They are opendata's own checks of the Data Package and Table Schema standards
(`structural/descriptor.py`, `structural/tableschema.py`), which give frictionless 5.21's
verdicts without importing it: a few milliseconds of `jsonschema`, so they need neither a
second process nor the 0.2 s of importing frictionless.
"""

from __future__ import annotations

from opendata.package import Package
from opendata.report import Issue
from opendata.structural.descriptor import descriptor_issues
from opendata.structural.schema import check_schema

Verdicts = tuple[list[Issue], dict[str, list[Issue]]]


def verdicts(package: Package) -> Verdicts:
    """The descriptor's problems, and each resource's Table Schema problems by resource name."""
    return descriptor_issues(package), {r.name: check_schema(r) for r in package.resources}


class Pending:
    """The verdicts on a package, worked out when first asked for (on whichever thread asks)."""

    def __init__(self, package: Package) -> None:
        self._package = package
        self._found: Verdicts | None = None

    def result(self) -> Verdicts:
        """The verdicts, worked out on the first call."""
        if self._found is None:
            self._found = verdicts(self._package)
        return self._found
