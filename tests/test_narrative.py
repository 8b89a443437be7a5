"""The summary, the impact in words and the root cause: what a reader of the draft is told users saw, and what the
data says of why (never the reason for a recovery step as the incident's cause)."""

from __future__ import annotations

import datetime as dt

import pytest

from pm_agent.analysis.evidence import read_incident
from pm_agent.analysis.findings import read_findings
from pm_agent.analysis.lessons import lessons
from pm_agent.analysis.narrative import impact_in_words, summarise, went_well
from pm_agent.analysis.whys.chain import run_five_whys
from pm_agent.analysis.whys.steps import OPEN
from pm_agent.models import Incident, TimelineEvent
from pm_agent.models.analysis import TITLE_CITATION


def at(hhmm: str) -> dt.datetime:
    return dt.datetime.fromisoformat(f"2024-05-14T{hhmm}:00+00:00")


def event(hhmm: str, source: str, text: str) -> TimelineEvent:
    return TimelineEvent(at=at(hhmm), source=source, text=text)


def gateway_outage() -> Incident:
    """A module change breaks the gateway; a retried pipeline, a revert and a pipeline step bring it back."""
    return Incident(
        id="gw-1",
        title="All tenants getting 502 from the edge gateway",
        services=["edge gateway"],
        started_at=at("09:00"),
        detected_at=at("09:06"),
        resolved_at=at("09:40"),
        events=[
            event("09:00", "deploy", "Gateway module reference bumped by the pipeline"),
            event("09:06", "alert", "Issue detected as a result of alerts"),
            event("09:09", "chat", "Issue reported by a customer"),
            event("09:15", "deploy", "Fix committed to revert the gateway module reference"),
            event("09:22", "deploy", "Pipeline re-triggered due to a registry timeout"),
            event("09:40", "deploy", "Listeners reattached to the load balancer by the pipeline (resolved)"),
        ],
    )


def test_impact_in_words_quotes_a_title_that_states_the_impact_and_the_reports_never_a_response_step():
    quoted = [(e.source, e.time_text, e.excerpt) for e in impact_in_words(read_incident(gateway_outage()))]
    assert quoted == [
        ("note", TITLE_CITATION, "All tenants getting 502 from the edge gateway"),
        ("chat", "", "Issue reported by a customer"),
    ]


def test_what_the_responders_assumed_or_ruled_out_is_not_quoted_as_what_users_saw():
    incident = Incident(
        id="lb-3",
        title="Uploads failing for some users",
        events=[
            event("10:00", "chat", "A user reports that their uploads fail"),
            event(
                "10:10", "chat", "Checked the load balancer, nothing unusual found; assumed a client error at the time"
            ),
            event("10:40", "deploy", "Upload size limit restored on the proxy; uploads working again"),
        ],
    )

    assert [e.excerpt for e in impact_in_words(read_incident(incident))] == [
        "Uploads failing for some users",
        "A user reports that their uploads fail",
    ]


def test_a_title_that_only_names_the_incident_is_not_quoted_as_impact():
    incident = gateway_outage().model_copy(update={"title": "Edge gateway incident of 14 May"})
    assert [e.excerpt for e in impact_in_words(read_incident(incident))] == ["Issue reported by a customer"]


def test_the_rendered_impact_cites_the_title_as_the_title():
    from pm_agent.service import PostmortemService

    service = PostmortemService()
    markdown = service.render(service.draft(gateway_outage(), score=False, use_memory=False))
    impact = markdown.split("## Impact")[1].split("##")[0]
    assert impact.splitlines()[2:5] == [
        "What the data says users and systems saw:",
        '- the incident\'s title: "All tenants getting 502 from the edge gateway"',
        '- 2024-05-14 09:09 UTC chat: "Issue reported by a customer"',
    ]


# --- root cause: what the data says of the recovery, and what a reverting fix implicates -----------


def test_the_reason_a_recovery_step_was_repeated_is_shown_as_about_the_recovery_never_as_the_cause():
    statements = [(f.kind, f.statement) for f in read_findings(read_incident(gateway_outage()))]
    assert (
        "recovery",
        "About the recovery, not the incident's cause: the data says why a step was repeated or held "
        "up: Pipeline re-triggered due to a registry timeout (deploy, 2024-05-14 09:22 UTC).",
    ) in statements
    assert [kind for kind, _ in statements if kind == "cause"] == []


