"""Colour and progress on a terminal, plain text when piped: the decoration goes to stderr only, so the result on
stdout is byte for byte the same whether stderr is a terminal or not."""

from __future__ import annotations

import io
import json
import os
import pty
import subprocess
import sys
import threading

import pytest
from conftest import EXAMPLE, REPO

from pm_agent.cli.output import progress, say, working

COLOUR = "\x1b[1;31m"  # rich's bold red, the colour of "error:"


def run(args: list[str], tmp_path, *, stderr_on_terminal: bool, **env_extra: str) -> tuple[int, bytes, bytes]:
    """``pm-agent ARGS`` in a subprocess: stdout piped; stderr on a pseudo-terminal or piped. Returns status, stdout
    and stderr as bytes."""
    env = {key: value for key, value in os.environ.items() if not key.startswith("PM_AGENT_") and key != "NO_COLOR"}
    env |= {
        "PM_AGENT_MEMORY_DIR": str(tmp_path / "memory"),
        "PM_AGENT_EMBEDDER": "lexical",
        "TERM": "xterm-256color",
        "COLUMNS": "100",
        "PYTHONPATH": str(REPO / "src"),
        **env_extra,
    }
    command = [sys.executable, "-m", "pm_agent", *args]
    if not stderr_on_terminal:
        done = subprocess.run(command, env=env, capture_output=True, timeout=300, check=False)
        return done.returncode, done.stdout, done.stderr
    leader, follower = pty.openpty()
    process = subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=follower, stdin=subprocess.DEVNULL)
    os.close(follower)
    chunks: list[bytes] = []

    def drain() -> None:  # read the terminal while the command runs, so it never blocks on a full buffer
        while True:
            try:
                chunk = os.read(leader, 65536)
            except OSError:
                return
            if not chunk:
                return
            chunks.append(chunk)

    reader = threading.Thread(target=drain, daemon=True)
    reader.start()
    stdout = process.stdout.read()
    process.stdout.close()
    status = process.wait(timeout=300)
    reader.join(timeout=30)
    os.close(leader)
    return status, stdout, b"".join(chunks)


def test_draft_stdout_is_byte_identical_with_stderr_on_a_terminal_or_piped(tmp_path):
    on_terminal = run(["draft", str(EXAMPLE), "--no-memory"], tmp_path / "a", stderr_on_terminal=True)
    piped = run(["draft", str(EXAMPLE), "--no-memory"], tmp_path / "b", stderr_on_terminal=False)

    assert on_terminal[0] == piped[0] == 0
    assert on_terminal[1] == piped[1]
    assert piped[2] == b""
    assert b"drafting the postmortem of" in on_terminal[2]


def test_memory_ingest_shows_a_progress_bar_on_a_terminal_and_keeps_stdout_plain(tmp_path):
    incidents = tmp_path / "incidents.jsonl"
    incidents.write_text(
        "".join(
            json.dumps(
                {
                    "id": f"inc-{n}",
                    "title": f"Checkout errors after deploy {n}",
                    "summary": "A config change exhausted the pool.",
                    "date": "2025-01-10",
                }
            )
            + "\n"
            for n in range(30)
        ),
        encoding="utf-8",
    )

    status, stdout, stderr = run(["memory", "ingest", str(incidents)], tmp_path / "a", stderr_on_terminal=True)
    piped = run(["memory", "ingest", str(incidents)], tmp_path / "b", stderr_on_terminal=False)

    assert status == 0
    assert b"ingest" in stderr and b"30/30" in stderr
    assert stdout.replace(str(tmp_path / "a").encode(), b"@") == piped[1].replace(str(tmp_path / "b").encode(), b"@")
    assert piped[2] == b""


def test_an_error_is_coloured_on_a_terminal_plain_when_piped_and_plain_with_no_color(tmp_path):
    missing = str(tmp_path / "missing.json")

    coloured = run(["draft", missing], tmp_path, stderr_on_terminal=True)
    no_color = run(["draft", missing], tmp_path, stderr_on_terminal=True, NO_COLOR="1")
    piped = run(["draft", missing], tmp_path, stderr_on_terminal=False)

    assert COLOUR.encode() + b"error:" in coloured[2]
    assert no_color[2].replace(b"\r\n", b"\n") == f"pm-agent: error: {missing}: no such file\n".encode()
    assert (piped[0], piped[1], piped[2]) == (2, b"", f"pm-agent: error: {missing}: no such file\n".encode())


def test_queue_and_watch_status_lines_are_styled_on_a_terminal_and_plain_when_piped(tmp_path):
    folders = {"PM_AGENT_QUEUE_DIR": str(tmp_path / "queue"), "PM_AGENT_OUTPUT_DIR": str(tmp_path / "drafts")}
    (tmp_path / "inbox").mkdir()
    commands = (["queue", "list"], ["watch", str(tmp_path / "inbox"), "--once"])
    plain = (
        f"pm-agent: queue: no jobs in {tmp_path / 'queue'}\n",
        "pm-agent: watch: 0 drafted, 0 failed, 0 skipped (already drafted)\n",
    )

    for command, kind, line in zip(commands, ("queue", "watch"), plain, strict=True):
        on_terminal = run(command, tmp_path, stderr_on_terminal=True, **folders)
        piped = run(command, tmp_path, stderr_on_terminal=False, **folders)
        assert (on_terminal[0], on_terminal[1]) == (0, b"")
        assert f"\x1b[1m{kind}:\x1b[0m".encode() in on_terminal[2]
        assert piped == (0, b"", line.encode())


def test_off_a_terminal_the_helpers_write_nothing_but_the_plain_message():
    stream = io.StringIO()

    items = list(progress(range(5), 5, "ingest", stream=stream))
    with working("drafting", stream=stream):
        pass
    say("note", "a.json: skipped, already drafted", stream=stream)

    assert items == [0, 1, 2, 3, 4]
    assert stream.getvalue() == "pm-agent: note: a.json: skipped, already drafted\n"


@pytest.mark.parametrize("suite", ["whys"])
def test_eval_stdout_is_the_same_with_stderr_on_a_terminal(suite, tmp_path):
    on_terminal = run(["eval", suite], tmp_path / "a", stderr_on_terminal=True)
    piped = run(["eval", suite], tmp_path / "b", stderr_on_terminal=False)

    assert on_terminal[1] == piped[1]
    assert b"eval: whys" in on_terminal[2]
