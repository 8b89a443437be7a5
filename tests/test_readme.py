"""The README's statements hold: its two commands stay the ones CI runs, the main job really drafts the example,
the Commands table matches the CLI's own parser (commands and flags), every command line in it parses, the exit
statuses and variables it names are real, and the memory walkthrough runs on the bundled postmortems."""

from __future__ import annotations

import argparse
import json
import os
import re
import shlex
import subprocess
import sys

import pytest
from conftest import EXAMPLE, REPO

from pm_agent.cli import build_parser, main
from pm_agent.settings import Settings


def readme_command(marker: str) -> str:
    text = (REPO / "README.md").read_text()
    match = re.search(rf"<!-- {marker} -->\s*```bash\n(.+?)\n```", text, re.S)
    assert match, f"README has no {marker} block"
    return match.group(1).strip()


def test_ci_runs_the_readme_test_command_verbatim():
    assert readme_command("test-command") in (REPO / ".ci" / "run").read_text().splitlines()


def test_ci_runs_the_readme_main_command():
    main_command = readme_command("main-command")
    assert any(line.startswith(main_command) for line in (REPO / ".ci" / "run").read_text().splitlines())


def test_the_main_command_drafts_the_bundled_example(capsys):
    command = readme_command("main-command")
    draft_args = command.split(".venv/bin/pm-agent ", 1)[1].split()
    assert main(draft_args) == 0
    markdown = capsys.readouterr().out
    assert markdown.startswith("# Postmortem: Payments API returned 502s after a connection-pool change\n")
    assert EXAMPLE.name in draft_args[-1]


# --- every statement of the README's Commands section holds for the CLI's own parser -------------------------------

README = (REPO / "README.md").read_text(encoding="utf-8")


def subcommands(parser: argparse.ArgumentParser) -> dict[str, argparse.ArgumentParser]:
    """``{"draft": parser, "actions check": parser, ...}``: every command a user can type, leaves only."""
    found: dict[str, argparse.ArgumentParser] = {}
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for name, child in action.choices.items():
                inner = subcommands(child)
                found |= {f"{name} {sub}": p for sub, p in inner.items()} if inner else {name: child}
    return found


def flags(parser: argparse.ArgumentParser) -> set[str]:
    return {option for action in parser._actions for option in action.option_strings}


COMMANDS = subcommands(build_parser())


def section(heading: str) -> str:
    match = re.search(rf"^## {re.escape(heading)}\n(.+?)(?=^## )", README, re.S | re.M)
    assert match, f"README has no '## {heading}' section"
    return match.group(1)


def table_rows() -> list[tuple[list[str], set[str]]]:
    """The Commands table: for each row, the commands it names and the flags it mentions."""
    rows = []
    for line in section("Commands").splitlines():
        if not line.startswith("| `pm-agent "):
            continue
        cell, _rest = line[2:].split(" | ", 1)
        names: list[str] = []
        for code in re.findall(r"`pm-agent ([^`]+)`|`(actions \w+)", cell):
            words = [w for w in (code[0] or code[1]).split() if re.fullmatch(r"[a-z][a-z|\\]*", w)]
            head, *tail = words
            subs = (
                tail[0].replace("\\", "").split("|")
                if tail and head in ("actions", "fetch", "memory", "models", "queue")
                else [None]
            )
            names += [f"{head} {sub}" if sub else head for sub in subs]
        rows.append((names, set(re.findall(r"(?<![\w-])--[a-z][a-z-]*", line))))
    return rows


def test_the_commands_table_names_every_command_the_cli_has_and_no_other():
    named = [name for names, _ in table_rows() for name in names]

    assert sorted(set(named)) == sorted(COMMANDS)


def test_every_flag_the_commands_table_mentions_belongs_to_the_command_of_its_row():
    for names, mentioned in table_rows():
        available = set().union(*(flags(COMMANDS[name]) for name in names))
        assert mentioned <= available, (names, mentioned - available)


def test_commands_that_print_a_result_take_json_and_draft_takes_format_json_as_the_readme_says():
    statement = (
        "Commands that print a result take `--json` (`draft` takes `--format json`; `serve` prints no result, "
        "and `models pull` only says where the model is)."
    )
    assert statement in section("Commands").replace("\n", " ")
    without = {name for name, parser in COMMANDS.items() if "--json" not in flags(parser)}
    [format_option] = [a for a in COMMANDS["draft"]._actions if "--format" in a.option_strings]

    assert without == {"draft", "serve", "models pull"}
    assert "json" in format_option.choices