def test_a_fix_that_reverts_something_implicates_the_change_to_it_in_findings_whys_and_summary():
    reading = read_incident(gateway_outage())
    revert = (
        "The data's fix reverted the gateway module reference, so the change it undid is implicated: Fix "
        "committed to revert the gateway module reference (deploy, 2024-05-14 09:15 UTC)."
    )

    found = [(f.kind, f.statement) for f in read_findings(reading)]
    assert ("revert", revert) in found
    assert [kind for kind, statement in found if "Fix committed to revert" in statement] == ["revert"]  # once
    trigger = run_five_whys(
        "All tenants getting 502 from the edge gateway", reading.incident, reading=reading
    ).branches[0]
    assert [(s.because, s.question) for s in trigger.steps[0:1]] == [
        (
            OPEN,
            'What in the change to the gateway module reference made "All tenants getting 502 from the edge gateway" '
            f'fail, and was that change "Gateway module reference bumped by the pipeline"? {revert} The data shows '
            "that reverting it ended the failure, not how it caused it.",
        ),
    ]
    assert (
        "The data does not state the cause, but its fix reverted the gateway module reference, so the change it "
        "undid is implicated: Fix committed to revert the gateway module reference (deploy, 2024-05-14 09:15 UTC)."
    ) in summarise(reading, [])


def test_an_alert_that_followed_a_customer_report_is_asked_about_with_times_the_input_gives_not_a_computed_gap():
    from pm_agent.guards.fidelity import unsupported_numbers
    from pm_agent.service import PostmortemService

    incident = Incident(
        id="ex-1",
        title="Exports missing rows",
        services=["export-worker"],
        started_at=at("08:00"),
        events=[
            event("08:00", "deploy", "export-worker 3.2 rolled out"),
            event("09:02", "chat", "A customer emailed support: their export has fewer rows than last week"),
            event("09:37", "alert", "Alert: export row count below forecast"),
            event("10:05", "deploy", "Rolled back export-worker to 3.1; row counts back to normal"),
        ],
    )
    service = PostmortemService()
    postmortem = service.draft(incident, score=False, use_memory=False)

    assert unsupported_numbers(service.render(postmortem), incident, postmortem) == []


def test_a_step_only_begun_is_never_a_recovery_step_that_worked():
    incident = Incident(
        id="px-1",
        title="Proxy rule dropping inbound traffic",
        services=["proxy"],
        started_at=at("08:00"),
        events=[
            event("08:00", "deploy", "Proxy rule change applied"),
            event("09:00", "chat", "Customers report requests to /api time out"),
            event(
                "09:20", "deploy", "Issue successfully identified. Began working on rollback of the proxy rule change"
            ),
            event("09:35", "deploy", "Proxy rule change rolled back; /api requests succeed again"),
        ],
    )
    assert [line for line in went_well(read_incident(incident)) if line.startswith("A recovery step")] == [
        "A recovery step worked: Proxy rule change rolled back; /api requests succeed again (deploy, 2024-05-14 09:35 UTC).",
    ]


def test_a_system_that_could_not_act_is_the_failure_not_a_recovery_step_held_up():
    incident = Incident(
        id="lb-1",
        title="Ingress load balancer out of addresses",
        services=["ingress"],
        events=[
            event(
                "09:00",
                "alert",
                "Automated warning: the ingress load balancer was unable to scale up because there are "
                "not enough free IP addresses in its subnets",
            ),
            event("09:30", "deploy", "Subnets enlarged; load balancer scaled up and healthy"),
        ],
    )
    assert [f.kind for f in read_findings(read_incident(incident))] == ["cause"]


def test_a_destructive_step_a_protection_refused_is_a_safeguard_that_held():
    incident = Incident(
        id="s3-2",
        title="Cleanup job tried to delete the media bucket",
        events=[
            event("02:00", "deploy", "cleanup job 1.9 started with the new prefix filter"),
            event(
                "02:03",
                "deploy",
                "delete of bucket media-prod refused: object lock is enabled; job exited with an error",
            ),
            event("02:05", "alert", "Alert: cleanup job failed"),
            event("02:30", "deploy", "cleanup job 1.9 disabled"),
        ],
    )

    assert [line for line in went_well(read_incident(incident)) if line.startswith("A safeguard")] == [
        "A safeguard held: Delete of bucket media-prod refused: object lock is enabled; job exited with an error "
        "(deploy, 2024-05-14 02:03 UTC)."
    ]


