"""Downloads over http(s): a size limit, a read timeout and a total deadline, one-line errors.

(Imported by every `load_package`, so what only a download needs is imported when it happens.)

`download` copies one URL to a file. `Downloads` is a private temporary folder of the files one
command downloaded (a remote descriptor and the files it names), removed when it closes; while
it is open (`with Downloads(...)`), `opendata.package.safe_local_path` fetches the URLs and the
paths relative to a remote descriptor it is asked for into it, and `public` turns its paths
back into the URLs they came from, so that no finding names the temporary folder.
"""

from __future__ import annotations

import contextvars
import os
import time
import urllib.parse
from collections.abc import Callable
from pathlib import Path
from types import TracebackType
from typing import Any

from opendata.errors import CouldNotRun, OpendataError

_CHUNK = 1 << 20
# A download must finish within a total deadline as well as answer each read within a timeout:
# a server that trickles a byte a second never trips the read timeout.
DEADLINE_ENV = "OPENDATA_REMOTE_DEADLINE"
TIMEOUT_ENV = "OPENDATA_REMOTE_TIMEOUT"
MAX_BYTES_ENV = "OPENDATA_REMOTE_MAX_BYTES"
DEFAULT_DEADLINE = 600.0
DEFAULT_TIMEOUT = 30.0
DEFAULT_MAX_BYTES = 1 << 30
FLAG_HINT = "pass --allow-remote to download it"


def is_url(text: str) -> bool:
    """Whether TEXT is an http(s) URL rather than a local path."""
    return text.lower().startswith(("http://", "https://"))


def env_number(name: str, default: float) -> float:
    """A positive number from the environment variable NAME, else DEFAULT; junk is a CouldNotRun."""
    raw = os.environ.get(name)
    try:
        value = float(raw) if raw else default
    except ValueError:
        raise CouldNotRun(f"{name}={raw!r} is not a number") from None
    return value if value > 0 else default


class TooLarge(CouldNotRun):
    """A download went past its size limit."""


class DeadlinePassed(CouldNotRun):
    """A download did not finish within its deadline."""


def copy_limited(
    src: Any,
    dest: Path,
    *,
    until: float,
    limit: int | None,
    name: str,
    where: str,
    on_bytes: Callable[[int], None] | None = None,
    deadline_env: str = DEADLINE_ENV,
) -> tuple[int, str]:
    """Copy the open binary stream SRC into DEST; (bytes, sha256). Stops past LIMIT bytes
    (`TooLarge`) and at the monotonic time UNTIL (`DeadlinePassed`, whose hint names
    DEADLINE_ENV); `on_bytes` hears each piece.
    """
    import hashlib

    h = hashlib.sha256()
    size = 0
    with dest.open("wb") as out:
        # read1: whatever has arrived, so that the deadline is looked at while bytes trickle.
        while chunk := src.read1(_CHUNK):
            if time.monotonic() > until:
                raise DeadlinePassed(
                    f"downloading {name} did not finish within its deadline",
                    path=where,
                    hint=f"try again, or raise {deadline_env} (seconds)",
                )
            size += len(chunk)
            if limit is not None and size > limit:
                raise TooLarge(
                    f"{name} is larger than the {limit} bytes allowed",
                    path=where,
                    hint=f"raise {MAX_BYTES_ENV} if it should be read",
                )
            h.update(chunk)
            out.write(chunk)
            if on_bytes is not None:
                on_bytes(len(chunk))
    return size, h.hexdigest()


