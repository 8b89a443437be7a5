"""Any team's Markdown postmortem is read into canonical fields, timeline rows and actions."""

from __future__ import annotations

import datetime as dt

import pytest

from pm_agent.markdown.document import ActionEntry, Table, parse_markdown

HEADING_STYLES = """\
Checkout outage
===============

**Overview**
Payments failed for 40 minutes.

Timeline
--------

| Time (UTC) | Event |
|---|---|
| 2024-03-01 14:05 | Deploy of config v42 |
| 2024-03-01 14:12 | Alert fired: checkout 5xx above 5% |
| 14:?? | Rollback started |

### Root cause(s)

A config default changed.

#### Why it was not caught

No test covers the default.

## Lessons learned & takeaways
- Defaults need tests
"""


def test_setext_atx_and_bold_headings_become_sections_mapped_to_canonical_fields():
    doc = parse_markdown(HEADING_STYLES)
    assert doc.title == "Checkout outage"
    assert [(s.title, s.level, s.canonical) for s in doc.sections] == [
        ("Checkout outage", 1, None),
        ("Overview", 2, "summary"),
        ("Timeline", 2, "timeline"),
        ("Root cause(s)", 3, "root_cause"),
        ("Why it was not caught", 4, "root_cause"),
        ("Lessons learned & takeaways", 2, "lessons"),
    ]
    assert doc.field("summary") == "Payments failed for 40 minutes."
    assert doc.field("root_cause") == "A config default changed.\n\nNo test covers the default."
    assert doc.items("lessons") == ["Defaults need tests"]
    assert doc.fields_present() == ["summary", "timeline", "root_cause", "lessons"]


def test_tables_keep_header_and_rows_and_timeline_rows_read_date_time_and_zone():
    doc = parse_markdown(HEADING_STYLES)
    assert doc.sections_for("timeline")[0].tables == [
        Table(
            header=["Time (UTC)", "Event"],
            rows=[
                ["2024-03-01 14:05", "Deploy of config v42"],
                ["2024-03-01 14:12", "Alert fired: checkout 5xx above 5%"],
                ["14:??", "Rollback started"],
            ],
        )
    ]
    rows = [(r.when, r.text, r.date, r.time, r.timestamped) for r in doc.timeline_rows()]
    assert rows == [
        ("2024-03-01 14:05", "Deploy of config v42", dt.date(2024, 3, 1), dt.time(14, 5), True),
        ("2024-03-01 14:12", "Alert fired: checkout 5xx above 5%", dt.date(2024, 3, 1), dt.time(14, 12), True),
        ("14:??", "Rollback started", None, None, False),
    ]
    assert doc.timeline_zone() == "UTC"
    assert doc.items("timeline")[0] == "2024-03-01 14:05 | Deploy of config v42"


def test_bullet_timelines_with_bold_times_are_read_and_the_zone_comes_from_the_rows():
    doc = parse_markdown("# T\n\n## Timeline\n\n- **09:58 CET** - deploy\n- [10:04 CET] pager fired\n- no time here\n")
    assert [(r.when, r.text, r.time, r.zone) for r in doc.timeline_rows()] == [
        ("09:58 CET", "deploy", dt.time(9, 58), "CET"),
        ("10:04 CET", "pager fired", dt.time(10, 4), "CET"),
    ]
    assert doc.timeline_zone() == "CET"


ACTIONS = """\
# Incident

## Follow-up actions

- [x] Add a canary stage to the deploy pipeline (Owner: Platform team, due 2024-03-15)
- [ ] Alert on checkout 5xx above 2% for 5 minutes (@dana) by Q2 2024
- Improve monitoring
  - Owner: SRE on-call
  - Status: in progress
- ✅ Roll back config v42 — OPS-1234

| Action | Owner | Due | Status |
|---|---|---|---|
| Validate config defaults in CI | Sam Lee | 2024-04-01 | open |
| Document the rollback | TBD | - | |
"""