def test_what_went_well_names_every_recovery_step_that_worked_now_that_done_actions_leave_them_out():
    incident = Incident(
        id="ws-1",
        title="Websocket disconnects",
        services=["ws-gateway"],
        started_at=at("08:00"),
        events=[
            event("08:00", "deploy", "ws-gateway 2.19 rolled out"),
            event("08:10", "alert", "Alert: websocket disconnect rate above 5%"),
            event("08:20", "deploy", "Drained the two worst nodes; disconnects on them stopped, worked"),
            event("08:40", "deploy", "Rolled back ws-gateway to 2.18; disconnect rate back to normal"),
        ],
    )
    assert [line for line in went_well(read_incident(incident)) if "recovery step" in line.lower()] == [
        "Recovery steps that worked: Drained the two worst nodes; disconnects on them stopped, worked (deploy, "
        "2024-05-14 08:20 UTC); Rolled back ws-gateway to 2.18; disconnect rate back to normal (deploy, 2024-05-14 "
        "08:40 UTC).",
    ]


# --- the summary's cause: the change it started with first, never what the data says of the impact's form -------


def stale_search(notes: str) -> Incident:
    """The indexer runs out of memory; search keeps answering from a snapshot, which the notes explain."""
    return Incident(
        id="search-1",
        title="Catalogue search showing yesterday's prices",
        services=["catalogue-search", "indexer"],
        started_at=at("08:00"),
        notes=notes,
        events=[
            event("08:00", "alert", "Alert: indexer pods crash-looping, OOMKilled"),
            event("08:20", "chat", "Found it: the indexer now loads the whole price feed into memory at once"),
            event("08:45", "deploy", "Indexer memory limit raised to 4 GiB; pods running again"),
        ],
    )


@pytest.mark.parametrize(
    "notes",
    [
        "While the indexer is down, search answers from the nightly snapshot, so shoppers saw old prices rather "
        "than an empty page.",
        "Shoppers saw old prices instead of errors because search answers from the nightly snapshot while the "
        "indexer is down.",
        "Search answers from the nightly snapshot while the indexer is down, so the catalogue was only partially "
        "out of date.",
    ],
)
def test_a_cause_statement_whose_consequence_is_how_users_were_affected_is_about_the_impact_not_the_cause(notes):
    reading = read_incident(stale_search(notes))
    said_of_impact = notes.rstrip(".")

    assert [(f.kind, f.statement) for f in read_findings(reading) if f.kind in ("impact", "cause")] == [
        (
            "impact",
            "About the impact, not the incident's cause: the data says how users were affected: "
            f"{said_of_impact} (note, the incident notes).",
        )
    ]
    assert (
        "The data states a cause: Found it: the indexer now loads the whole price feed into memory at once "
        "(chat, 2024-05-14 08:20 UTC)."
    ) in summarise(reading, [])


def test_a_cause_statement_whose_consequence_is_the_failure_itself_stays_a_cause():
    notes = "The price feed doubled in size last week, so the indexer runs out of memory on every full load."
    reading = read_incident(stale_search(notes))

    assert [(f.kind, f.statement) for f in read_findings(reading) if f.kind in ("impact", "cause")] == [
        ("cause", f"The data states a cause: {notes.rstrip('.')} (note, the incident notes).")
    ]


def report_flag(*extra: TimelineEvent, notes: str = "") -> Incident:
    """A flag turned on for everyone fills the report workers; turning it off ends it."""
    return Incident(
        id="rep-1",
        title="Scheduled reports stuck for every tenant",
        services=["report-worker"],
        started_at=at("10:00"),
        notes=notes,
        events=sorted(
            [
                event("10:00", "deploy", "Feature flag bulk_export switched on for all tenants"),
                event("10:12", "alert", "Alert: report-worker queue depth above 5,000"),
                event("10:41", "deploy", "Feature flag bulk_export switched off; reports back to normal"),
                *extra,
            ],
            key=lambda e: e.at,
        ),
    )


