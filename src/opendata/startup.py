"""Start-up tuning the command line opts into: settings for a short-lived process, in one place.

Library callers never get these: they change process-wide state (environment variables read
when pyarrow and numpy load, the garbage collector's thresholds, how the process ends), which is
the command's to decide, not a library's.
"""

from __future__ import annotations

import gc
import os
import sys


def prepare() -> None:
    """Settings that must be in place before pandas, pyarrow and numpy load.

    - pyarrow's allocator (mimalloc) keeps freed pages a while before returning them; for a
      command that reads files chunk by chunk that delay is only peak memory (about 100 MB of
      650 at 5 million rows, measured).
    - numpy's OpenBLAS starts a spinning thread per core when it loads: about 0.13 s of CPU
      taken from the reader on a two-core machine (measured), for no matrix algebra.
    - The cyclic garbage collector runs about seventy times less often than by default: with
      pandas, pyarrow and pandera loaded (and, on a bad file, a finding per bad cell) its passes
      cost about a tenth of a run, on a small package and at millions of rows alike (measured);
      cycles are still collected, later.

    The user's own environment settings win.
    """
    os.environ.setdefault("MIMALLOC_PURGE_DELAY", "0")
    os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
    gc.set_threshold(50_000, 20, 100)


def exit_now(code: object) -> None:
    """Flush the output and end the process with the command's exit code, skipping teardown.

    By the time a command returns, its files are closed, its temporary folders removed and its
    child processes waited for; what is left is freeing every module of pandas, pyarrow and
    pandera one by one, 0.2-0.3 s (measured), a sixth of a run on a small package.
    """
    if code is not None and not isinstance(code, int):  # sys.exit("message"): print it, exit 1
        print(code, file=sys.stderr)
        code = 1
    status = code or 0
    try:
        sys.stdout.flush()
    except OSError:
        # The reader went away (a closed pipe): the output is incomplete, so the command did
        # not finish, exit 2 as `cli.handle_errors` says when the pipe closes earlier (Python's
        # own exit code for a failed final flush is 120, which means nothing to a CI script).
        status = 2
        _say("error: the output was closed before the command finished\n")
    try:
        sys.stderr.flush()
    except OSError:
        status = status or 2
    os._exit(status)


def _say(line: str) -> None:
    """Write LINE to stderr, should stderr still be open."""
    try:
        sys.stderr.write(line)
    except (OSError, ValueError):
        pass
