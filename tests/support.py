"""Paths the tests share: the repository root and the worker scripts that multi-process tests launch."""

from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
WORKERS = ROOT / "tests" / "workers"