SUMMARY_HEAD = (
    "Scheduled reports stuck for every tenant. Affected services: report-worker. Impact began at 2024-05-14 10:00 "
    "UTC. It was first detected through an alert: Alert: report-worker queue depth above 5,000 (alert, 2024-05-14 "
    "10:12 UTC). The failure started with this change: Feature flag bulk_export switched on for all tenants (deploy, "
    "2024-05-14 10:00 UTC). "
)
SUMMARY_TAIL = (
    " It was stopped by: Feature flag bulk_export switched off; reports back to normal (deploy, 2024-05-14 10:41 UTC)."
)


def test_the_summary_leads_with_the_change_the_failure_started_with_and_gives_a_later_stated_cause_as_what_followed():
    later = event(
        "10:30", "chat", "Scheduled reports stuck in pending, due to bulk exports holding every report-worker slot"
    )

    assert summarise(read_incident(report_flag(later)), []) == (
        SUMMARY_HEAD + "What followed, as the data states it: Scheduled reports stuck in pending, due to bulk "
        "exports holding every report-worker slot (chat, 2024-05-14 10:30 UTC)." + SUMMARY_TAIL
    )


def test_a_cause_the_data_does_not_date_is_given_after_the_change_as_the_cause_it_states():
    notes = "Bulk exports and scheduled reports share one report-worker pool, so exports can take every slot."

    assert summarise(read_incident(report_flag(notes=notes)), []) == (
        SUMMARY_HEAD + "The data states a cause: Bulk exports and scheduled reports share one report-worker pool, "
        "so exports can take every slot (note, the incident notes)." + SUMMARY_TAIL
    )


def test_with_no_cause_stated_the_summary_still_names_the_change_the_failure_started_with():
    assert summarise(read_incident(report_flag()), []) == (
        SUMMARY_HEAD
        + "The data does not state the cause; see the root cause section for what it shows and what to ask."
        + SUMMARY_TAIL
    )


def day(date: str, hhmm: str) -> dt.datetime:
    return dt.datetime.fromisoformat(f"{date}T{hhmm}:00+00:00")


def filling_broker(*extra: TimelineEvent, since: str = "2025-02-10") -> Incident:
    """A retention change a week before fills the broker's disks; the last change before the failure is unrelated."""
    return Incident(
        id="mq-1",
        title="Broker rejecting publishes: disk full",
        services=["broker"],
        started_at=day("2025-02-17", "06:00"),
        events=[
            TimelineEvent(
                at=day("2025-02-10", "09:00"), source="deploy", text="broker 5.1 deployed; retention set to 14 days"
            ),
            TimelineEvent(at=day("2025-02-12", "15:00"), source="deploy", text="dashboard-api 2.3 released"),
            TimelineEvent(
                at=day("2025-02-17", "06:00"), source="alert", text="Alert: publish errors, disk full on mq-2"
            ),
            TimelineEvent(
                at=day("2025-02-17", "06:25"),
                source="chat",
                text=f"Disk usage on every broker node has been growing by 8% a day since {since}",
            ),
            TimelineEvent(
                at=day("2025-02-17", "07:10"),
                source="deploy",
                text="Retention lowered to 3 days and old segments purged; publishes succeed again",
            ),
            *extra,
        ],
    )


def test_a_change_on_the_day_a_finding_says_a_trend_began_is_connected_to_it_by_that_date_never_called_the_cause():
    reading = read_incident(filling_broker())
    connection = (
        "broker 5.1 deployed; retention set to 14 days (deploy, 2025-02-10 09:00 UTC), then Disk usage on every "
        "broker node has been growing by 8% a day since 2025-02-10 (chat, 2025-02-17 06:25 UTC)."
    )

    assert [f.statement for f in read_findings(reading) if f.kind == "link" and "by a date" in f.statement] == [
        f"The data connects two events by a date, 2025-02-10, the day of the change and the day the later one says "
        f"it began: Broker 5.1 deployed; {connection.split('; ', 1)[1]}"
    ]
    assert (
        "The data does not state the cause, but it connects a change and a later finding by a date, 2025-02-10: "
        f"Broker 5.1 deployed; {connection.split('; ', 1)[1]}"
    ) in summarise(reading, [])


