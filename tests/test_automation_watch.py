"""``pm-agent watch DIR`` as users run it: a real subprocess, --once for cron and CI, and a long-running watch."""

from __future__ import annotations

import json
import os
import queue
import signal
import subprocess
import threading
import time
from pathlib import Path

from automation_support import WATCH, watch_once
from conftest import EXAMPLE

from pm_agent.automation.queue import JobQueue
from pm_agent.automation.watch import FolderWatch

TIMEOUT = 120


def drop(folder: Path, name: str, incident: dict) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    path.write_text(json.dumps(incident), encoding="utf-8")
    return path


def example(**changes) -> dict:
    return json.loads(EXAMPLE.read_text()) | changes


def test_watch_once_drafts_each_file_once_and_a_changed_file_again(tmp_path, env):
    inbox, drafts = tmp_path / "inbox", tmp_path / "drafts"
    drop(inbox, "payments.json", example())
    drop(inbox, "search.json", example(id="INC-3001", title="Search results empty after an index swap"))
    (inbox / ".partial-upload.json").write_text("{", encoding="utf-8")
    (inbox / "next.json.tmp").write_text("{", encoding="utf-8")

    first = watch_once(inbox, env)
    assert (first.returncode, first.stderr) == (
        0,
        "pm-agent: watch: 2 drafted, 0 failed, 0 skipped (already drafted)\n",
    )
    assert first.stdout.splitlines() == [
        f"payments.json: drafted INC-2031 -> {drafts / 'INC-2031.md'}",
        f"search.json: drafted INC-3001 -> {drafts / 'INC-3001.md'}",
    ]
    assert sorted(p.name for p in drafts.iterdir()) == ["INC-2031.json", "INC-2031.md", "INC-3001.json", "INC-3001.md"]

    again = watch_once(inbox, env)
    assert (again.returncode, again.stdout) == (0, "")
    assert again.stderr.splitlines() == [
        f"pm-agent: note: payments.json: skipped, already drafted as INC-2031 -> {drafts / 'INC-2031.md'}; "
        "change the file to draft it again",
        f"pm-agent: note: search.json: skipped, already drafted as INC-3001 -> {drafts / 'INC-3001.md'}; "
        "change the file to draft it again",
        "pm-agent: watch: 0 drafted, 0 failed, 2 skipped (already drafted)",
    ]

    drop(inbox, "search.json", example(id="INC-3001", title="Search results empty after an index alias swap"))
    changed = watch_once(inbox, env, "--json")
    [line] = [json.loads(line) for line in changed.stdout.splitlines()]
    assert (changed.returncode, line["file"], line["state"], line["incident_id"]) == (
        0,
        "search.json",
        "done",
        "INC-3001",
    )
    assert (
        json.loads((drafts / "INC-3001.json").read_text())["title"] == "Search results empty after an index alias swap"
    )


def test_watch_once_reports_a_file_it_cannot_draft_and_exits_1(tmp_path, env):
    inbox = tmp_path / "inbox"
    drop(inbox, "empty.json", {"title": "Nothing happened", "events": []})
    run = watch_once(inbox, env)
    assert run.returncode == 1
    assert run.stdout == ""
    assert run.stderr.splitlines() == [
        "pm-agent: error: empty.json: no timeline events found; a postmortem needs at least one timestamped event",
        "pm-agent: watch: 0 drafted, 1 failed, 0 skipped (already drafted)",
    ]
    [failed] = JobQueue(tmp_path / "queue").jobs("failed")
    assert (failed.name, failed.attempts) == ("empty.json", 1)


def test_watch_on_a_missing_folder_exits_2_with_one_line(tmp_path, env):
    run = watch_once(tmp_path / "nowhere", env)
    assert (run.returncode, run.stdout) == (2, "")
    assert run.stderr == f"pm-agent: error: {tmp_path / 'nowhere'}: no such folder\n"
    assert not (tmp_path / "queue").exists()


def test_a_long_running_watch_drafts_a_file_dropped_later_and_stops_cleanly_on_ctrl_c(tmp_path, env):
    inbox, drafts = tmp_path / "inbox", tmp_path / "drafts"
    inbox.mkdir()
    process = subprocess.Popen(
        [*WATCH, str(inbox), "--interval", "0.2"], env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    lines: queue.Queue[str] = queue.Queue()
    reader = threading.Thread(target=lambda: [lines.put(line) for line in process.stdout], daemon=True)
    reader.start()
    try:
        drop(inbox, "late.json", example(id="INC-LATE"))
        printed = lines.get(timeout=TIMEOUT)
    finally:
        process.send_signal(signal.SIGINT)
        process.wait(timeout=TIMEOUT)
        reader.join(timeout=10)
        process.stdout.close()
    stderr = process.stderr.read()
    process.stderr.close()
    assert process.returncode == 0
    assert printed == f"late.json: drafted INC-LATE -> {drafts / 'INC-LATE.md'}\n"
    assert lines.empty()
    assert stderr.splitlines()[-1] == "pm-agent: watch stopped"
    assert "Traceback" not in stderr


def test_while_watching_a_file_still_being_written_waits_until_it_settles(tmp_path):
    inbox = tmp_path / "inbox"
    path = drop(inbox, "fresh.json", example())
    watch = FolderWatch(inbox, JobQueue(tmp_path / "queue"), max_bytes=10_000_000, settle_s=60)
    assert watch.scan().queued == []
    old = time.time() - 120
    os.utime(path, (old, old))
    assert [job.name for job in watch.scan().queued] == ["fresh.json"]
    assert watch.scan().queued == []


def test_a_file_over_the_size_limit_is_skipped_with_the_reason_once(tmp_path):
    inbox = tmp_path / "inbox"
    drop(inbox, "huge.json", example(notes="x" * 5000))
    watch = FolderWatch(inbox, JobQueue(tmp_path / "queue"), max_bytes=1000)
    first = watch.scan(settle=False)
    assert [(name, reason.split(",")[1].strip()) for name, reason in first.skipped] == [
        ("huge.json", "over the 1000-byte limit (PM_AGENT_MAX_INPUT_BYTES)")
    ]
    assert watch.scan(settle=False).skipped == []