def open_url(url: str, *, until: float, name: str | None = None) -> Any:
    """The response to GET URL; redirects are followed to http(s) URLs only. Errors as `download`."""
    import urllib.request

    class _HttpOnly(urllib.request.HTTPRedirectHandler):
        def http_error_302(self, req: Any, fp: Any, code: int, msg: str, headers: Any) -> Any:
            target = urllib.parse.urljoin(req.full_url, headers.get("location") or "")
            if not is_url(target):
                raise CouldNotRun(
                    f"cannot download: redirected to {target!r}, which is not http(s)",
                    path=url,
                    hint="only http:// and https:// are followed",
                )
            return super().http_error_302(req, fp, code, msg, headers)

        http_error_301 = http_error_303 = http_error_307 = http_error_308 = http_error_302

    opener = urllib.request.build_opener(_HttpOnly)
    wait = max(0.1, min(env_number(TIMEOUT_ENV, DEFAULT_TIMEOUT), until - time.monotonic()))
    try:
        return opener.open(url, timeout=wait)
    except Exception as exc:
        raise network_error(exc, url, name) from None


def network_error(exc: BaseException, url: str, name: str | None = None) -> OpendataError:
    """One line for a failed HTTP request: the status, an unknown host, a timeout, a refusal."""
    import socket
    import urllib.error

    if isinstance(exc, OpendataError):
        return exc
    what = f"cannot download {name}" if name else "cannot download"
    if isinstance(exc, urllib.error.HTTPError):
        return CouldNotRun(f"{what}: HTTP {exc.code} {exc.reason}", path=url)
    reason = exc.reason if isinstance(exc, urllib.error.URLError) else exc
    if isinstance(reason, socket.gaierror):
        host = urllib.parse.urlsplit(url).hostname
        return CouldNotRun(f"{what}: host {host!r} not found", path=url, hint="check the URL")
    if isinstance(reason, TimeoutError):
        return CouldNotRun(
            f"{what}: the server did not answer in time",
            path=url,
            hint=f"try again, or raise {TIMEOUT_ENV} (seconds)",
        )
    text = getattr(reason, "strerror", None) or str(reason) or type(reason).__name__
    return CouldNotRun(f"{what}: {text}", path=url)


def download(
    url: str,
    dest: Path,
    *,
    until: float,
    limit: int | None,
    name: str | None = None,
    on_bytes: Callable[[int], None] | None = None,
) -> tuple[int, str]:
    """Copy URL into DEST within LIMIT bytes and by the monotonic time UNTIL; (bytes, sha256)."""
    import http.client

    response = open_url(url, until=until)
    try:
        with response:
            return copy_limited(
                response,
                dest,
                until=until,
                limit=limit,
                name=name or url,
                where=url,
                on_bytes=on_bytes,
            )
    except OpendataError:
        raise
    except (OSError, http.client.HTTPException) as exc:
        raise network_error(exc, url) from None


_ACTIVE: contextvars.ContextVar[Downloads | None] = contextvars.ContextVar(
    "opendata_downloads", default=None
)


def active() -> Downloads | None:
    """The `Downloads` open in this context (remote files allowed), or None (refused)."""
    return _ACTIVE.get()


