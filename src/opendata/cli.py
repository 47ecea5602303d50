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

# pyarrow's allocator (mimalloc) keeps freed pages a while before returning them to the system;
# for a command that reads files chunk by chunk that delay is only peak memory (about 100 MB of
# 650 at 5 million rows, measured). Set before pyarrow loads; the user's own setting wins.
os.environ.setdefault("MIMALLOC_PURGE_DELAY", "0")
# numpy's OpenBLAS starts a thread per core when it loads, and they spin for a while: about
# 0.13 s of CPU taken from the reader on a two-core machine (measured), for no matrix algebra.
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")


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
    """The console entry point: `main`, then exit without tearing the interpreter down.

    By the time a command returns, its files are closed, its temporary folders removed and its
    child processes waited for; what is left is freeing every module of pandas, pyarrow and
    pandera one by one, which takes 0.2-0.3 s (measured), a sixth of a run on a small package.
    So once the output is flushed, the process ends at once with the command's exit code.
    An unexpected exception still propagates as usual.

    The cyclic garbage collector runs about seventy times less often than by default: with the
    modules of pandas, pyarrow and pandera loaded (and, on a bad file, a finding object per bad
    cell), its passes cost about a tenth of a run, on a small package and at millions of rows
    alike (measured); cycles are still collected, later.
    """
    import gc

    gc.set_threshold(50_000, 20, 100)
    try:
        main()
        code: object = 0
    except SystemExit as exc:
        code = exc.code
    if code is not None and not isinstance(code, int):  # sys.exit("message"): print it, exit 1
        print(code, file=sys.stderr)
        code = 1
    status = code or 0
    try:
        sys.stdout.flush()
        sys.stderr.flush()
    except OSError:  # the reader went away (a closed pipe): Python's own exit code for it
        status = status or 120
    os._exit(status)


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
@handle_errors
def validate(
    descriptor: str, fmt: str, only: str | None, sources: str | None, chunk_mb: int
) -> None:
    """Validate a data package: structure (Table Schema) and declared checks.

    Exit 0 when valid (warnings allowed), 1 when invalid, 2 when it could not run.
    """
    from opendata.errors import CouldNotRun
    from opendata.render import render_github, render_json, render_text
    from opendata.validate import validate_package

    try:
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
    from opendata.diff import diff_packages
    from opendata.render_diff import render_diff

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

    from opendata.release import release_check as check

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
    from opendata.release import build as build_release

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
    from opendata.release import publish as publish_release

    click.echo(f"published {publish_release(release_dir, catalog)}")


@main.command()
@click.argument("catalog")
@click.argument("spec", metavar="NAME[@VERSION]")
@click.option("--to", default=".", show_default=True, help="Folder to unpack into.")
@handle_errors
def get(catalog: str, spec: str, to: str) -> None:
    """Download a release from a catalog folder or URL, verify checksums, validate, unpack."""
    from opendata.release import get as get_release

    click.echo(f"got {get_release(catalog, spec, to)}")
