"""Everyday use of the command line: stdin, the version flag, facts beside an incident, the field names
people write action items with, an empty memory, and the exit status of a failed ingest."""

from __future__ import annotations

import io
import json

import pytest
from conftest import EXAMPLE

from pm_agent import __version__
from pm_agent.cli import main


@pytest.fixture(autouse=True)
def lexical_embedding(monkeypatch):
    monkeypatch.setenv("PM_AGENT_EMBEDDER", "lexical")


def feed_stdin(monkeypatch, text: str) -> None:
    monkeypatch.setattr("sys.stdin", io.TextIOWrapper(io.BytesIO(text.encode("utf-8")), encoding="utf-8"))


def test_draft_dash_reads_the_incident_from_standard_input(monkeypatch, capsys):
    main(["draft", str(EXAMPLE), "--no-memory"])
    from_file = capsys.readouterr().out
    feed_stdin(monkeypatch, EXAMPLE.read_text(encoding="utf-8"))

    assert main(["draft", "-", "--no-memory"]) == 0

    assert capsys.readouterr().out == from_file.replace(str(EXAMPLE), "<stdin>")


def test_draft_dash_beside_a_file_is_refused_in_one_line(monkeypatch, capsys):
    feed_stdin(monkeypatch, EXAMPLE.read_text(encoding="utf-8"))

    assert main(["draft", "-", str(EXAMPLE)]) == 2

    assert capsys.readouterr().err == (
        "pm-agent: error: '-' (standard input) stands alone: give either - or files, not both\n"
    )


@pytest.mark.parametrize("flag", ["-V", "--version"])
def test_the_short_and_long_version_flags_print_the_version(flag, capsys):
    with pytest.raises(SystemExit) as exit_:
        main([flag])

    assert exit_.value.code == 0
    assert capsys.readouterr().out == f"pm-agent {__version__}\n"


def test_a_fact_given_with_an_incident_is_shown_in_the_chain(capsys):
    fact = "The pool size default was never reviewed because no owner tracks config defaults"

    assert main(["whys", "--incident", str(EXAMPLE), "--fact", fact]) == 0

    assert f"      fact: {fact}\n" in capsys.readouterr().out


def test_actions_check_reads_assignee_and_due_date_as_owner_and_due(tmp_path, capsys):
    action = {
        "title": "Add a load test of pgbouncer pool_size changes to the payments-api deploy pipeline",
        "done_when": "the pipeline fails a change that lowers pool_size below the measured peak",
        "assignee": "Dana Ortiz",
        "due_date": "2026-04-21",
    }
    path = tmp_path / "actions.json"
    path.write_text(json.dumps([action]), encoding="utf-8")

    assert main(["actions", "check", str(path), "--json"]) == 0

    lint = json.loads(capsys.readouterr().out)[0]
    assert (lint["action"]["owner"], lint["action"]["due"], lint["problems"]) == ("Dana Ortiz", "2026-04-21", [])


@pytest.mark.parametrize(
    ("owner_field", "due_field"), [("owner", "due"), ("assignee", "deadline"), ("owner", "due_date")]
)
def test_actions_check_knows_the_common_owner_and_due_field_names(owner_field, due_field, tmp_path, capsys):
    path = tmp_path / "actions.json"
    path.write_text(
        json.dumps(
            [
                {
                    "title": "Page the database on-call on pool exhaustion",
                    owner_field: "SRE lead",
                    due_field: "2026-05-01",
                }
            ]
        ),
        encoding="utf-8",
    )

    main(["actions", "check", str(path), "--json"])

    action = json.loads(capsys.readouterr().out)[0]["action"]
    assert (action["owner"], action["due"]) == ("SRE lead", "2026-05-01")


def test_actions_check_refuses_two_names_for_the_same_field(tmp_path, capsys):
    path = tmp_path / "actions.json"
    path.write_text(
        json.dumps([{"title": "Alert on pool exhaustion", "owner": "Dana", "assignee": "Lee"}]), encoding="utf-8"
    )

    assert main(["actions", "check", str(path)]) == 2

    assert capsys.readouterr().err == (
        f"pm-agent: error: {path}: action [0] gives the owner twice ('owner' and 'assignee'); keep one\n"
    )


def test_patterns_of_a_memory_without_action_items_say_none_are_tracked(tmp_path, capsys):
    incident = {
        "title": "Checkout latency after a cache flush",
        "started_at": "2026-02-01T10:00:00Z",
        "events": [{"at": "2026-02-01T10:00:00Z", "text": "cache flushed"}],
    }
    (tmp_path / "incident.json").write_text(json.dumps(incident), encoding="utf-8")
    main(["memory", "ingest", str(tmp_path / "incident.json")])
    capsys.readouterr()

    assert main(["memory", "patterns"]) == 0

    text = capsys.readouterr().out
    assert text.endswith("## Action items not completed\n\nNo action items are tracked for these incidents.\n")


def test_ingest_problems_exit_2_like_every_other_error_you_can_fix(tmp_path, capsys):
    (tmp_path / "bad.json").write_text("[1, 2]", encoding="utf-8")

    assert main(["memory", "ingest", str(tmp_path / "bad.json")]) == 2


def test_a_bundled_eval_case_folder_drafts_from_the_inputs_its_case_lists(capsys):
    from conftest import REPO

    case = REPO / "evals" / "cases" / "capacity-email-queue"
    inputs = json.loads((case / "case.json").read_text(encoding="utf-8"))["inputs"]
    main(["draft", *(str(case / name) for name in inputs), "--no-memory"])
    from_inputs = capsys.readouterr().out

    assert main(["draft", str(case), "--no-memory"]) == 0

    assert capsys.readouterr().out == from_inputs
    assert from_inputs.startswith("# Postmortem: ")


@pytest.mark.parametrize("command", [["whys", "--incident", "-"], ["actions", "propose", "-"], ["fishbone", "-"]])
def test_every_command_that_reads_an_incident_reads_it_from_stdin_with_a_dash(command, monkeypatch, capsys):
    with_file = [str(EXAMPLE) if word == "-" else word for word in command]
    main(with_file)
    from_file = capsys.readouterr().out
    feed_stdin(monkeypatch, EXAMPLE.read_text(encoding="utf-8"))

    assert main(command) == 0

    assert capsys.readouterr().out == from_file.replace(str(EXAMPLE), "<stdin>")
