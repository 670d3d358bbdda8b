"""Peak memory of a served function: every process in its group, read from /proc."""

from __future__ import annotations

import subprocess
from pathlib import Path


def process_group_pids(leader: int) -> list[int]:
    """Return the pids of the processes whose process group is ``leader``."""
    pids = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        # Fields after the parenthesised command: state ppid pgrp ...
        fields = stat.rsplit(")", 1)[1].split()
        if int(fields[2]) == leader:
            pids.append(int(entry.name))
    return pids


def peak_rss(pid: int) -> int:
    """Return the peak resident set size of ``pid`` in bytes (VmHWM)."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) * 1024
    raise RuntimeError(f"no VmHWM for {pid}")


def serving_peak_rss(process: subprocess.Popen) -> dict[str, int | None]:
    """Return the peak RSS of a served function's largest worker, its master and their total.

    ``process`` is gunicorn's master, started in a process group of its own.
    """
    rss = {pid: peak_rss(pid) for pid in process_group_pids(process.pid)}
    worker = max((p for p in rss if p != process.pid), key=rss.get, default=process.pid)
    return {"worker": rss[worker], "master": rss.get(process.pid), "total": sum(rss.values())}
