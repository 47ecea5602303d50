"""File integrity: a data file against the hash and byte count its descriptor declares."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from opendata.io.digest import file_digest
from opendata.structural.findings import Findings


def check_integrity(found: Findings, path: Path, declared_hash: Any, declared_bytes: Any) -> None:
    """Compare a file with the hash and bytes its descriptor declares."""
    digest, size = file_digest(
        path, declared_algorithm(declared_hash) if declared_hash else "sha256"
    )
    report_integrity(found, digest, size, declared_hash, declared_bytes, whose="file")


def declared_algorithm(declared_hash: Any) -> str:
    """The hash algorithm a declared `hash` names: its prefix, else md5 (as frictionless)."""
    text = str(declared_hash or "")
    return text.split(":", 1)[0] if ":" in text else "md5"


def report_integrity(
    found: Findings,
    digest: str,
    size: int,
    declared_hash: Any,
    declared_bytes: Any,
    *,
    whose: str,
) -> None:
    """A `byte-count` and a `hash-count` finding where the measured bytes differ from the declared."""
    algorithm, expected = (
        declared_algorithm(declared_hash),
        str(declared_hash or "").split(":", 1)[-1],
    )
    if declared_bytes is not None and int(declared_bytes) != size:
        found.add(
            "byte-count",
            f"{whose} has {size} bytes; the descriptor declares {declared_bytes}",
            rule="bytes",
            details={"expected": declared_bytes, "actual": size},
        )
    if declared_hash and digest != expected:
        found.add(
            "hash-count",
            f"{whose}'s {algorithm} is {digest}; the descriptor declares {expected}",
            rule="hash",
            details={"expected": expected, "actual": digest},
        )
