"""Start-up tuning the command line opts into: settings for a short-lived process, in one place.

Library callers never get these: they change process-wide state (environment variables read
when pyarrow and numpy load, the garbage collector's thresholds, how the process ends), which is
the command's to decide, not a library's.
"""

from __future__ import annotations

import gc
import os
import sys
from types import ModuleType
from typing import TYPE_CHECKING, Any, cast

if TYPE_CHECKING:
    from importlib.abc import Loader  # importlib.abc imports importlib.resources: 0.01 s
    from importlib.machinery import ModuleSpec


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


def defer_pandas() -> bool:
    """Keep pyarrow from importing pandas until someone else does; True when it was kept from it.

    Importing pandas costs 0.25-0.3 s of CPU (measured), most of a 0.4 s run on a small package
    whose checks never touch pandas. pyarrow imports it from two places:

    - its Python shim, the first time it wants to know whether an argument is a pandas object
      (any compute call with a Python value, `pa.array`, `pa.table`). Here that first look is
      made while pandas cannot be imported, so pyarrow carries on as where pandas is not
      installed; the moment pandas is imported (by the declared checks, or anyone) pyarrow is
      made to look again (`_PandasAPIShim.compat`), so later uses of pandas with pyarrow
      (`to_pandas`, `pa.table(frame)`, a Series' NaN read as null) work as usual;
    - its C++ conversions, which import pandas once and for good: inferring the Arrow type of a
      Python value (`pa.scalar(0)`, `pc.equal(column, 0)`) and `Array.to_numpy`. Those cannot
      be deferred without losing pandas's null markers for the rest of the process, so the
      structural layer does not call them: its scalars are typed and its masks go through
      `opendata.io.arrays` (`tests/test_startup.py` runs a package of every kind through).

    Nothing is done once pandas is loaded. Call it before starting threads: during the first
    look, `import pandas` fails in every thread.
    """
    if "pandas" in sys.modules:
        return False
    import pyarrow

    shim: Any = getattr(pyarrow.lib, "_pandas_api", None)
    if not hasattr(type(shim), "compat"):  # a pyarrow without the shim: leave it be
        return False
    blocked = _NotHere()
    sys.meta_path.insert(0, blocked)
    try:
        shim.have_pandas  # noqa: B018  (pyarrow's first look)
    finally:
        sys.meta_path.remove(blocked)
    sys.meta_path.insert(0, _LookAgain(shim))
    return True


class _NotHere:
    """An import finder for which pandas is not installed."""

    def find_spec(self, name: str, path: Any = None, target: Any = None) -> ModuleSpec | None:
        """Refuse pandas; leave every other module to the next finder."""
        if name == "pandas":
            raise ModuleNotFoundError("pandas is imported later, when wanted", name=name)
        return None


class _LookAgain:
    """An import finder that, once pandas has been imported, has pyarrow look for it again.

    It stays in `sys.meta_path` after its one use, idle: removing it while another thread walks
    the list could make that thread skip the next finder.
    """

    def __init__(self, shim: Any) -> None:
        self.shim = shim
        self.done = False

    def find_spec(self, name: str, path: Any = None, target: Any = None) -> ModuleSpec | None:
        """pandas's own spec, with a loader that tells pyarrow when pandas has loaded."""
        if name != "pandas" or self.done:
            return None
        self.done = True  # before find_spec below, which asks every finder again
        from importlib.util import find_spec

        spec = find_spec(name)
        if spec is not None and spec.loader is not None:
            spec.loader = cast("Loader", _Then(spec.loader, self.shim))
        return spec


class _Then:
    """pandas's loader, followed by pyarrow's second look; then it steps aside for the original."""

    def __init__(self, loader: Any, shim: Any) -> None:
        self.loader = loader
        self.shim = shim

    def create_module(self, spec: ModuleSpec) -> ModuleType | None:
        """As pandas's own loader does."""
        module: ModuleType | None = self.loader.create_module(spec)
        return module

    def exec_module(self, module: ModuleType) -> None:
        """Run pandas, put its own loader back, then let pyarrow find it."""
        try:
            self.loader.exec_module(module)
        finally:
            if module.__spec__ is not None:
                module.__spec__.loader = self.loader
            module.__loader__ = self.loader
        try:
            self.shim.compat  # noqa: B018  (pyarrow looks again and takes pandas's API)
        except ImportError:  # a pandas pyarrow refuses (too old): as if pyarrow had looked first
            pass


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
