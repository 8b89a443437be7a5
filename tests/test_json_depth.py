"""JSON nested deeper than any incident format is refused like other bad input, before anything walks it."""

from __future__ import annotations

import json

import pytest

from pm_agent.cli import main
from pm_agent.errors import InputError
from pm_agent.guards.redaction import redact_document
from pm_agent.ingest import load_incident_text
from pm_agent.memory.sources import read_paths

EVENT = '{"at": "2024-03-01T14:00:00Z", "source": "chat", "text": "checkout 502s"}'


def nested(depth: int) -> str:
    return "[" * depth + "]" * depth


def incident_with_notes(depth: int) -> str:
    return f'{{"title": "Checkout down", "events": [{EVENT}], "notes": {nested(depth)}}}'


@pytest.mark.parametrize("depth", [500, 100_000])
def test_an_incident_nested_hundreds_or_thousands_of_levels_is_refused_with_its_depth(depth):
    with pytest.raises(InputError, match=rf"^<input>: JSON nested {depth + 1:,} levels deep, over the limit of 64;"):
        load_incident_text(incident_with_notes(depth))


def test_brackets_inside_strings_are_not_nesting():
    text = '{{"title": "{}", "events": [{}]}}'.format("[" * 500, EVENT)
    assert load_incident_text(text).title == "[" * 500


def test_the_cli_answers_a_deep_document_with_one_line_and_exit_2(tmp_path, capsys):
    path = tmp_path / "deep.json"
    path.write_text(incident_with_notes(100_000))
    assert main(["draft", str(path)]) == 2
    err = capsys.readouterr().err
    assert err.strip().count("\n") == 0 and "JSON nested 100,001 levels deep" in err
    assert "Traceback" not in err


def test_memory_ingest_names_a_deep_line_as_a_problem_not_a_traceback(tmp_path):
    path = tmp_path / "rows.jsonl"
    row = {"title": "Checkout down", "summary": "502s for 40 minutes", "date": "2024-03-01"}
    path.write_text(
        json.dumps(row) + "\n" + f'{{"title": {nested(900)}}}\n' + json.dumps(row | {"title": "DNS"}) + "\n"
    )
    result = read_paths([path])
    assert result.problems == [
        f"{path}:2: JSON nested 901 levels deep, over the limit of 64; no incident format nests that deep"
    ]


def test_a_deep_document_is_redacted_as_text_for_the_queue_not_walked_into_a_recursion_error():
    document = '{"token": "ghp_' + "a" * 36 + '", "x": ' + nested(900) + "}"
    redacted = redact_document(document)
    assert "ghp_" not in redacted.text
    assert redacted.text.endswith(nested(900) + "}")
