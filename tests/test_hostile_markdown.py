"""Markdown and chat markup built to make a backtracking pattern scan the rest of the text from every mark.

Each document below is 200,000 characters of one repeated unit. Read in linear time it takes well under a
second; with a pattern that rescans to the end from every opening mark it takes hours. The guard only turns
the second into a failure: nothing here asserts a time.
"""

from __future__ import annotations

import json

import pytest
from guards import finishes_in_reasonable_time

from pm_agent.analysis.rubric.scorer import score_markdown
from pm_agent.errors import InputError
from pm_agent.ingest import load_incident_text
from pm_agent.ingest.timeparse import minutes_in_text
from pm_agent.markdown.blocks import plain

SIZE = 200_000
UNITS = ["[[", "[a](x", "[1", "<http:a", "<a", "*a ", "_a ", "_a_ _", "a* *a "]


@pytest.mark.parametrize("unit", UNITS)
def test_inline_markup_that_never_closes_is_read_in_linear_time(unit):
    text = unit * (SIZE // len(unit))
    with finishes_in_reasonable_time(30):
        assert plain(text)


@pytest.mark.parametrize("line", [" " * SIZE, "| a |\n" + " " * SIZE])
def test_a_line_of_spaces_where_a_table_delimiter_may_stand_is_read_in_linear_time(line):
    with finishes_in_reasonable_time(30):
        assert score_markdown("# Postmortem\n\n| a | b |\n" + line).weighted_average >= 1


def test_forty_thousand_opening_brackets_are_scored_in_linear_time():
    with finishes_in_reasonable_time(30):
        assert score_markdown("# Postmortem\n\n" + "[" * 40_000).weighted_average >= 1


def test_links_and_emphasis_still_read_as_their_text():
    assert plain("See [the runbook](https://x.test/run) and <https://x.test/a>, _really_ *now* <b>bold</b>") == (
        "See the runbook and https://x.test/a, really now bold"
    )
    assert plain("_foo_bar_ and *a*b* stay words") == "foo_bar and a*b stay words"


def test_a_run_of_digits_is_no_duration_and_is_read_in_linear_time():
    with finishes_in_reasonable_time(30):
        assert minutes_in_text("1" * SIZE) is None


@pytest.mark.parametrize("unit", ["<!", "<@U1|", "<#C1|", "<a:"])
def test_slack_markup_that_never_closes_is_refused_by_the_field_limit_without_rescanning(unit):
    message = {"ts": "1709301600.000100", "user": "U1", "text": unit * (SIZE // len(unit))}
    with finishes_in_reasonable_time(30), pytest.raises(InputError, match="over the limit of 20,000 per field"):
        load_incident_text(json.dumps([message]), "slack.json")


def test_a_services_line_of_spaces_is_split_in_linear_time():
    text = "Services: a" + " " * 19_000 + "b\n2024-03-01T14:00:00Z [chat] checkout down"
    with finishes_in_reasonable_time(30):
        assert load_incident_text(text).services == ["a" + " " * 19_000 + "b"]
