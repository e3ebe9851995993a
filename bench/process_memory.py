"""Memory of process trees while a benchmark stage runs (Linux /proc; empty elsewhere).

`PeakSampler` sums the proportional set size (PSS, /proc/PID/smaps_rollup: shared pages split
between the processes sharing them, so a tree's sum does not count PostgreSQL's shared buffers
once per backend) of each named process tree every `interval` seconds, and keeps each tree's
peak and a thinned time series (to show whether memory stays flat).

`postmaster_pid(admin_url)` finds the warehouse server's postmaster (its data directory's
postmaster.pid), so the server's tree (postmaster, checkpointer, walwriter, backends) can be
watched; None for a server this machine cannot see (another host) or without the rights.
"""
from __future__ import annotations

import os
import threading
import time
from pathlib import Path
from typing import Callable

PROC = Path("/proc")


def _children() -> dict[int, list[int]]:
    out: dict[int, list[int]] = {}
    for entry in PROC.iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        ppid = int(stat.rsplit(")", 1)[1].split()[1])
        out.setdefault(ppid, []).append(int(entry.name))
    return out


def tree(pid: int, children: dict[int, list[int]] | None = None) -> list[int]:
    """pid and all its descendants."""
    children = _children() if children is None else children
    found, todo = [], [pid]
    while todo:
        p = todo.pop()
        found.append(p)
        todo.extend(children.get(p, ()))
    return found


def pss_mb(pid: int) -> float:
    """The process's PSS in MB (its RSS where smaps_rollup is unreadable; 0 if it is gone)."""
    try:
        for line in (PROC / str(pid) / "smaps_rollup").read_text().splitlines():
            if line.startswith("Pss:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    try:
        for line in (PROC / str(pid) / "status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return 0.0


def postmaster_pid(admin_url: str) -> int | None:
    import psycopg  # noqa: PLC0415

    try:
        with psycopg.connect(admin_url, autocommit=True) as conn:
            data_dir = conn.execute("show data_directory").fetchone()[0]
        pid = int((Path(data_dir) / "postmaster.pid").read_text().split()[0])
    except Exception:   # noqa: BLE001 - another host, no rights: no server memory
        return None
    return pid if (PROC / str(pid)).exists() else None


class PeakSampler(threading.Thread):
    """Samples {name: root pid (or a callable giving it, None to skip)} until stopped."""

    def __init__(self, roots: dict[str, int | Callable[[], int | None] | None],
                 interval: float = 0.5) -> None:
        super().__init__(daemon=True)
        self.roots = roots
        self.interval = interval
        self.peaks: dict[str, float] = {name: 0.0 for name in roots}
        self.series: list[tuple[float, dict[str, float]]] = []
        self._halt = threading.Event()
        self._t0 = time.perf_counter()

    def sample(self) -> dict[str, float]:
        children = _children()
        now: dict[str, float] = {}
        for name, root in self.roots.items():
            pid = root() if callable(root) else root
            if pid is None or not (PROC / str(pid)).exists():
                continue
            now[name] = sum(pss_mb(p) for p in tree(pid, children))
            self.peaks[name] = max(self.peaks[name], now[name])
        return now

    def run(self) -> None:
        while not self._halt.is_set():
            now = self.sample()
            self.series.append((time.perf_counter() - self._t0, now))
            self._halt.wait(self.interval)

    def stop(self) -> dict[str, float]:
        self._halt.set()
        self.join()
        return {name: round(mb, 1) for name, mb in self.peaks.items()}

    def thinned(self, points: int = 40) -> list[dict]:
        """About `points` samples spread over the run: [{"s": seconds, name: MB, ...}]."""
        step = max(1, len(self.series) // points)
        return [{"s": round(t, 1), **{k: round(v, 1) for k, v in mb.items()}}
                for t, mb in self.series[::step]]


def own_peak_rss_mb() -> float:
    """This process's own peak RSS (VmHWM)."""
    try:
        for line in (PROC / str(os.getpid()) / "status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return 0.0
