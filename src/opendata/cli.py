"""The `opendata` command line: thin commands over the Python API."""

from __future__ import annotations

import os
import sys
from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar

import click

from opendata import __version__

F = TypeVar("F", bound=Callable[..., Any])


def handle_errors(func: F) -> F:
    """The one boundary for "could not run": a line on stderr and exit 2, never a traceback.

    `OpendataError` carries its own message and exit code. Whatever else escapes a command —
    an OS error, a parser's, pyarrow's, or a malformed structure the code did not foresee — is
    turned into one line naming the kind of failure and the file, with exit 2, so that CI never
    reads a crash as "invalid" (exit 1). `OPENDATA_DEBUG=1` shows the traceback instead.
    Ctrl-C and a closed output pipe are exit 2 as well: the command did not finish.
    """

    @wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        from opendata.errors import OpendataError, from_unexpected

        previous_hook = sys.unraisablehook
        sys.unraisablehook = _quiet_unraisable
        try:
            return func(*args, **kwargs)
        except OpendataError as exc:
            click.echo(f"error: {exc.one_line}", err=True)
            sys.exit(exc.exit_code)
        except KeyboardInterrupt:
            click.echo("error: interrupted", err=True)
            sys.exit(2)
        except BrokenPipeError:
            _silence_stdout()
            click.echo("error: the output was closed before the command finished", err=True)
            sys.exit(2)
        except (click.exceptions.Exit, click.ClickException, SystemExit):
            raise
        except (Exception, RecursionError, MemoryError) as exc:
            if os.environ.get("OPENDATA_DEBUG"):
                raise
            err = from_unexpected(exc)
            click.echo(f"error: {err.one_line}", err=True)
            sys.exit(err.exit_code)
        finally:
            sys.unraisablehook = previous_hook

    return wrapper  # type: ignore[return-value]


def _quiet_unraisable(unraisable: Any) -> None:
    """Drop "Exception ignored in ..." reports (pyarrow prints them on binary garbage)."""


