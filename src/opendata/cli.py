"""The `opendata` command line: thin commands over the Python API."""

from __future__ import annotations

import sys
from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar

import click

from opendata import __version__

F = TypeVar("F", bound=Callable[..., Any])


def handle_errors(func: F) -> F:
    """Turn OpendataError into a one-line message on stderr and its exit code; never a traceback."""

    @wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        from opendata.errors import OpendataError

        try:
            return func(*args, **kwargs)
        except OpendataError as exc:
            click.echo(f"error: {exc.one_line}", err=True)
            sys.exit(exc.exit_code)
        except KeyboardInterrupt:
            click.echo("error: interrupted", err=True)
            sys.exit(2)

    return wrapper  # type: ignore[return-value]


def run() -> None:
    """The console entry point: `main` with the start-up tuning of `opendata.startup`.

    An unexpected exception still propagates as usual.
    """
    from opendata import startup

    startup.prepare()
    try:
        main()
        code: object = 0
    except SystemExit as exc:
        code = exc.code
    startup.exit_now(code)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="opendata")
def main() -> None:
    """Validate, diff, version and publish Frictionless Data Packages."""


@main.command()
@click.argument("descriptor", default="datapackage.json", type=click.Path(dir_okay=True))
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["text", "json", "github"]),
    default="text",
    show_default=True,
    help="Output: text for people, json (the API's report dict), github (workflow annotations).",
)
@click.option("--only", metavar="RESOURCE", help="Validate one resource (and the checks on it).")
@click.option(
    "--sources",
    metavar="DIR",
    type=click.Path(file_okay=False),
    help="Folder of source texts named by source id: check every figure as written occurs in it.",
)
@click.option(
    "--chunk-mb",
    type=click.IntRange(1, 4096),
    default=64,
    show_default=True,
    help="Read CSV files in chunks of this many megabytes; lower it to use less memory.",
)
@click.option(
    "--engine",
    type=click.Choice(["local", "spark"]),
    default="local",
    show_default=True,
    help="local: this process; spark: Spark jobs (pip install 'opendata[spark]'; docs/engines.md).",
)
@click.option(
    "--spark-master",
    metavar="URL",
    help="Spark master for --engine spark (default $OPENDATA_SPARK_MASTER, else local[*]).",
)
@handle_errors
def validate(
    descriptor: str,
    fmt: str,
    only: str | None,
    sources: str | None,
    chunk_mb: int,
    engine: str,
    spark_master: str | None,
) -> None:
    """Validate a data package: structure (Table Schema) and declared checks.

    Exit 0 when valid (warnings allowed), 1 when invalid, 2 when it could not run.
    """
    from opendata.errors import CouldNotRun
    from opendata.render.report import render_github, render_json, render_text

    try:
        if engine == "spark":
            from opendata.spark.engine import validate_package_spark

            report = validate_package_spark(
                descriptor, master=spark_master, only=only, sources=sources
            )
        else:
            from opendata.validate import validate_package

            report = validate_package(
                descriptor, only=only, sources=sources, block_size=chunk_mb << 20, child=True
            )
    except MemoryError:
        raise CouldNotRun(
            f"out of memory with chunks of {chunk_mb} MB",
            path=descriptor,
            hint="try a smaller --chunk-mb",
        ) from None
    if fmt == "json":
        click.echo(render_json(report))
    elif fmt == "github":
        click.echo(render_github(report))
    else:
        render_text(report, sys.stdout)
    sys.exit(0 if report.valid else 1)


# --- releases: diff, release check, build, publish, get (issue 5) ---------------------------


@main.command()
@click.argument("old")
@click.argument("new", default=".")
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["text", "json", "markdown"]),
    default="text",
    show_default=True,
    help="Output: text for people, json (the API's dict), markdown (for pull requests).",
)
@click.option("--repo", default=".", show_default=True, help="Git repository for revisions.")
@handle_errors
def diff(old: str, new: str, fmt: str, repo: str) -> None:
    """Show what changed between two package versions and the semver bump it implies.

    OLD and NEW are package folders, descriptors, release zips or git revisions (HEAD~1,
    v1.0.0, REV:path/to/package).
    """
    from opendata.render.diff import render_diff
    from opendata.versions.diff import diff_packages

    click.echo(render_diff(diff_packages(old, new, repo=repo), fmt), nl=False)


@main.group()
def release() -> None:
    """Release gates."""


@release.command("check")
@click.option("--base", required=True, metavar="REV", help="Revision to compare with (main).")
@click.option("--repo", default=".", show_default=True, help="The package folder in a git repo.")
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text")
@handle_errors
def release_check(base: str, repo: str, fmt: str) -> None:
    """Fail when data changed since BASE without a version bump and CHANGELOG entry.

    Exit 0 when it passes, 1 when it fails, 2 when it could not run.
    """
    import json

    from opendata.release.core import release_check as check

    result = check(repo, base)
    if fmt == "json":
        click.echo(json.dumps(result.to_dict(), indent=2, ensure_ascii=False))
    else:
        click.echo(result.render(), nl=False)
    sys.exit(0 if result.passed else 1)


@main.command()
@click.argument("descriptor", default=".", type=click.Path())
@click.option("--out", default="dist", show_default=True, help="Folder to write the release to.")
@handle_errors
def build(descriptor: str, out: str) -> None:
    """Build dist/<name>-<version>/, its zip and SHA256SUMS, deterministically."""
    from opendata.release.core import build as build_release

    notes: list[str] = []
    path = build_release(descriptor, out, notes=notes)
    for note in notes:
        click.echo(f"note: {note}", err=True)
    click.echo(f"built {path} and {path}.zip")


@main.command()
@click.argument("release_dir", metavar="RELEASE", type=click.Path())
@click.option("--to", "catalog", required=True, metavar="CATALOG", help="Catalog folder.")
@handle_errors
def publish(release_dir: str, catalog: str) -> None:
    """Add a built release to a static catalog folder (published versions are immutable)."""
    from opendata.release.core import publish as publish_release

    click.echo(f"published {publish_release(release_dir, catalog)}")


@main.command()
@click.argument("catalog")
@click.argument("spec", metavar="NAME[@VERSION]")
@click.option("--to", default=".", show_default=True, help="Folder to unpack into.")
@handle_errors
def get(catalog: str, spec: str, to: str) -> None:
    """Download a release from a catalog folder or URL, verify checksums, validate, unpack."""
    from opendata.release.core import get as get_release

    click.echo(f"got {get_release(catalog, spec, to)}")
