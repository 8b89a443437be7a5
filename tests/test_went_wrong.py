"""What went wrong and the lessons: each line quotes the events that show it, a lesson says what the data teaches
about this system in its own terms, and with nothing in the data there is nothing (no filler)."""

from __future__ import annotations

import datetime as dt

from pm_agent.analysis.claims import unsupported_claims
from pm_agent.analysis.drafting import LESSONS_QUESTION, draft_postmortem
from pm_agent.analysis.evidence import read_incident
from pm_agent.analysis.lessons import lessons, went_wrong
from pm_agent.analysis.narrative import went_well
from pm_agent.analysis.timeline import compute_metrics
from pm_agent.models import Incident, TimelineEvent, UndatedEvent
from pm_agent.render.postmortem import render_markdown


def at(hhmm: str) -> dt.datetime:
    return dt.datetime.fromisoformat(f"2024-09-03T{hhmm}:00+00:00")


def event(hhmm: str, source: str, text: str) -> TimelineEvent:
    return TimelineEvent(at=at(hhmm), source=source, text=text)


def thumbnail_outage() -> Incident:
    """A resizer release writes thumbnails to a path nothing reads; a sign was set aside the week before, users saw it
    first, a restart did nothing, the rollback waited on a lock cleared by hand."""
    return Incident(
        id="thumb-1",
        title="Thumbnails missing on new uploads",
        services=["thumbnail-resizer"],
        events=[
            event("02:00", "deploy", "thumbnail-resizer 4.0 rolled out to all workers"),
            event("02:50", "chat", "Support: customers report thumbnails missing on new uploads"),
            event("03:05", "alert", "FIRING ResizerQueueDepth: resize queue above 50,000 jobs"),
            event("03:10", "chat", "Restarted the resizer workers; no effect, queue keeps growing"),
            event(
                "03:20",
                "deploy",
                "Rollback of thumbnail-resizer delayed due to a pipeline lock held by the nightly build",
            ),
            event("03:25", "note", "Pipeline lock released by hand after the nightly build was cancelled"),
            event("03:30", "deploy", "thumbnail-resizer rolled back to 3.9 by the pipeline"),
            event("03:45", "metric", "Resize queue drained; thumbnails back to normal, recovered"),
            event(
                "04:10",
                "chat",
                "Found: resizer 4.0 writes thumbnails under /thumbs-v2 because the output path setting was renamed, "
                "and the web app still reads /thumbs",
            ),
        ],
        undated_events=[
            UndatedEvent(
                source="note",
                time_text="the week before",
                text="Resize queue depth creeping up every night; put down to the back-to-school upload peak, "
                "no ticket filed",
            )
        ],
    )


def quiet_incident() -> Incident:
    """An alert a minute in, a rollback that worked: nothing in the data went badly, and no finding to learn from."""
    return Incident(
        id="quiet-1",
        title="Checkout slow after a release",
        services=["checkout"],
        events=[
            event("10:00", "deploy", "checkout 7.2 rolled out"),
            event("10:01", "alert", "FIRING CheckoutLatencyHigh: p95 above 2 s"),
            event("10:06", "deploy", "checkout rolled back to 7.1; latency back to normal"),
        ],
    )


def test_what_went_wrong_quotes_each_event_that_went_badly_with_its_source_and_time():
    reading = read_incident(thumbnail_outage())
    assert went_wrong(reading, compute_metrics(thumbnail_outage(), reading)) == [
        "A sign of the failure was seen before it and set aside: Resize queue depth creeping up every night; put "
        'down to the back-to-school upload peak, no ticket filed (note, undated "the week before").',
        "People saw the failure before monitoring did: Support: customers report thumbnails missing on new uploads "
        "(chat, 2024-09-03 02:50 UTC); the first alert came later: FIRING ResizerQueueDepth: resize queue above "
        "50,000 jobs (alert, 2024-09-03 03:05 UTC).",
        "A step taken to stop the impact did not work: Restarted the resizer workers; no effect, queue keeps growing "
        "(chat, 2024-09-03 03:10 UTC).",
        "The response was held up: Rollback of thumbnail-resizer delayed due to a pipeline lock held by the nightly "
        "build (deploy, 2024-09-03 03:20 UTC).",
        "Recovery needed a manual step: Pipeline lock released by hand after the nightly build was cancelled (note, "
        "2024-09-03 03:25 UTC).",
    ]


