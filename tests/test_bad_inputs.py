"""Bad input gets one line naming the file and the problem, exit status 2, and no traceback."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest
from mcp_support import anyio_backend  # noqa: F401 - a fixture

from pm_agent.cli import main

GOOD_EVENT = {"at": "2024-03-01T14:00:00Z", "source": "alert", "text": "firing"}


def bad_files(tmp_path):
    files = {
        "malformed.json": ('{"title": "x", "events": [', "malformed JSON at line 1, column 27"),
        "unknown.json": ('{"hello": "world"}', "unknown format"),
        "unknown.txt": ("we had an outage, it was bad\nthen it got better\n", "unknown format"),
        "no-events.json": (
            json.dumps({"title": "x", "started_at": "2024-03-01T14:00:00Z"}),
            "no timeline events found",
        ),
        "unparseable.json": (
            json.dumps({"title": "x", "events": [{**GOOD_EVENT, "at": "last tuesday"}]}),
            "unreadable timestamp 'last tuesday'",
        ),
        "impossible.json": (
            json.dumps({"title": "x", "events": [{**GOOD_EVENT, "at": "2024-13-01T10:00:00Z"}]}),
            "impossible timestamp",
        ),
        "mixed-zones.json": (
            json.dumps({"title": "x", "events": [GOOD_EVENT, {**GOOD_EVENT, "at": "2024-03-01 14:05"}]}),
            "mixed time zones without offsets",
        ),
        "empty.json": ("", "file is empty"),
        "binary.json": (b"\xff\xfe\x00garbage", "not UTF-8 text"),
    }
    for name, (content, _) in files.items():
        path = tmp_path / name
        path.write_bytes(content if isinstance(content, bytes) else content.encode())
    return {name: expected for name, (_, expected) in files.items()}


@pytest.mark.parametrize(
    "name",
    [
        "malformed.json",
        "unknown.json",
        "unknown.txt",
        "no-events.json",
        "unparseable.json",
        "impossible.json",
        "mixed-zones.json",
        "empty.json",
        "binary.json",
    ],
)
def test_bad_input_gives_one_line_and_exit_status_2(tmp_path, capsys, name):
    expected = bad_files(tmp_path)[name]
    status = main(["draft", str(tmp_path / name)])
    out, err = capsys.readouterr()
    assert status == 2
    assert out == ""
    assert err.count("\n") == 1
    assert err.startswith(f"pm-agent: error: {tmp_path / name}: ")
    assert expected in err


def test_a_50_megabyte_file_is_refused_before_it_is_read(tmp_path, capsys):
    huge = tmp_path / "huge.json"
    with huge.open("wb") as handle:
        handle.truncate(50 * 1024 * 1024)
    assert main(["draft", str(huge)]) == 2
    err = capsys.readouterr().err
    assert err == (
        f"pm-agent: error: {huge}: 50.0 MB, over the 20 MB limit (shorten or split it, or raise PM_AGENT_MAX_INPUT_BYTES)\n"
    )


def test_a_missing_file_and_a_directory_are_named(tmp_path, capsys):
    assert main(["draft", str(tmp_path / "nope.json")]) == 2
    assert capsys.readouterr().err == f"pm-agent: error: {tmp_path / 'nope.json'}: no such file\n"


def test_the_installed_command_prints_no_traceback(tmp_path):
    bad = tmp_path / "bad.json"
    bad.write_text("{not json")
    result = subprocess.run(
        [sys.executable, "-m", "pm_agent", "draft", str(bad)], capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    assert (
        result.stderr
        == f"pm-agent: error: {bad}: malformed JSON at line 1, column 2: Expecting property name enclosed in double quotes\n"
    )


def test_a_roster_nested_too_deeply_is_one_line_not_a_traceback(tmp_path, capsys):
    from conftest import EXAMPLE

    roster = tmp_path / "roster.json"
    roster.write_text("[" * 100_000)
    assert main(["draft", str(EXAMPLE), "--roster", str(roster)]) == 2
    assert capsys.readouterr().err == (
        f"pm-agent: error: {roster}: JSON nested 100,000 levels deep, over the limit of 64; no incident format nests that deep\n"
    )


def test_a_text_over_the_byte_limit_is_refused_by_score_and_blameless_without_reading_it_all(
    tmp_path, capsys, monkeypatch
):
    monkeypatch.setenv("PM_AGENT_MAX_INPUT_BYTES", "1000")
    long = tmp_path / "long.md"
    long.write_text("# Postmortem\n" + "The cache filled up. " * 100)
    for command in (["score", str(long)], ["blameless", str(long)]):
        assert main(command) == 2
        assert capsys.readouterr().err == (
            f"pm-agent: error: {long}: {long.stat().st_size:,} bytes, over the 1,000-byte limit "
            "(shorten or split it, or raise PM_AGENT_MAX_INPUT_BYTES)\n"
        )


def test_an_endless_stream_on_standard_input_is_refused_not_read_forever(monkeypatch):
    monkeypatch.setenv("PM_AGENT_MAX_INPUT_BYTES", "4096")
    with open("/dev/zero", "rb") as endless:
        result = subprocess.run(
            [sys.executable, "-m", "pm_agent", "blameless", "-"],
            stdin=endless,
            capture_output=True,
            text=True,
            timeout=60,
        )
    assert (result.returncode, result.stdout) == (2, "")
    assert result.stderr == (
        "pm-agent: error: <stdin>: over the 4,096-byte limit (shorten or split it, or raise PM_AGENT_MAX_INPUT_BYTES)\n"
    )


@pytest.mark.anyio
async def test_every_reader_of_a_file_over_the_byte_limit_says_the_same_in_bytes(tmp_path, monkeypatch, capsys):
    """``draft FILE``, ``draft -``, ``score FILE``, ``memory ingest`` and the MCP tools count in bytes below 1 MB."""
    from mcp import Client

    from pm_agent.mcp_server.app import create_server
    from pm_agent.mcp_server.params import INCIDENT_HINT
    from pm_agent.memory.sources import read_paths

    monkeypatch.setenv("PM_AGENT_MAX_INPUT_BYTES", "1000")
    monkeypatch.setenv("PM_AGENT_INPUT_ROOTS", str(tmp_path))
    big = tmp_path / "big.json"
    big.write_text(json.dumps({"title": "x", "events": [GOOD_EVENT] * 20}))
    size = big.stat().st_size
    over = f"{size:,} bytes, over the 1,000-byte limit (shorten or split it, or raise PM_AGENT_MAX_INPUT_BYTES)"
    read_capped = "over the 1,000-byte limit (shorten or split it, or raise PM_AGENT_MAX_INPUT_BYTES)"

    assert main(["draft", str(big)]) == 2
    assert capsys.readouterr().err == f"pm-agent: error: {big}: {over}\n"
    assert main(["score", str(big)]) == 2
    assert capsys.readouterr().err == f"pm-agent: error: {big}: {over}\n"
    monkeypatch.setattr(sys, "stdin", open(big))  # closed with the test's stdin
    assert main(["draft", "-"]) == 2
    sys.stdin.close()
    assert capsys.readouterr().err == f"pm-agent: error: <stdin>: {read_capped}\n"
    assert read_paths([big]).problems == [f"{big}: {over}"]
    async with Client(create_server()) as client:
        result = await client.call_tool("draft_postmortem", {"paths": [str(big)]})
    assert result.content[0].text == f"Error executing tool draft_postmortem: {big}: {over}. {INCIDENT_HINT}"


def test_sizes_of_a_megabyte_and_more_are_given_in_megabytes():
    from pm_agent.ingest.files import size_message

    assert size_message(50 * 1024 * 1024, 20 * 1024 * 1024) == (
        "50.0 MB, over the 20 MB limit (shorten or split it, or raise PM_AGENT_MAX_INPUT_BYTES)"
    )
    assert size_message(3 * 1024 * 1024, 1536 * 1024, exact=False) == (
        "over the 1.5 MB limit (shorten or split it, or raise PM_AGENT_MAX_INPUT_BYTES)"
    )
