"""File digests: the one helper for every hash the tool computes or checks."""

from __future__ import annotations

import os
from pathlib import Path


def file_digest(path: Path, algorithm: str = "sha256") -> tuple[str, int]:
    """The hex digest and size in bytes of a file, read in blocks by `hashlib.file_digest`."""
    import hashlib  # here: most packages declare no hash, and OpenSSL's bindings take 0.005 s

    with path.open("rb") as fh:
        digest = hashlib.file_digest(fh, algorithm).hexdigest()
        return digest, os.fstat(fh.fileno()).st_size


def sha256_hex(path: Path) -> str:
    """The hex sha256 of a file, as SHA256SUMS and catalog entries write it."""
    return file_digest(path)[0]