class Downloads:
    """A private temporary folder of downloaded files, removed on close, and the URL of each.

    Every file is limited to `OPENDATA_REMOTE_MAX_BYTES` (1 GiB by default) and all of them
    together to `OPENDATA_REMOTE_DEADLINE` seconds (600); each read waits at most
    `OPENDATA_REMOTE_TIMEOUT` seconds (30).
    """

    def __init__(self) -> None:
        self.max_bytes = int(env_number(MAX_BYTES_ENV, DEFAULT_MAX_BYTES))
        self.until = time.monotonic() + env_number(DEADLINE_ENV, DEFAULT_DEADLINE)
        self._folder: Path | None = None
        self._urls: dict[Path, str] = {}  # each downloaded file
        self._bases: dict[Path, str] = {}  # a remote descriptor's folder and the URL it stands for
        self._token: contextvars.Token[Downloads | None] | None = None
        self.fetched = 0  # URLs fetched by `fetch` (a descriptor's relative paths aside)

    @property
    def folder(self) -> Path:
        """The private folder (created, mode 0700, on first use)."""
        if self._folder is None:
            import tempfile

            self._folder = Path(tempfile.mkdtemp(prefix="opendata-remote-")).resolve()
        return self._folder

    def fetch(self, url: str, *, limit: int | None = None) -> Path:
        """Download URL (once) into a folder of its own; the local file keeps the URL's file name."""
        for local, known in self._urls.items():
            if known == url and local.is_file():
                return local
        leaf = urllib.parse.unquote(urllib.parse.urlsplit(url).path.rsplit("/", 1)[-1])
        leaf = "".join(c if c.isalnum() or c in "._-" else "_" for c in leaf).lstrip(".")
        dest = self.folder / "urls" / str(len(self._urls)) / (leaf or "download")
        dest.parent.mkdir(parents=True)
        download(url, dest, until=self.until, limit=self.max_bytes if limit is None else limit)
        self._urls[dest] = url
        self.fetched += 1
        return dest

    def fetch_descriptor(self, url: str, *, limit: int) -> Path:
        """Download a remote descriptor into a folder that stands for the URL's folder.

        Paths relative to the descriptor then resolve inside that folder, and `localise`
        downloads each from the same place relative to the URL.
        """
        leaf = urllib.parse.urlsplit(url).path.rsplit("/", 1)[-1]
        if not leaf:
            url = url + "datapackage.json"
        base = self.folder / "package"
        base.mkdir()
        local = base / "datapackage"
        if leaf.lower().endswith((".yaml", ".yml")):
            local = local.with_suffix(Path(leaf).suffix.lower())
        else:
            local = local.with_suffix(".json")
        download(url, local, until=self.until, limit=limit)
        self._bases[base] = urllib.parse.urljoin(url, ".")
        self._urls[local] = url
        return local

    def localise(self, basepath: Path, relpath: str, full: Path) -> None:
        """Download FULL, a path inside a remote descriptor's folder, from where its URL says."""
        base = self._bases.get(basepath.resolve())
        if base is None or full.is_file():
            return
        url = urllib.parse.urljoin(base, urllib.parse.quote(relpath.replace("\\", "/")))
        full.parent.mkdir(parents=True, exist_ok=True)
        download(url, full, until=self.until, limit=self.max_bytes)

    def url_of(self, relpath: str) -> str | None:
        """The URL of a path relative to the remote descriptor (None when there is none)."""
        if "://" in relpath or not self._bases:
            return None
        base = next(iter(self._bases.values()))
        return urllib.parse.urljoin(base, urllib.parse.quote(relpath.replace("\\", "/")))

    def public(self, text: str) -> str:
        """TEXT with every local path of this folder replaced by the URL it stands for."""
        if self._folder is None or str(self._folder) not in text:
            return text
        for local, url in sorted(self._urls.items(), key=lambda kv: -len(str(kv[0]))):
            text = text.replace(str(local), url)
        for local, url in self._bases.items():
            text = text.replace(str(local) + os.sep, url).replace(str(local), url)
        return text

    def __enter__(self) -> Downloads:
        self._token = _ACTIVE.set(self)
        return self

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        if isinstance(exc, OpendataError):
            exc.path = self.public(exc.path) if exc.path else exc.path
            exc.args = (self.public(str(exc)),)
        if self._token is not None:
            _ACTIVE.reset(self._token)
            self._token = None
        if self._folder is not None:
            import shutil

            shutil.rmtree(self._folder, ignore_errors=True)


def refuse_remote(url: str, *, what: str, where: str) -> None:
    """Refuse URL unless downloads are allowed here (an open `Downloads`) and it is http(s)."""
    if not is_url(url):
        raise CouldNotRun(
            f"{what} has an unsupported URL ({url}); only http:// and https:// are read",
            path=where,
            hint="download it into the package and use a relative path",
        )
    if active() is None:
        said = "" if where == url else f" ({url})"
        raise CouldNotRun(f"{what} is remote{said}", path=where, hint=FLAG_HINT)