def _silence_stdout() -> None:
    """Point stdout at /dev/null so that the final flush does not fail again."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError, AttributeError):
        pass


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
        # click answers a closed pipe outside the commands (--help, --version) with exit 1 and
        # its stdout wrapped so that the last flush stays quiet: exit 2, as handle_errors does.
        if code == 1 and type(sys.stdout).__name__.endswith("PacifyFlushWrapper"):
            click.echo("error: the output was closed before the command finished", err=True)
            code = 2
    startup.exit_now(code)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="opendata")
def main() -> None:
    """Validate, diff, version and publish Frictionless Data Packages."""


def allow_remote_option(func: F) -> F:
    """The `--allow-remote` flag: download http(s) descriptors and files, within limits."""
    return click.option(
        "--allow-remote",
        is_flag=True,
        help="Download http(s) descriptors and files they name (into a temporary folder, "
        "removed afterwards; OPENDATA_REMOTE_MAX_BYTES, OPENDATA_REMOTE_DEADLINE).",
    )(func)


@main.command()
@click.argument("descriptor", default=".", metavar="[PATH]", type=click.Path(dir_okay=True))
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["text", "json", "github", "html"]),
    default="text",
    show_default=True,
    help="Output: text for people, json (the API's report dict), github (workflow annotations), "
    "html (one self-contained page).",
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
@click.option(
    "--schema",
    metavar="SCHEMA",
    help="Table Schema (JSON or YAML) for a single data file; without it one is inferred.",
)
@allow_remote_option
@handle_errors
def validate(
    descriptor: str,
    fmt: str,
    only: str | None,
    sources: str | None,
    chunk_mb: int,
    engine: str,
    spark_master: str | None,
    schema: str | None,
    allow_remote: bool,
) -> None:
    """Validate a data package: structure (Table Schema) and declared checks.

    PATH is a package folder, a descriptor, or one data file (a CSV: its schema is inferred
    unless --schema names one); an http(s) URL of either with --allow-remote.
    Exit 0 when valid (warnings allowed), 1 when invalid, 2 when it could not run.
    """
    from opendata.errors import CouldNotRun
    from opendata.render.progress import terminal_progress
    from opendata.render.report import render

    if engine == "spark":
        from opendata.inputs import is_table

        if schema or allow_remote or "://" in descriptor or is_table(descriptor):
            raise CouldNotRun(
                "--engine spark reads local descriptors only",
                path=descriptor,
                hint="use --engine local for a single data file, --schema or --allow-remote",
            )
    try:
        if engine == "spark":
            from opendata.spark.engine import validate_package_spark

            report = validate_package_spark(
                descriptor, master=spark_master, only=only, sources=sources
            )
        else:
            from opendata.startup import defer_pandas
            from opendata.validate import validate_package

            defer_pandas()
            with terminal_progress() as progress:
                report = validate_package(
                    descriptor,
                    only=only,
                    sources=sources,
                    block_size=chunk_mb << 20,
                    progress=progress,
                    schema=schema,
                    allow_remote=allow_remote,
                )
    except MemoryError:
        raise CouldNotRun(
            f"out of memory with chunks of {chunk_mb} MB",
            path=descriptor,
            hint="try a smaller --chunk-mb",
        ) from None
    render(report, fmt, sys.stdout)
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
    from opendata.render.diff import render
    from opendata.versions.diff import diff_packages

    click.echo(render(diff_packages(old, new, repo=repo), fmt), nl=False)


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
    from opendata.release.gate import release_check as check
    from opendata.render.gate import render

    result = check(repo, base)
    click.echo(render(result, fmt), nl=False)
    sys.exit(0 if result.passed else 1)


@main.command()
@click.argument("descriptor", default=".", type=click.Path())
@click.option("--out", default="dist", show_default=True, help="Folder to write the release to.")
@handle_errors
def build(descriptor: str, out: str) -> None:
    """Build dist/<name>-<version>/, its zip and SHA256SUMS, deterministically."""
    from opendata.release.build import build as build_release
    from opendata.render.progress import terminal_progress

    notes: list[str] = []
    with terminal_progress() as progress:
        path = build_release(descriptor, out, notes=notes, progress=progress)
    for note in notes:
        click.echo(f"note: {note}", err=True)
    click.echo(f"built {path} and {path}.zip")


@main.command()
@click.argument("release_dir", metavar="RELEASE", type=click.Path())
@click.option("--to", "catalog", required=True, metavar="CATALOG", help="Catalog folder.")
@handle_errors
def publish(release_dir: str, catalog: str) -> None:
    """Add a built release to a static catalog folder (published versions are immutable)."""
    from opendata.release.catalog import publish as publish_release

    click.echo(f"published {publish_release(release_dir, catalog)}")


@main.command()
@click.argument("catalog")
@click.argument("spec", metavar="NAME[@VERSION]")
@click.option("--to", default=".", show_default=True, help="Folder to unpack into.")
@handle_errors
def get(catalog: str, spec: str, to: str) -> None:
    """Download a release from a catalog folder or URL, verify checksums, validate, unpack."""
    from opendata.release.get import get as get_release
    from opendata.render.progress import terminal_progress

    with terminal_progress() as progress:
        got = get_release(catalog, spec, to, progress=progress)
    click.echo(f"got {got}")


@main.command()
@click.argument("paths", nargs=-1, required=True, metavar="PATH...")
@click.option(
    "--format", "fmt", type=click.Choice(["json", "yaml"]), default="json", show_default=True
)
@click.option("--name", help="Package name (default: the data folder's name).")
@click.option(
    "--out",
    type=click.Path(dir_okay=False),
    help="Write the descriptor to this new file instead of printing it (never overwrites).",
)
@allow_remote_option
@handle_errors
def describe(
    paths: tuple[str, ...], fmt: str, name: str | None, out: str | None, allow_remote: bool
) -> None:
    """Draft a datapackage.json for data files: each table's schema inferred, to edit and keep.

    Paths are relative to the folder that will hold the descriptor (or http(s) URLs, with
    --allow-remote). Columns of digits with a leading zero (division codes) are kept as text
    with a width pattern, not integers. `opendata validate FILE` infers the same schema.
    """
    from opendata.describe import describe_tables, render_descriptor
    from opendata.errors import CouldNotRun

    drafted = describe_tables(list(paths), name=name, allow_remote=allow_remote)
    text = render_descriptor(drafted, fmt)
    if out is None:
        click.echo(text, nl=False)
        return
    try:
        with open(out, "x", encoding="utf-8") as fh:
            fh.write(text)
    except FileExistsError:
        raise CouldNotRun("file exists", path=out, hint="choose a new --out or remove it") from None
    except OSError as exc:
        raise CouldNotRun(f"cannot write: {exc.strerror}", path=out) from None
    click.echo(f"wrote {out}")


# --- declared checks as pandera schemas (issue 16) ------------------------------------------


@main.group()
def checks() -> None:
    """Declared checks as pandera schemas."""


@checks.command("export")
@click.argument("resource")
@click.argument("descriptor", default=".", type=click.Path())
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["yaml", "python"]),
    default="yaml",
    show_default=True,
    help="pandera's YAML (DataFrameSchema.from_yaml) or a Python script (needs black).",
)
@handle_errors
def checks_export(resource: str, descriptor: str, fmt: str) -> None:
    """Print RESOURCE's Table Schema and declared checks as a pandera DataFrameSchema.

    Columns are typed as `load_release` types them; references to other resources are
    resolved to their values in this package. Load it after `opendata.register_checks()`.
    """
    from opendata.errors import CouldNotRun
    from opendata.semantic.export import schema_for, to_yaml

    schema = schema_for(descriptor, resource)
    if fmt == "yaml":
        click.echo(to_yaml(schema), nl=False)
        return
    try:
        script = schema.to_script() or ""
    except ImportError:
        raise CouldNotRun(
            "writing the schema as Python needs the black formatter",
            hint="pip install black, or use --format yaml",
        ) from None
    # pandera writes the import its top level deprecates for pandas objects
    script = script.replace("from pandera import ", "from pandera.pandas import ", 1)
    click.echo("import opendata\n\nopendata.register_checks()  # the Check.opendata_* methods\n")
    click.echo(script, nl=False)