def test_a_trend_the_data_dates_to_a_change_days_before_the_failure_is_a_lesson_when_no_cause_is_stated():
    assert lessons(read_incident(filling_broker()))[:1] == [
        "What the data dates to the day of a change showed as a failure only later: Broker 5.1 deployed; retention "
        "set to 14 days (deploy, 2025-02-10 09:00 UTC), then Disk usage on every broker node has been growing by 8% "
        "a day since 2025-02-10 (chat, 2025-02-17 06:25 UTC)."
    ]


def test_a_trend_dated_to_a_day_with_two_changes_or_none_is_connected_to_neither():
    second = TimelineEvent(at=day("2025-02-10", "16:30"), source="deploy", text="consumer-sdk 9.4 released")
    two_that_day = filling_broker(second)

    assert [f for f in read_findings(read_incident(two_that_day)) if "by a date" in f.statement] == []
    assert [
        f for f in read_findings(read_incident(filling_broker(since="4 February"))) if "by a date" in f.statement
    ] == []


def test_a_trend_dated_by_day_and_month_names_the_change_of_that_day():
    reading = read_incident(filling_broker(since="10 February"))

    assert [f.evidence[0].excerpt for f in read_findings(reading) if "by a date" in f.statement] == [
        "broker 5.1 deployed; retention set to 14 days"
    ]


# --- recovery read from observations: the step that ended it, the figures users saw -----------------------------


def photo_queue_backlog() -> Incident:
    """A nightly import floods a resize queue; a raised worker limit drains it, and the chat says when it was clear."""
    return Incident(
        id="rs-1",
        title="Product thumbnails late after the nightly import",
        services=["resizer"],
        events=[
            event("07:00", "chat", "Nightly photo import started: 80,000 photos queued for resizing"),
            event("07:40", "alert", "FIRING ResizeQueueAge: oldest item above 10 minutes"),
            event("07:44", "page", "Acknowledged by Lena Park"),
            event(
                "07:50", "chat", "thumbnail queue is 35 minutes behind, notification-relay idle, resizer at 6 workers"
            ),
            event("08:02", "chat", "bumped the resizer worker max to 20"),
            event("08:20", "chat", "thumbnail queue draining, oldest item now 12 minutes old"),
            event("09:05", "chat", "oldest item back under 30 seconds, backlog cleared"),
            event("09:10", "page", "Resolved by Lena Park"),
        ],
    )


def test_a_symptom_stated_with_a_figure_is_quoted_in_the_impact_with_its_time():
    quoted = [(e.source, e.excerpt) for e in impact_in_words(read_incident(photo_queue_backlog()))]
    assert quoted == [("chat", "thumbnail queue is 35 minutes behind, notification-relay idle, resizer at 6 workers")]


def test_the_step_that_ended_the_impact_is_a_step_taken_never_the_recovery_it_led_to_and_is_quoted_once():
    reading = read_incident(photo_queue_backlog())
    fixes = [f.statement for f in read_findings(reading) if f.kind in ("fix", "limit")]
    assert fixes == [  # the step raised a limit: said once, as the limit it implicates
        "The data's fix raised the resizer worker max, so that limit is implicated as too low for the load at the "
        "time: Bumped the resizer worker max to 20 (chat, 2024-05-14 08:02 UTC)."
    ]
    assert (
        "It was stopped by: Bumped the resizer worker max to 20 (chat, 2024-05-14 08:02 UTC). The impact stopped: "
        "Oldest item back under 30 seconds, backlog cleared (chat, 2024-05-14 09:05 UTC)."
    ) in summarise(reading, [])


def test_with_no_step_taken_before_the_recovery_no_step_is_said_to_have_ended_it():
    incident = Incident(
        id="rs-2",
        title="Thumbnails late",
        events=[
            event("07:40", "alert", "FIRING ResizeQueueAge: oldest item above 10 minutes"),
            event("09:05", "metric", "oldest item back under 30 seconds, backlog cleared"),
            event("09:10", "page", "Resolved by Lena Park"),
        ],
    )
    assert [f.kind for f in read_findings(read_incident(incident)) if f.kind == "fix"] == []


