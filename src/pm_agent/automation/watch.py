"""A watched folder: every incident file dropped into it is queued once, by its content.

For cron, CI and tools without webhooks. Hidden files and names ending in ``.tmp``, ``.part``,
``.partial``, ``.swp``, ``.crdownload`` or ``~`` are left alone, so a writer can write under such
a name and rename when done. While watching, a file is taken once it has not changed for
``settle_s`` seconds; a file whose content was queued before (in any run) adds nothing, and a
changed file is queued again, so its incident gets a fresh draft.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path

from pm_agent.automation.queue import Job, JobQueue, content_key
from pm_agent.errors import InputError

IGNORED_SUFFIXES = (".tmp", ".part", ".partial", ".swp", ".crdownload", "~")


@dataclass
class Scan:
    """What one look at the folder found."""

    queued: list[Job] = field(default_factory=list)
    unchanged: list[Job] = field(default_factory=list)
    """Files whose content was queued before (drafted, failed or still pending)."""
    skipped: list[tuple[str, str]] = field(default_factory=list)
    """Files that cannot be drafted, with the reason (too large, not text)."""


@dataclass
class FolderWatch:
    """Queues the incident files of ``folder``, remembering which versions it has already looked at."""

    folder: Path
    queue: JobQueue
    max_bytes: int
    settle_s: float = 1.0
    reading: str = ""
    """How the files are read (``--date``/``--timezone``): part of each file's key, so another reading drafts again."""
    _seen: dict[str, tuple[int, int]] = field(default_factory=dict)

    def scan(self, *, settle: bool = True) -> Scan:
        """Queue every new or changed file; ``settle=False`` takes files however recently written (``--once``)."""
        found = Scan()
        now = time.time()
        for path in self._candidates():
            try:
                stat = path.stat()
            except FileNotFoundError:
                continue  # removed since listed
            version = (stat.st_mtime_ns, stat.st_size)
            if self._seen.get(path.name) == version or (settle and now - stat.st_mtime < self.settle_s):
                continue
            self._seen[path.name] = version
            self._take(path, stat.st_size, found)
        return found

    def _candidates(self) -> list[Path]:
        if not self.folder.is_dir():
            raise InputError("no such folder", source=str(self.folder))
        try:
            entries = sorted(self.folder.iterdir())
        except OSError as exc:
            raise InputError(f"cannot list the folder: {exc.strerror}", source=str(self.folder)) from None
        return [
            p for p in entries if not p.name.startswith(".") and not p.name.endswith(IGNORED_SUFFIXES) and p.is_file()
        ]

    def _take(self, path: Path, size: int, found: Scan) -> None:
        if size > self.max_bytes:
            found.skipped.append(
                (path.name, f"{size} bytes, over the {self.max_bytes}-byte limit (PM_AGENT_MAX_INPUT_BYTES)")
            )
            return
        try:
            data = path.read_bytes()
            text = data.decode("utf-8")
        except FileNotFoundError:
            return
        except UnicodeDecodeError:
            found.skipped.append((path.name, "not UTF-8 text"))
            return
        except OSError as exc:
            found.skipped.append((path.name, f"cannot read: {exc.strerror}"))
            return
        key = f"file:{content_key(data)}" + (f" {self.reading}" if self.reading else "")
        result = self.queue.enqueue(key, "file", path.name, text)
        if result.duplicate:  # reported under the name the file has now, which may differ from when it was queued
            found.unchanged.append(result.job.model_copy(update={"name": path.name}))
        else:
            found.queued.append(result.job)
