"""When and where to keep snapshots for a snapshot ensemble; framework-free.

Huang et al., "Snapshot Ensembles: Train 1, Get M for Free" (2017): with warm restarts
each cycle ends in a different minimum; keeping the weights at every cycle end gives an
ensemble for the cost of one run. The adapters' `Snapshots` (torch) and
`SnapshotCallback` (Keras) use this keeper; it decides from the schedule's exact cycle
ends, keeps the last `keep`, and writes files atomically (a temporary name in the same
folder, then a rename), never over an existing file.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

from lrsched.base import Schedule, require_schedule


class SnapshotKeeper:
    """Counts optimizer updates; at each cycle end keeps a snapshot (in memory or a file)."""

    def __init__(
        self,
        schedule: Schedule,
        *,
        keep: int = 5,
        directory: str | os.PathLike[str] | None = None,
        prefix: str = "snapshot",
        suffix: str = ".pt",
        start_step: int = 0,
    ) -> None:
        require_schedule("schedule", schedule)
        if not schedule.has_cycles:
            raise ValueError(f"schedule must have cycles (cosine_restarts, cyclic, ...); {schedule.policy} has none")
        if not isinstance(keep, int) or isinstance(keep, bool) or keep < 1:
            raise ValueError(f"keep must be a whole number >= 1; got {keep!r}")
        if not isinstance(start_step, int) or isinstance(start_step, bool) or start_step < 0:
            raise ValueError(f"start_step must be a whole number >= 0 (the updates done before); got {start_step!r}")
        self.schedule, self.keep, self.prefix, self.suffix = schedule, keep, prefix, suffix
        self.directory = None if directory is None else Path(directory)
        self.steps = start_step
        self.kept: list[tuple[int, Any]] = []  # (step, snapshot in memory or Path), oldest first
        if self.directory is not None:
            try:  # fail before training, not at the first cycle end
                self.directory.mkdir(parents=True, exist_ok=True)
                with tempfile.NamedTemporaryFile(dir=self.directory, prefix=".lrsched-check-"):
                    pass
            except OSError as error:
                raise ValueError(f"directory {str(self.directory)!r} cannot be written: {error}") from error
            # A file of ours already there would stop training at the first cycle end
            # (files are never overwritten): refuse now, before any training. A resumed
            # run (start_step) takes up its own earlier snapshots, those up to start_step.
            found = {p: self._step_of(p) for p in self.directory.glob(f"{prefix}-*{suffix}")}
            earlier = sorted((step, p) for p, step in found.items() if step is not None and 0 < step <= start_step)
            ours = {p for _, p in earlier}
            taken = sorted(p.name for p in found if p not in ours)
            if taken:
                raise ValueError(
                    f"directory {str(self.directory)!r} already holds snapshots named {prefix}-*{suffix} "
                    f"({', '.join(taken[:3])}{', ...' if len(taken) > 3 else ''})"
                    + (f" past start_step={start_step}" if start_step else "")
                    + ": lrsched never overwrites them; choose another directory or prefix, or move them away"
                )
            self.kept = list(earlier)
            self._rotate()

    def _path(self, purpose: str) -> Path:
        """The file of the snapshot at the current count: prefix-000000000048.suffix."""
        if self.directory is None:
            raise ValueError(f"{purpose} needs a directory")
        return self.directory / f"{self.prefix}-{self.steps:012d}{self.suffix}"

    def _step_of(self, path: Path) -> int | None:
        """The update count in a snapshot file's name (`_path`'s), or None."""
        middle = path.name[len(self.prefix) + 1 : len(path.name) - len(self.suffix)]
        return int(middle) if middle.isdigit() else None

    def step(self) -> bool:
        """Count one update; True if it ends a cycle (a snapshot is due): a cycle end in
        (steps - 1, steps]. A cycle that ends between whole steps (47.5: a fractional
        cycle length or join boundary) has its last update at the step below, so its
        snapshot is due after that update, at the next whole count (48)."""
        self.steps += 1
        ends = self.schedule.cycle_ends(float(self.steps), float(self.steps - 1))
        return any(end > self.steps - 1 for end in ends)

    def keep_in_memory(self, snapshot: Any) -> None:
        self.kept.append((self.steps, snapshot))
        self._rotate()

    def keep_file(self, write: Callable[[str], None]) -> Path:
        """`write(path)` writes the snapshot to a temporary path; it is then renamed."""
        path = self._path("keep_file")
        if path.exists():
            raise FileExistsError(f"{path} exists; lrsched does not overwrite it")
        handle, temporary = tempfile.mkstemp(dir=self.directory, prefix=f".{path.name}.", suffix=f".tmp{self.suffix}")
        os.close(handle)
        try:
            write(temporary)
            os.replace(temporary, path)
        except BaseException:
            Path(temporary).unlink(missing_ok=True)
            raise
        self.kept.append((self.steps, path))
        self._rotate()
        return path

    def keep_written_elsewhere(self) -> Path:
        """The snapshot file that another process writes (rank 0 of a data-parallel
        run, for all of them): kept in the list, neither written nor deleted here."""
        path = self._path("keep_written_elsewhere")
        self.kept.append((self.steps, path))
        self._rotate(delete=False)
        return path

    def _rotate(self, delete: bool = True) -> None:
        while len(self.kept) > self.keep:
            _, old = self.kept.pop(0)
            if delete and isinstance(old, Path):
                old.unlink(missing_ok=True)  # a user may have deleted or moved it: that is not an error

    @property
    def existing(self) -> list[tuple[int, Any]]:
        """The kept snapshots still there: files deleted since are left out."""
        return [(step, s) for step, s in self.kept if not isinstance(s, Path) or s.exists()]