def test_a_recovery_observed_is_not_reported_as_observed_while_investigating():
    incident = photo_queue_backlog().model_copy(
        update={"events": [*photo_queue_backlog().events, event("09:07", "metric", "resize error ratio back under 1%")]}
    )
    statements = [f.statement for f in read_findings(read_incident(incident))]
    assert [s for s in statements if "back under" in s and not s.startswith("The step")] == []


def test_what_a_recovery_waited_on_is_told_as_about_the_recovery_not_as_a_finding_about_the_failure():
    incident = Incident(
        id="rs-3",
        title="Search suggestions failing",
        events=[
            event("10:00", "deploy", "suggest-index 2.3 rolled out"),
            event("10:04", "alert", "FIRING SuggestErrors: suggest-api 5xx above 10%"),
            event("10:20", "deploy", "Rolled back suggest-index to 2.2"),
            event("10:38", "metric", "suggest-api 5xx back under 0.5% once the edge caches expire (max-age 900 s)"),
        ],
    )
    statements = [(f.kind, f.statement) for f in read_findings(read_incident(incident))]
    assert [s for s in statements if "caches expire" in s[1]] == [
        (
            "recovery",
            "About the recovery, not the incident's cause: the data says what the end of the impact waited on: "
            "suggest-api 5xx back under 0.5% once the edge caches expire (max-age 900 s) (metric, 2024-05-14 10:38 "
            "UTC).",
        )
    ]


def test_an_automatic_recovery_that_refused_with_its_stated_reason_is_a_finding_about_the_recovery():
    refused = (
        "automatic restart of the ingest workers refused: the supervisor stops restarting a process that crashed "
        "three times in ten minutes"
    )
    incident = Incident(
        id="ing-4",
        title="Event ingest stopped",
        services=["ingest"],
        events=[
            event("03:10", "alert", "FIRING IngestLagHigh: ingest lag above 15 minutes"),
            event("03:14", "chat", refused),
            event("03:30", "chat", "ingest workers restarted by hand, backlog draining"),
            event("03:55", "metric", "ingest lag back under 1 minute"),
        ],
    )

    statements = [(f.kind, f.statement) for f in read_findings(read_incident(incident))]

    assert statements == [
        (
            "fix",
            "The step that ended the impact shows what was broken: Ingest workers restarted by hand, backlog draining "
            "(chat, 2024-05-14 03:30 UTC).",
        ),
        (
            "recovery",
            "About the recovery, not the incident's cause: the data says why the automatic recovery did not end the "
            "failure: Automatic restart of the ingest workers refused: the supervisor stops restarting a process that "
            "crashed three times in ten minutes (chat, 2024-05-14 03:14 UTC).",
        ),
    ]


def snapshot_check_found_empty_snapshots() -> Incident:
    """A monthly check by hand finds the newest snapshots empty; the person running it pages the on-call."""
    return Incident(
        id="snap-1",
        title="Monthly snapshot check found invoice-store snapshots empty",
        services=["invoice-store", "snapshot-agent"],
        events=[
            event("10:00", "note", "Monthly snapshot check of invoice-store started"),
            event("10:12", "note", "Mount of the newest invoice-store snapshot failed: the snapshot is empty"),
            event("10:15", "page", "Check owner paged the storage on-call"),
            event("10:40", "note", "snapshot-agent credentials replaced from the vault"),
            event("11:00", "note", "Incident resolved; the live invoice-store was never affected"),
        ],
    )


def test_a_person_who_pages_the_on_call_is_not_monitoring_catching_the_failure():
    reading = read_incident(snapshot_check_found_empty_snapshots())

    assert went_well(reading) == [
        "The failure was found before any alert or user report: Mount of the newest invoice-store snapshot failed: "
        "the snapshot is empty (note, 2024-05-14 10:12 UTC).",
    ]
    assert "It was first detected through a person's page: Check owner paged the storage on-call" in summarise(
        reading, []
    )


