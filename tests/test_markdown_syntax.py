"""One Markdown line reader serves the ingester (strict rows) and the scorer (lenient rows)."""

from __future__ import annotations

import datetime as dt

import pytest
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


ROUGH_TIMES = ["~14:05", "14:05 (approx.)", "around 14:05"]


def _table_with_time(cell: str) -> str:
    return f"Date: 2024-03-01\n\n| Time | Event |\n|---|---|\n| 14:00 | checkout 5xx alert fired |\n| {cell} | db failover started |\n"


@pytest.mark.parametrize("rough", ROUGH_TIMES)
def test_a_rough_time_in_a_table_time_column_is_kept_with_its_mark_as_on_a_timeline_line(rough):
    table = text.PARSER.parse(_table_with_time(rough), "t.md", default_date=None)
    line = text.PARSER.parse(
        f"Date: 2024-03-01\n14:00 - checkout 5xx alert fired\n{rough} - db failover started\n",
        "t.md",
        default_date=None,
    )
    for parsed in (table, line):
        assert [(e.at, e.text) for e in parsed.events] == [(dt.datetime(2024, 3, 1, 14, 0), "checkout 5xx alert fired")]
        assert [(u.time_text, u.text, u.source) for u in parsed.undated] == [(rough, "db failover started", "note")]


@pytest.mark.parametrize("rough", ROUGH_TIMES)
def test_the_scorer_reads_the_same_rough_table_row_as_the_ingester(rough):
    rows = parse_markdown(_table_with_time(rough).removeprefix("Date: 2024-03-01\n")).timeline_rows()
    assert [(r.when, r.text, r.time, r.approximate) for r in rows] == [
        ("14:00", "checkout 5xx alert fired", dt.time(14, 0), False),
        (rough, "db failover started", dt.time(14, 5), True),
    ]


def test_approx_written_after_a_time_marks_the_time_only_before_a_separator_or_the_end():
    parsed = text.PARSER.parse(
        "Date: 2024-03-01\n14:05 approx. - db failover started\n14:10 approx. 300 users saw errors\n",
        "t.md",
        default_date=None,
    )
    assert [(u.time_text, u.text) for u in parsed.undated] == [("14:05 approx.", "db failover started")]
    assert [(e.at, e.text) for e in parsed.events] == [
        (dt.datetime(2024, 3, 1, 14, 10), "approx. 300 users saw errors")
    ]


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