def test_slow_detection_is_stated_with_the_metrics_tables_time_to_detect():
    incident = thumbnail_outage().model_copy(
        update={"events": [e for e in thumbnail_outage().events if e.source != "chat" or "Support" not in e.text]}
    )
    reading = read_incident(incident)
    metrics = compute_metrics(incident, reading)
    detect = next(m for m in metrics if m.name == "time_to_detect")
    assert detect.minutes == 65
    assert [line for line in went_wrong(reading, metrics) if "detected" in line] == [
        "It was detected 1 h 05 min after it began (time to detect): FIRING ResizerQueueDepth: resize queue above "
        "50,000 jobs (alert, 2024-09-03 03:05 UTC).",
    ]


def test_lessons_state_what_the_data_teaches_connecting_facts_only_where_the_data_does():
    assert lessons(read_incident(thumbnail_outage())) == [
        "How this system fails, as the data states it: Found: resizer 4.0 writes thumbnails under /thumbs-v2 because "
        "the output path setting was renamed, and the web app still reads /thumbs (chat, 2024-09-03 04:10 UTC), and "
        "this is how the failure showed: Support: customers report thumbnails missing on new uploads (chat, "
        "2024-09-03 02:50 UTC).",
        "This failure can be seen before it is detected: Resize queue depth creeping up every night; put down to the "
        'back-to-school upload peak, no ticket filed (note, undated "the week before") came before Support: customers '
        "report thumbnails missing on new uploads (chat, 2024-09-03 02:50 UTC).",
        "In this failure, a way out does not work: Restarted the resizer workers; no effect, queue keeps growing "
        "(chat, 2024-09-03 03:10 UTC); what stopped the impact instead: thumbnail-resizer rolled back to 3.9 by the "
        "pipeline (deploy, 2024-09-03 03:30 UTC).",
        "Recovery here can be held up: Rollback of thumbnail-resizer delayed due to a pipeline lock held by the "
        "nightly build (deploy, 2024-09-03 03:20 UTC); what let it go on: Pipeline lock released by hand after the "
        "nightly build was cancelled (note, 2024-09-03 03:25 UTC).",
    ]


def test_a_limit_the_data_says_was_reached_is_a_lesson_with_the_step_that_relieved_it():
    incident = Incident(
        id="pool-1",
        title="Report exports failing",
        services=["export-worker"],
        events=[
            event("08:00", "alert", "FIRING ExportErrors: export-worker errors above 10%"),
            event("08:10", "chat", "export-worker connection pool is full, the pool max is 20 connections"),
            event("08:15", "chat", "Raised the export-worker connection pool max to 60; exports succeed again"),
        ],
    )
    assert [line for line in lessons(read_incident(incident)) if "limit" in line] == [
        "This system has a limit the failure reached: export-worker connection pool is full, the pool max is 20 "
        "connections (chat, 2024-09-03 08:10 UTC); what relieved it: Raised the export-worker connection pool max "
        "to 60; exports succeed again (chat, 2024-09-03 08:15 UTC).",
    ]


def test_with_nothing_in_the_data_there_is_no_went_wrong_section_and_the_lessons_are_asked():
    postmortem = draft_postmortem(quiet_incident(), score=False)
    markdown = render_markdown(postmortem)

    assert (postmortem.what_went_wrong, postmortem.lessons) == ([], [])
    assert "## What went wrong" not in markdown
    assert [q.question for q in postmortem.open_questions if q.topic == "lessons"] == [LESSONS_QUESTION]


def test_the_rendered_draft_has_what_went_wrong_between_what_went_well_and_the_lessons():
    markdown = render_markdown(draft_postmortem(thumbnail_outage(), score=False))
    headings = [line for line in markdown.splitlines() if line.startswith("## ")]
    assert headings[headings.index("## What went well") : headings.index("## What went well") + 3] == [
        "## What went well",
        "## What went wrong",
        "## Lessons learned",
    ]