def test_a_status_page_someone_else_runs_read_while_investigating_is_not_the_incident_declared():
    incident = Incident(
        id="geo-1",
        title="Address lookups timing out at sign-up",
        services=["geo-lookup"],
        events=[
            event("08:00", "alert", "FIRING GeoLookupTimeouts: geo-lookup timeouts above 5%"),
            event("08:10", "chat", "The map vendor's status pages are all green; lookups time out on every region"),
            event("08:30", "deploy", "Rolled back geo-lookup to 3.3; lookups back to normal"),
        ],
    )

    assert went_well(read_incident(incident)) == [
        "Monitoring caught the failure first: FIRING GeoLookupTimeouts: geo-lookup timeouts above 5% "
        "(alert, 2024-05-14 08:00 UTC).",
        "A recovery step worked: Rolled back geo-lookup to 3.3; lookups back to normal (deploy, 2024-05-14 08:30 UTC).",
    ]


def test_where_the_data_says_nothing_reached_users_the_impact_quotes_it():
    statements = impact_in_words(read_incident(snapshot_check_found_empty_snapshots()))

    assert [(s.at, s.source, s.excerpt) for s in statements] == [
        (None, "note", "Monthly snapshot check found invoice-store snapshots empty"),
        (at("10:12"), "note", "Mount of the newest invoice-store snapshot failed: the snapshot is empty"),
        (at("11:00"), "note", "Incident resolved; the live invoice-store was never affected"),
    ]


def test_the_step_that_ended_the_impact_in_the_findings_is_the_one_the_summary_names_never_the_state_it_led_to():
    incident = Incident(
        id="cap-1",
        title="Batch jobs stuck waiting for workers",
        services=["batch cluster"],
        events=[
            event("13:00", "chat", "A customer reports their batch jobs queued for over an hour"),
            event("13:20", "note", "Found the worker pool at its size limit"),
            event("13:40", "deploy", "Triggered the pipeline that adds four nodes to the batch pool"),
            event("13:55", "note", "Additional nodes are healthy in the batch pool"),
        ],
    )
    reading = read_incident(incident)

    assert [f.statement for f in read_findings(reading) if f.kind == "fix"] == [
        "The step that ended the impact shows what was broken: Triggered the pipeline that adds four nodes to the "
        "batch pool (deploy, 2024-05-14 13:40 UTC)."
    ]
    assert "It was stopped by: Triggered the pipeline that adds four nodes to the batch pool" in summarise(reading, [])


def test_a_failure_the_data_dates_to_a_day_before_its_timeline_is_not_said_to_begin_with_the_first_event():
    incident = snapshot_check_found_empty_snapshots()
    incident = incident.model_copy(
        update={
            "events": [
                *incident.events[:3],
                event("10:25", "note", "snapshot-agent logs show upload errors since 2024-05-02 for every snapshot"),
                *incident.events[3:],
            ]
        }
    )
    reading = read_incident(incident)

    assert (reading.started, reading.detection_lag) == (None, None)
    assert summarise(reading, []).split(". It was first detected")[0] == (
        "Monthly snapshot check found invoice-store snapshots empty. Affected services: invoice-store, "
        "snapshot-agent. The data dates the failure's start to 2024-05-02, before its timeline (note, 2024-05-14 "
        "10:25 UTC)"
    )


def crashing_app() -> Incident:
    """A release that the data says carried a defect; support hears of it first and the release is reverted."""
    return Incident(
        id="app-3",
        title="Mobile app crashes on launch for some users",
        services=["mobile-api"],
        started_at=at("08:00"),
        events=[
            event("08:00", "deploy", "mobile-api 4.2 released with a date parsing issue for older app versions"),
            event("09:30", "chat", "Support reports a dozen customer tickets about crashes on launch"),
            event("09:50", "deploy", "Reverting the suspected commit in mobile-api"),
            event("10:05", "deploy", "Revert deployed as mobile-api 4.2.1; crash rate back to normal"),
        ],
    )


def test_a_change_the_data_says_went_out_with_a_defect_is_how_the_summary_states_the_cause():
    summary = summarise(read_incident(crashing_app()), [])

    assert (
        "The failure started with this change: mobile-api 4.2 released with a date parsing issue for older app "
        "versions (deploy, 2024-05-14 08:00 UTC). The data states a cause: that change went out with a date parsing "
        "issue (deploy, 2024-05-14 08:00 UTC). The data's fix reverted the suspected commit in mobile-api: Reverting the suspected "
        "commit in mobile-api (deploy, 2024-05-14 09:50 UTC). It was stopped by:"
    ) in summary
    assert "does not state the cause" not in summary


