"""One Markdown line reader serves the ingester (strict rows) and the scorer (lenient rows)."""

from __future__ import annotations

import datetime as dt

from guards import finishes_in_reasonable_time

from pm_agent.ingest import text
from pm_agent.markdown.columns import time_columns, timeline_roles
from pm_agent.markdown.document import parse_markdown
from pm_agent.markdown.syntax import LENIENT, STRICT, heading, table_cells, table_end, table_starts

GFM_TIMELINE = """\
# Checkout outage

## Timeline

| Time (UTC) | Event |
|---|---|
| 2024-03-01 14:05 | Deploy of config v42 |
| 2024-03-01 14:12 | Alert fired: checkout 5xx above 5% \\| EU only |
"""


def test_a_table_in_the_common_shape_is_read_alike_by_the_ingester_and_the_scorer():
    events = text.PARSER.parse(GFM_TIMELINE, "t.md", default_date=None).events
    rows = parse_markdown(GFM_TIMELINE).timeline_rows()
    ingested = [(e.at.replace(tzinfo=None), e.text) for e in events]
    scored = [(dt.datetime.combine(r.date, r.time), r.text) for r in rows]
    assert (
        ingested
        == scored
        == [
            (dt.datetime(2024, 3, 1, 14, 5), "Deploy of config v42"),
            (dt.datetime(2024, 3, 1, 14, 12), "Alert fired: checkout 5xx above 5% | EU only"),
        ]
    )


def test_cells_are_split_on_bare_bars_and_keep_escaped_ones_under_both_policies():
    assert table_cells("| 14:05 | a \\| b | **bold** |") == ["14:05", "a | b", "**bold**"]
    assert table_cells("14:05 | text") == ["14:05", "text"]


def test_the_strict_policy_wants_a_bar_opening_every_table_line_and_three_dashes_per_delimiter():
    lines = ["Time | Event", "---|---", "14:05 | deploy", "| 14:06 | alert |", "", "after"]
    assert not table_starts(lines[0], lines[1], STRICT)
    assert table_starts(lines[0], lines[1], LENIENT)
    assert table_end(lines, 2, LENIENT) == 4
    assert table_end(lines, 2, STRICT) == 2
    assert table_starts("| Time | Event |", "|-|-|", LENIENT)
    assert not table_starts("| Time | Event |", "|-|-|", STRICT)
    assert table_starts("| Time | Event |", "| :--- | ---: |", STRICT)


def test_the_strict_policy_wants_headings_at_the_margin():
    assert heading("  ## Timeline", STRICT) is None
    assert heading("  ## Timeline", LENIENT)["text"] == "Timeline"
    assert [heading("### 14:05 UTC ###", policy).group("marks", "text") for policy in (STRICT, LENIENT)] == [
        ("###", "14:05 UTC"),
        ("###", "14:05 UTC"),
    ]


def test_a_barless_table_is_a_table_to_the_scorer_while_the_ingester_reads_its_rows_as_timestamped_lines():
    loose = "Date: 2024-03-01\n\n## Timeline\n\nTime | Event\n--|--\n14:05 | deploy\n"
    parsed = text.PARSER.parse(loose, "t.md", default_date=None)
    assert [(e.at, e.text, e.locator) for e in parsed.events] == [(dt.datetime(2024, 3, 1, 14, 5), "deploy", "line 7")]
    assert parsed.notes == "## Timeline\n\nTime | Event\n--|--"
    assert [(r.when, r.text) for r in parse_markdown(loose).timeline_rows()] == [("14:05", "deploy")]


def test_the_lenient_policy_reads_more_marks_as_an_estimate():
    assert [
        (r.when, r.approximate) for r in parse_markdown("## Timeline\n\n- roughly 14:05 deploy\n").timeline_rows()
    ] == [("14:05", True)]
    parsed = text.PARSER.parse("Date: 2024-03-01\nroughly 14:05 deploy\n", "t.md", default_date=None)
    assert (parsed.events, parsed.undated, parsed.notes) == ([], [], "roughly 14:05 deploy")


HOSTILE_DELIMITERS = [" " * 200_000, "|" + "---|" * 50_000 + "x", "|" + " :---: " * 30_000 + "|", "| " * 100_000]


def test_a_hostile_line_under_a_table_header_is_judged_in_linear_time_under_both_policies():
    with finishes_in_reasonable_time(30):
        assert [
            table_starts("| Time | Event |", line, policy)
            for line in HOSTILE_DELIMITERS
            for policy in (STRICT, LENIENT)
        ] == [False, False, False, False, False, False, False, False]
        parsed = text.PARSER.parse("| Time | Event |\n" + "\n".join(HOSTILE_DELIMITERS), "t.md", default_date=None)
    assert parsed.events == []


def test_timeline_columns_are_named_for_the_ingester_and_may_be_only_mentioned_or_implied_for_the_scorer():
    assert timeline_roles(["**Time**", "Kind", "Who", "Notes"]) == {0: "time", 1: "source", 2: "actor", 3: "text"}
    assert timeline_roles(["Clock (UTC)", "What happened"]) == {1: "text"}
    assert time_columns(["Clock (UTC)", "What happened"], []) == [0]
    assert time_columns(["", "Step"], [["14:05", "deploy"], ["14:07", "alert"]]) == [0]
    assert time_columns(["", "Step"], [["14:05", "deploy"]], need_time_header=True) == []
