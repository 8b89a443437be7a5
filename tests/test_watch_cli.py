"""``pm-agent watch`` for cron and CI: --date and --timezone for text timelines, a summary per pass that keeps
counting a failed file until it drafts, a note for each file skipped as already drafted."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from automation_support import watch_once

TIMEOUT = 120
TIMELINE = "14:05 UTC - payments-api 5xx alert fired\n14:12 UTC - on-call rolled back config v412\n"
SUMMARY = "pm-agent: watch: {} drafted, {} failed, {} skipped (already drafted)"


def test_a_failed_file_stays_counted_on_reruns_until_its_date_is_given_then_it_drafts(tmp_path, env):
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    (inbox / "timeline.md").write_text(TIMELINE, encoding="utf-8")
    error = (
        "pm-agent: error: timeline.md: line 1: time-only entries need a date: add a line 'Date: YYYY-MM-DD' "
        "or pass --date"
    )

    first = watch_once(inbox, env)
    rerun = watch_once(inbox, env)
    dated = watch_once(inbox, env, "--date", "2026-03-10", "--timezone", "Europe/Berlin")

    assert (first.returncode, first.stderr.splitlines()) == (1, [error, SUMMARY.format(0, 1, 0)])
    assert (rerun.returncode, rerun.stderr.splitlines()) == (
        1,
        [
            error + " (unchanged since it failed; fix the file, or its --date/--timezone, to draft it again)",
            SUMMARY.format(0, 1, 0),
        ],
    )
    assert (dated.returncode, dated.stderr.splitlines()) == (0, [SUMMARY.format(1, 0, 0)])
    [drafted] = dated.stdout.splitlines()
    assert drafted.startswith("timeline.md: drafted ")
    draft = Path(drafted.split(" -> ")[1]).read_text(encoding="utf-8")
    assert "| 2026-03-10 14:05 |" in draft  # 14:05 UTC as written: an offset in the text wins over --timezone


def test_watch_timezone_places_times_written_without_an_offset(tmp_path, env):
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    (inbox / "timeline.md").write_text(TIMELINE.replace(" UTC", ""), encoding="utf-8")

    run = watch_once(inbox, env, "--date", "2026-03-10", "--timezone", "Europe/Berlin")

    assert (run.returncode, run.stderr) == (0, SUMMARY.format(1, 0, 0) + "\n")
    draft = Path(run.stdout.split(" -> ")[1].strip()).read_text(encoding="utf-8")
    assert "| 2026-03-10 13:05 |" in draft


@pytest.mark.parametrize(
    ("flag", "value", "message"),
    [
        ("--date", "10/03/2026", "pm-agent: error: --date '10/03/2026' is not a date like 2024-03-01\n"),
        (
            "--timezone",
            "Mars/Olympus",
            "pm-agent: error: unknown time zone 'Mars/Olympus'; use UTC, an offset like +02:00 "
            "or a name like Europe/Oslo\n",
        ),
    ],
)
def test_a_bad_date_or_zone_is_refused_before_watching_starts(flag, value, message, tmp_path, env):
    (tmp_path / "inbox").mkdir()

    run = watch_once(tmp_path / "inbox", env, flag, value)

    assert (run.returncode, run.stdout, run.stderr) == (2, "", message)
    assert not (tmp_path / "queue").exists()


def test_ctrl_c_while_a_file_is_still_failing_exits_1_and_says_so(tmp_path, env):
    import signal

    inbox = tmp_path / "inbox"
    inbox.mkdir()
    (inbox / "timeline.md").write_text(TIMELINE, encoding="utf-8")
    process = subprocess.Popen(
        [sys.executable, "-m", "pm_agent", "watch", str(inbox), "--interval", "0.2"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        for line in process.stderr:  # wait for the pass that reports the failure
            if line.startswith("pm-agent: watch: "):
                break
    finally:
        process.send_signal(signal.SIGINT)
        _, rest = process.communicate(timeout=TIMEOUT)

    assert line == SUMMARY.format(0, 1, 0) + "\n"
    assert process.returncode == 1
    assert rest.splitlines()[-1] == "pm-agent: watch stopped; 1 file(s) still failing"


def test_a_draft_whose_hand_back_fails_is_still_drafted_and_the_failure_is_said_once(tmp_path, env):
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    (inbox / "timeline.md").write_text(TIMELINE, encoding="utf-8")

    watched = watch_once(inbox, env | {"PM_AGENT_TRACKER": "github"}, "--date", "2026-03-10")

    assert watched.returncode == 0
    assert watched.stdout.startswith("timeline.md: drafted ")
    assert watched.stderr.splitlines() == [
        "pm-agent: warning: timeline.md: draft written; handing it back failed (tried again at "
        + watched.stderr.split("tried again at ", 1)[1].split(")", 1)[0]
        + "): PM_AGENT_TRACKER=github needs PM_AGENT_GITHUB_TOKEN and PM_AGENT_GITHUB_REPO (owner/name)",
        SUMMARY.format(1, 0, 0),
    ]