def readme_command_lines() -> list[str]:
    """Every ``pm-agent ...`` line of the README's bash blocks, and every inline ``pm-agent ...`` that is a whole
    command."""
    lines = []
    for block in re.findall(r"```bash\n(.+?)```", README, re.S):
        lines += [
            line.split("#")[0].strip().rstrip("&").strip()
            for line in block.splitlines()
            if line.startswith("pm-agent ")
        ]
    lines += [
        code
        for code in re.findall(r"`(pm-agent [^`]+)`", README)  # a whole command, not a name or a synopsis
        if len(code.split()) > 2 and not re.search(r"\.\.\.|\||\[|\\|[A-Z]{2,}(?![\w.-]*[./])", code)
    ]
    return sorted(set(lines))


@pytest.mark.parametrize("line", readme_command_lines())
def test_every_command_line_in_the_readme_parses(line):
    build_parser().parse_args(shlex.split(line)[1:])  # argparse exits with status 2 on a flag that does not exist


def test_the_version_flag_the_readme_names_prints_the_version():
    assert "`-V` prints the version" in section("Commands")
    assert {"-V", "--version"} <= flags(build_parser())


def test_an_error_you_can_fix_exits_2_and_raise_errors_shows_the_traceback(tmp_path):
    env = {k: v for k, v in os.environ.items() if not k.startswith("PM_AGENT_")} | {"PYTHONPATH": str(REPO / "src")}
    command = [sys.executable, "-m", "pm_agent", "draft", str(tmp_path / "missing.json")]

    plain = subprocess.run(command, env=env, capture_output=True, text=True, timeout=120, check=False)
    raised = subprocess.run(
        command, env=env | {"PM_AGENT_RAISE_ERRORS": "1"}, capture_output=True, text=True, timeout=120, check=False
    )

    assert (plain.returncode, plain.stderr) == (2, f"pm-agent: error: {tmp_path / 'missing.json'}: no such file\n")
    statement = "exit with status 2 (no traceback; `PM_AGENT_RAISE_ERRORS=1` shows one)"
    assert statement in section("Commands").replace("\n", " ")
    assert raised.returncode == 1 and "Traceback (most recent call last)" in raised.stderr


def test_every_variable_the_readme_names_is_read_and_every_setting_is_in_the_configuration_table():
    source = "\n".join(p.read_text(encoding="utf-8") for p in (REPO / "src" / "pm_agent").rglob("*.py"))
    pattern = r"environ(?:\.get)?\(\s*\"(PM_AGENT_[A-Z_]+)\"|environ\[\"(PM_AGENT_[A-Z_]+)\"\]"
    read_directly = set(re.findall(pattern, source))
    read_directly = {name for pair in read_directly for name in pair if name}
    settings = {
        (field.validation_alias if isinstance(field.validation_alias, str) else f"PM_AGENT_{name.upper()}")
        for name, field in Settings.model_fields.items()
    }
    named = set(re.findall(r"\b(PM_AGENT_[A-Z_]*[A-Z])\b", README))
    table = section("Configuration")

    assert named <= settings | read_directly, named - settings - read_directly
    assert [name for name in sorted(settings) if f"`{name}`" not in table] == []


def test_the_memory_walkthrough_runs_on_the_bundled_postmortems_and_shows_what_the_readme_says(
    tmp_path, monkeypatch, capsys
):
    monkeypatch.chdir(tmp_path)  # `-o patterns.md` lands here
    monkeypatch.setenv("PM_AGENT_EMBEDDER", "lexical")
    lines = [shlex.split(line.split("  #")[0]) for line in readme_command("memory-walkthrough").splitlines()]
    outputs = []
    for words in lines:
        assert words[0] == "pm-agent"
        args = [str(REPO / word) if word.startswith("examples/") else word for word in words[1:]]
        assert main(args) == 0, words
        outputs.append(capsys.readouterr().out)
    ingest, search, by_incident, _patterns, overdue, done = outputs

    assert ingest.startswith("4 added, 0 already stored (4 read from 4 files;")
    assert search.startswith("1. Postmortem: Checkout down after the gateway TLS certificate expired (2025-12-09)")
    assert [hit["source_id"] for hit in json.loads(by_incident)[:2]] == ["INC-1984", "INC-2077"]
    patterns = (tmp_path / "patterns.md").read_text(encoding="utf-8")
    assert "| payments-api | 2 | INC-1984, INC-2077 |" in patterns
    assert "| pgbouncer | 2 | INC-1984, INC-2077 |" in patterns
    assert (
        "| No alert watched pgbouncer's waiting-client count, so the first signal was payments-api latency. "
        "| 2 | INC-1984, INC-2077 |"
    ) in patterns
    assert overdue.startswith(
        "pm-b14cfe129598d7ff.a2 [open OVERDUE] Alert when pgbouncer has clients waiting for "
        "more than 30 s | owner: SRE on-call lead | due: 2025-12-02 | from INC-1984\n"
    )
    assert done == (
        "pm-b14cfe129598d7ff.a2 done: Alert when pgbouncer has clients waiting for more than 30 s (INC-1984)\n"
    )