@pytest.mark.parametrize(
    ("text", "defect"),
    [
        ("api 3.1 deployed with backwards compatibility issue", "a backwards compatibility issue"),
        ("Config pushed, introducing an off-by-one mistake in the shard map", "an off-by-one mistake"),
        ("api 3.1 deployed with no issues seen in staging", None),
        ("api 3.1 rolled out with the fix for the parser bug", None),
    ],
)
def test_only_a_defect_a_change_went_out_with_is_named_never_one_it_fixed_or_one_denied(text, defect):
    from pm_agent.analysis.narrative import carried_defect

    change = read_incident(Incident(id="x-1", title="API errors", events=[event("08:00", "deploy", text)])).events[0]

    assert carried_defect(change) == defect


def test_a_message_to_the_team_that_owns_the_culprit_is_contacting_its_owner_never_telling_the_people_affected():
    from pm_agent.analysis.actions.steps_taken import done_steps

    incident = Incident(
        id="imp-2",
        title="Shared database overloaded, order pages slow",
        services=["orders-db"],
        started_at=at("09:00"),
        events=[
            event("09:00", "alert", "Alert: orders-db CPU above 95%"),
            event("09:20", "chat", "Found that a test importer was hammering orders-db with full-table scans"),
            event("09:25", "deploy", "Scaled the test importer to 0 replicas; CPU back to normal"),
            event("09:30", "chat", "Email sent to the team owning the test importer"),
        ],
    )
    reading = read_incident(incident)

    assert [line for line in went_well(reading) if "told" in line] == []
    assert [a.title for a in done_steps(reading)] == ["Scaled the test importer to 0 replicas; CPU back to normal"]


def test_with_no_cause_stated_the_summary_says_why_the_automatic_recovery_did_not_end_it_as_the_data_gives_it():
    incident = Incident(
        id="q-9",
        title="Checkout queue stalled",
        services=["queue"],
        events=[
            event("14:00", "alert", "Alert: queue broker q-1 unreachable, checkout jobs piling up"),
            event(
                "14:06",
                "chat",
                "automatic failover did not run: the broker operator waits for a quorum, and q-1 was one of the "
                "three voters",
            ),
            event("14:20", "chat", "promoted q-2 by hand, jobs flowing"),
            event("14:25", "metric", "checkout queue depth back to normal"),
        ],
    )

    summary = summarise(read_incident(incident), [])

    assert (
        "The data does not state the cause, but it states why the automatic recovery did not end the failure: Automatic "
        "failover did not run: the broker operator waits for a quorum, and q-1 was one of the three voters (chat, "
        "2024-05-14 14:06 UTC)."
    ) in summary


def search_emptied_by_a_mapping_change() -> Incident:
    """A revert that finished successfully, after which the data still reports the failure; a manual step, then the
    all-clear."""
    return Incident(
        id="srch-1",
        title="Search results empty for every shop",
        services=["search"],
        started_at=at("10:00"),
        events=[
            event("10:00", "deploy", "Search index mapping change applied by the pipeline"),
            event("10:10", "alert", "Alert: search returns zero hits for 90% of queries"),
            event("10:25", "deploy", "Mapping change reverted; reindex job finishes successfully"),
            event("10:30", "note", "Two search shards left unassigned because the data nodes ran out of disk"),
            event(
                "10:38", "note", "Old snapshots manually deleted on the data nodes, enabling the shards to be allocated"
            ),
            event("10:45", "note", "All shops verified operational"),
        ],
    )


def test_a_step_the_data_reports_the_failure_after_did_not_end_the_impact_the_step_after_that_report_did():
    reading = read_incident(search_emptied_by_a_mapping_change())

    assert (
        "It was stopped by: Old snapshots manually deleted on the data nodes, enabling the shards to be allocated (note, "
        "2024-05-14 10:38 UTC). The impact stopped: All shops verified operational (note, 2024-05-14 10:45 UTC)."
    ) in summarise(reading, [])
    assert [f.statement for f in read_findings(reading) if f.kind == "fix"] == [
        "The step that ended the impact shows what was broken: Old snapshots manually deleted on the data nodes, "
        "enabling the shards to be allocated (note, 2024-05-14 10:38 UTC)."
    ]