def test_every_line_of_what_went_wrong_is_checked_against_the_data_like_the_lessons():
    incident = thumbnail_outage()
    postmortem = draft_postmortem(incident, score=False)
    tampered = postmortem.model_copy(
        update={"what_went_wrong": [*postmortem.what_went_wrong, "The rollback was late because of a bad deploy."]}
    )
    assert unsupported_claims(postmortem, incident) == []
    assert [(c.section, c.text) for c in unsupported_claims(tampered, incident)] == [
        ("went wrong", "The rollback was late because of a bad deploy.")
    ]


def search_restart() -> Incident:
    """A restart meant to clear slow queries moves every query onto the other node, which starts failing."""
    return Incident(
        id="search-1",
        title="Search slow, then failing",
        services=["search"],
        events=[
            event("09:00", "alert", "FIRING SearchLatencyHigh: p95 above 3 s"),
            event("09:05", "chat", "Restarted search-node-1 to clear the slow queries"),
            event("09:09", "alert", "FIRING SearchErrorsHigh: search-node-2 returning 503"),
            event(
                "09:12",
                "chat",
                "Finding: the 503s on search-node-2 are caused by the restart, all query traffic moved onto it",
            ),
            event("09:30", "chat", "search-node-1 back in the pool; errors back to normal, recovered"),
        ],
    )


def test_a_step_the_data_gives_as_the_reason_for_a_new_failure_made_it_worse():
    reading = read_incident(search_restart())
    assert went_wrong(reading, compute_metrics(search_restart(), reading)) == [
        "A step taken to stop the impact made it worse: Finding: the 503s on search-node-2 are caused by the restart, "
        "all query traffic moved onto it (chat, 2024-09-03 09:12 UTC).",
    ]


def test_a_failure_that_spread_is_what_went_wrong_even_when_the_input_gives_no_date_for_it():
    incident = search_restart().model_copy(
        update={
            "events": [e for e in search_restart().events if not e.text.startswith("Finding")],
            "undated_events": [
                UndatedEvent(
                    source="chat", time_text="around 09:10", text="Queries from search-node-1 piled onto search-node-2"
                )
            ],
        }
    )
    reading = read_incident(incident)
    assert went_wrong(reading, compute_metrics(incident, reading)) == [
        "The failure got worse during the response: Queries from search-node-1 piled onto search-node-2 (chat, "
        'undated "around 09:10").',
    ]


def invoice_cleanup() -> Incident:
    """A cleanup release deletes recent invoices; customers tell support, support pages the on-call, and no monitoring
    fires at any point."""
    return Incident(
        id="inv-1",
        title="Cleanup job removed this week's invoices",
        services=["billing-db", "archive-cleaner"],
        events=[
            event("03:00", "deploy", "archive-cleaner 2.1 rolled out"),
            event("07:10", "chat", "support: customers report that this week's invoices are gone"),
            event("07:18", "chat", "paged by support. invoices table has 40k rows, it had 310k on Monday"),
            event("07:30", "chat", "archive-cleaner cron disabled"),
            event("09:00", "chat", "all invoices restored from the 02:00 snapshot"),
        ],
    )


def test_a_person_passing_a_report_on_by_page_is_never_the_first_alert_that_came_later():
    reading = read_incident(invoice_cleanup())

    assert [line for line in went_wrong(reading, compute_metrics(invoice_cleanup(), reading)) if "People" in line] == [
        "People saw the failure before monitoring did: Support: customers report that this week's invoices are gone "
        "(chat, 2024-09-03 07:10 UTC).",
    ]


def test_an_escalation_because_nobody_acknowledged_the_page_is_what_went_wrong_not_an_early_declaration():
    incident = Incident(
        id="tls-1",
        title="Expired certificate on the partner API",
        services=["partner-api"],
        events=[
            event("01:00", "alert", "FIRING CertExpired: partner-api certificate expired"),
            event(
                "01:14",
                "page",
                "Escalated to the backup responder after no acknowledgement; acknowledged by the backup",
            ),
            event("01:40", "deploy", "New certificate issued and deployed to partner-api"),
            event("01:45", "metric", "Partner API handshakes succeeding again"),
        ],
    )
    reading = read_incident(incident)

    assert [line for line in went_well(reading) if "declared" in line] == []
    assert [line for line in went_wrong(reading, compute_metrics(incident, reading)) if "acknowledg" in line] == [
        "The first page went unanswered: Escalated to the backup responder after no acknowledgement; acknowledged by "
        "the backup (page, 2024-09-03 01:14 UTC).",
    ]
