"""opendata: validate, diff, version and publish Frictionless Data Packages.

The public API, imported on first use so that `import opendata` (and `opendata --help`) stays
instant:

- `validate_package(descriptor)` -> `Report` of `Issue`s
- `diff_packages(old, new)` -> `PackageDiff`
- `release_check(repo, base)` -> `GateResult`
- `build(descriptor, out)`, `publish(release, catalog)`, `get(catalog, spec, to)`
- `load_release(path)` -> typed pandas DataFrames
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

_API = {
    "validate_package": "opendata.validate",
    "diff_packages": "opendata.versions.diff",
    "release_check": "opendata.release.gate",
    "build": "opendata.release.build",
    "publish": "opendata.release.catalog",
    "get": "opendata.release.get",
    "load_release": "opendata.release.get",
    "Report": "opendata.report",
    "Issue": "opendata.report",
    "schema_for": "opendata.semantic.export",
    "write_schemas": "opendata.semantic.export",
    "register_checks": "opendata.semantic.pandera_checks",
}

__all__ = ["__version__", *_API]

if TYPE_CHECKING:
    from opendata.release.build import build as build
    from opendata.release.catalog import publish as publish
    from opendata.release.gate import release_check as release_check
    from opendata.release.get import get as get
    from opendata.release.get import load_release as load_release
    from opendata.report import Issue as Issue
    from opendata.report import Report as Report
    from opendata.validate import validate_package as validate_package
    from opendata.versions.diff import diff_packages as diff_packages


def __getattr__(name: str) -> Any:
    """Import a public name from the module that owns it, on first use."""
    if name not in _API:
        raise AttributeError(f"module 'opendata' has no attribute {name!r}")
    value = getattr(import_module(_API[name]), name)
    globals()[name] = value
    return value
