"""A check-then-read race on an MCP tool's path, counted: how often a file swapped for a link wins.

A swapper thread flips ``work/incidents/a.json`` between a real incident and a symbolic link to
``secret.txt`` outside the input root, as fast as it can (each flip is one atomic rename). The
reader plays the tool ``N`` times:

- ``reopen``: the old flow, ``check_input_path`` on the name, then ``service.load`` opening the name again;
- ``checked``: the current flow, ``check_input_path`` then ``service.incident_from(paths=..., roots=...)``,
  which checks each file again and reads the descriptor it checked.

As in the tools, the check runs in the caller's thread and the reading in a worker thread.

A read *leaks* when the outside file's marker comes back. Run: ``python bench/bench_path_swap.py [N]``.
"""

from __future__ import annotations

import concurrent.futures
import os
import shutil
import sys
import tempfile
import threading
from collections import Counter
from pathlib import Path

from pm_agent.errors import InputError
from pm_agent.guards.safe_paths import check_input_path
from pm_agent.service import PostmortemService

EXAMPLE = Path(__file__).resolve().parents[1] / "examples" / "payments-outage.json"
SECRET = (
    "Title: Outside secret\n2026-03-10 14:02 UTC SECRET-OUTSIDE-MARKER alert fired\n2026-03-10 14:30 UTC resolved\n"
)


def race(flow: str, runs: int, base: Path) -> Counter[str]:
    root = base / "work"
    (root / "incidents").mkdir(parents=True)
    (base / "secret.txt").write_text(SECRET)
    target = root / "incidents" / "a.json"
    shutil.copy(EXAMPLE, target)
    service, roots, raw = PostmortemService(), [root.resolve()], str(target)
    stop = threading.Event()

    def swapper() -> None:  # both flips cost the same: one link made, one atomic rename
        source, real, link = root / "real.src", root / "real.tmp", root / "link.tmp"
        shutil.copy(EXAMPLE, source)
        while not stop.is_set():
            link.symlink_to(base / "secret.txt")
            os.replace(link, target)
            os.link(source, real)
            os.replace(real, target)

    thread = threading.Thread(target=swapper, daemon=True)
    thread.start()
    outcomes: Counter[str] = Counter()
    worker = concurrent.futures.ThreadPoolExecutor(max_workers=1)
    try:
        for _ in range(runs):
            try:
                check_input_path(raw, roots)
                read = (
                    (lambda: service.load([raw]))
                    if flow == "reopen"
                    else (lambda: service.incident_from(paths=[raw], roots=roots))
                )
                incident = worker.submit(read).result()
            except InputError as exc:
                outcomes["refused: " + ("swapped" if "changed between" in exc.detail else "outside")] += 1
                continue
            leaked = any("SECRET-OUTSIDE-MARKER" in event.text for event in incident.events)
            outcomes["leaked" if leaked else "read the real file"] += 1
    finally:
        stop.set()
        thread.join()
        worker.shutdown()
    return outcomes


def main() -> None:
    runs = int(sys.argv[1]) if len(sys.argv) > 1 else 300
    for flow in ("reopen", "checked"):
        with tempfile.TemporaryDirectory() as folder:
            outcomes = race(flow, runs, Path(folder))
        print(f"{flow:8} {runs} runs: " + ", ".join(f"{k} {v}" for k, v in sorted(outcomes.items())))


if __name__ == "__main__":
    main()