def test_action_items_read_checkboxes_owners_due_dates_status_and_tickets_from_bullets_and_tables():
    actions = parse_markdown(ACTIONS).action_items()
    assert actions == [
        ActionEntry(
            text="Add a canary stage to the deploy pipeline (Owner: Platform team, due 2024-03-15)",
            owner="Platform team",
            due="2024-03-15",
            status="done",
        ),
        ActionEntry(
            text="Alert on checkout 5xx above 2% for 5 minutes (@dana) by Q2 2024",
            owner="dana",
            due="Q2 2024",
            status="open",
        ),
        ActionEntry(
            text="Improve monitoring; Owner: SRE on-call; Status: in progress",
            owner="SRE on-call",
            status="in_progress",
        ),
        ActionEntry(text="Roll back config v42 — OPS-1234", status="done", ticket="OPS-1234"),
        ActionEntry(text="Validate config defaults in CI", owner="Sam Lee", due="2024-04-01", status="open"),
        ActionEntry(text="Document the rollback"),
    ]


def test_a_section_title_target_is_the_due_date_of_its_items_and_action_lines_count_anywhere():
    doc = parse_markdown(
        "# X\n\n## Long-term improvements (Target: Q4 2025)\n\n- Add contract tests\n\n"
        "## Response\n\n**Action item:** declare incidents sooner. Owner: @lee\n"
    )
    assert [(a.text, a.owner, a.due) for a in doc.action_items()] == [
        ("Add contract tests", None, "Q4 2025"),
        ("Action item: declare incidents sooner. Owner: @lee", "lee", None),
    ]


def test_tables_outside_action_sections_are_not_actions_but_bold_action_lines_anywhere_are():
    doc = parse_markdown(
        "# X\n\n## Impact\n\n| Region | Errors |\n|---|---|\n| eu | 40 |\n\n- 40 errors in eu\n\n"
        "**Action item:** add a regional error alert (owner: SRE)\n"
    )
    assert doc.action_items() == [ActionEntry(text="Action item: add a regional error alert (owner: SRE)", owner="SRE")]


def test_facts_come_from_bold_labels_front_matter_stats_bullets_and_two_column_tables():
    doc = parse_markdown(
        "---\ntitle: Queue backlog\nseverity: SEV2\n---\n\n**Date:** 2024-05-02  \n**Services:** queue, billing\n\n"
        "## Stats\n\n- Time to detection: 8 minutes\n\n"
        "## Details\n\n| Field | Value |\n|---|---|\n| Region | eu-west-1 |\n"
    )
    assert doc.title == "Queue backlog"
    assert doc.facts == {
        "title": "Queue backlog",
        "severity": "SEV2",
        "date": "2024-05-02",
        "services": "queue, billing",
        "time to detection": "8 minutes",
        "region": "eu-west-1",
    }
    assert doc.incident_date() == dt.date(2024, 5, 2)


def test_headings_inside_code_fences_and_html_comments_are_not_sections():
    doc = parse_markdown("# Real\n<!-- ## Hidden -->\n```\n## Not a heading\n```\n## Impact\n3 users\n")
    assert [s.title for s in doc.sections] == ["Real", "Impact"]
    assert doc.field("impact") == "3 users"


def test_links_are_collected_with_their_text_from_inline_reference_and_bare_forms():
    doc = parse_markdown(
        "See [PM-12](https://x.test/pm-12) and [prior][p] or https://x.test/raw\n\n[p]: https://x.test/p\n"
    )
    assert [(link.text, link.url) for link in doc.links] == [
        ("PM-12", "https://x.test/pm-12"),
        ("p", "https://x.test/p"),
        ("https://x.test/raw", "https://x.test/raw"),
    ]


@pytest.mark.parametrize("garbage", ["", "   \n\n", "just one line", "|||\n---\n***\n>>>", "\x00\x01 binary \ufffd"])
def test_empty_or_garbage_input_parses_without_error_into_an_unmapped_document(garbage):
    doc = parse_markdown(garbage)
    assert doc.fields_present() == []
    assert doc.timeline_rows() == []
    assert doc.action_items() == []
    assert doc.incident_date() is None


def test_an_unknown_field_name_is_refused_with_the_known_names():
    with pytest.raises(ValueError, match="known fields: summary, impact"):
        parse_markdown("# x").field("vibes")


