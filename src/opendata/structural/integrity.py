"""File integrity: a data file against the hash and byte count its descriptor declares."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from opendata.io.digest import file_digest
from opendata.structural.findings import Findings


def check_integrity(found: Findings, path: Path, declared_hash: Any, declared_bytes: Any) -> None:
    """Compare a file with the hash and bytes its descriptor declares."""
    algorithm, expected = "md5", str(declared_hash or "")
    if ":" in expected:
        algorithm, expected = expected.split(":", 1)
    digest, size = file_digest(path, algorithm if declared_hash else "sha256")
    if declared_bytes is not None and int(declared_bytes) != size:
        found.add(
            "byte-count",
            f"file has {size} bytes; the descriptor declares {declared_bytes}",
            rule="bytes",
            details={"expected": declared_bytes, "actual": size},
        )
    if declared_hash and digest != expected:
        found.add(
            "hash-count",
            f"file's {algorithm} is {digest}; the descriptor declares {expected}",
            rule="hash",
            details={"expected": expected, "actual": digest},
        )