@pytest.mark.shared_data
def test_every_real_postmortem_yields_a_title_a_timeline_and_actions(shared_data):
    for path in sorted((shared_data / "fulltext").glob("*.md")):
        doc = parse_markdown(path.read_text(encoding="utf-8"))
        present = doc.fields_present()
        assert doc.title and doc.incident_date(), path.name
        assert {"summary", "timeline", "action_items", "lessons"} <= set(present), (path.name, present)
        assert sum(row.timestamped for row in doc.timeline_rows()) >= 5, path.name
        assert len(doc.action_items()) >= 2, path.name
        assert doc.timeline_zone() in {"UTC", "CET"}, path.name


ISSUE_TRACKER_STYLE = """\
# Internal calls failing (#1089)

## Timeline (UTC, approximate where marked ±)

- ± 17:05 autoscaler adds 14 nodes
- 17:12 first CoreDNS pod OOMKilled
- ~17:55 error rate back to normal
- around 18:30 batch jobs paused
- 2024-10-02 ≈18:40 follow-up review booked

## Follow-ups

- [ ] #1094 Run CoreDNS with the cluster-proportional autoscaler (@nadia)
- [x] #1097 Alert on any CoreDNS OOMKill or restart (@tom)
- https://github.com/example/platform/issues/1098 Add a DNS load test to the upgrade checklist

## Remediation

1. Raise the CoreDNS memory limit to 512Mi. Owner: Platform team. Due: 2024-10-09.
2. ✅ Set `ndots:2` for the batch jobs
"""


def test_approximate_times_are_read_as_timeline_rows_marked_approximate():
    rows = parse_markdown(ISSUE_TRACKER_STYLE).timeline_rows()
    assert [(r.when, r.time, r.approximate, r.text) for r in rows] == [
        ("17:05", dt.time(17, 5), True, "autoscaler adds 14 nodes"),
        ("17:12", dt.time(17, 12), False, "first CoreDNS pod OOMKilled"),
        ("17:55", dt.time(17, 55), True, "error rate back to normal"),
        ("18:30", dt.time(18, 30), True, "batch jobs paused"),
        ("2024-10-02 18:40", dt.time(18, 40), True, "follow-up review booked"),
    ]


def test_issue_links_numbered_remediation_lists_and_done_marks_are_actions():
    assert parse_markdown(ISSUE_TRACKER_STYLE).action_items() == [
        ActionEntry(
            text="#1094 Run CoreDNS with the cluster-proportional autoscaler (@nadia)",
            owner="nadia",
            status="open",
            ticket="#1094",
        ),
        ActionEntry(
            text="#1097 Alert on any CoreDNS OOMKill or restart (@tom)", owner="tom", status="done", ticket="#1097"
        ),
        ActionEntry(
            text="https://github.com/example/platform/issues/1098 Add a DNS load test to the upgrade checklist",
            ticket="https://github.com/example/platform/issues/1098",
        ),
        ActionEntry(
            text="Raise the CoreDNS memory limit to 512Mi. Owner: Platform team. Due: 2024-10-09.",
            owner="Platform team",
            due="2024-10-09",
        ),
        ActionEntry(text="Set ndots:2 for the batch jobs", status="done"),
    ]


def test_why_and_what_we_are_changing_headings_map_to_root_cause_and_actions():
    doc = parse_markdown("# X\n\n## Why\n\nThe pool was too small.\n\n## What we're changing\n\n- Pin the pool size\n")
    assert [(s.title, s.canonical) for s in doc.sections] == [
        ("X", None),
        ("Why", "root_cause"),
        ("What we're changing", "action_items"),
    ]
    assert [a.text for a in doc.action_items()] == ["Pin the pool size"]


def test_a_timeline_whose_rows_use_two_zones_equally_is_read_in_the_first_one_on_every_run():
    import os
    import subprocess
    import sys

    code = (
        "from pm_agent.markdown.document import parse_markdown; print(parse_markdown('# Outage\\n\\n## Timeline\\n\\n"
        "- 2024-03-01 14:02Z alert fired\\n- 2024-03-01 14:05 UTC rollback started\\n').timeline_zone())"
    )
    seen = {
        subprocess.run(
            [sys.executable, "-c", code],
            capture_output=True,
            text=True,
            check=True,
            env={**os.environ, "PYTHONHASHSEED": str(seed)},
        ).stdout.strip()
        for seed in range(6)
    }
    assert seen == {"Z"}
