"""One reading of an incident: what each event's words say it is, and the moments the analysis rests on."""

from __future__ import annotations

import datetime as dt

import pytest

from pm_agent.analysis.evidence import read_incident
from pm_agent.analysis.findings import cause_part, consequence_split
from pm_agent.analysis.quoting import cite
from pm_agent.analysis.tagging import tags_of
from pm_agent.models import Incident, TimelineEvent, UndatedEvent

UTC = dt.UTC


def at(hh_mm: str, day: int = 2) -> dt.datetime:
    hour, minute = map(int, hh_mm.split(":"))
    return dt.datetime(2024, 5, day, hour, minute, tzinfo=UTC)


def incident(*events: tuple[str, str, str], **times) -> Incident:
    return Incident(
        id="i",
        title="Checkout errors",
        events=[TimelineEvent(at=at(t), source=s, text=x) for t, s, x in events],
        **times,
    )


@pytest.mark.parametrize(
    ("source", "text", "expected"),
    [
        ("chat", "Customers report 502s on checkout", {"report", "symptom"}),
        ("alert", "FIRING CheckoutErrors 5xx above 5%", {"alert", "symptom"}),
        ("note", "Found that the pool size was set to 2 in release 4.2", {"finding", "change"}),
        ("note", "Root cause investigation started", {"investigation"}),
        ("chat", "From the investigation nothing out of the ordinary was discovered", {"investigation", "negative"}),
        (
            "deploy",
            "Rollback attempt fails due to a registry timeout",
            {"change", "mitigation", "failed", "cause_statement", "symptom"},
        ),
        ("deploy", "Pipeline re-triggered due to an API timeout", {"change", "retry", "cause_statement", "symptom"}),
        (
            "note",
            "Incident resolved. No data lost; the database stayed healthy throughout.",
            {"recovery", "resolution"},
        ),
        ("chat", "Payments team notices a spike in declines", {"report", "symptom"}),
        ("metric", "Error rate back to 0.1%, latency recovered", {"recovery", "worked", "symptom"}),
        ("note", "Grafana agent ran on the unhealthy node and had high memory usage", {"observation", "symptom"}),
        ("chat", "Mail sent to the affected customers explaining the outage", {"communication", "symptom"}),
        # a measure moving one way is a trend; a step that moves something, or a noun, is not
        ("metric", "checkout success ratio dropping since 09:00", {"trend"}),
        ("metric", "open file descriptors rising on every node", {"trend"}),
        ("chat", "increasing the worker pool size to 40", set()),
        ("chat", "the edge proxy is dropping requests", set()),
        ("note", "the web app falls back to polling", set()),
        # a figure set against what it should be is a deviation
        ("metric", "ledger row count 1.2M vs 1.9M expected", {"deviation"}),
        ("chat", "the nightly export has fewer rows than last week", {"deviation"}),
        ("chat", "orders-db has 1.2M rows, it had 3.4M yesterday", {"deviation"}),
        # someone given the incident declares it; a shard placed on a node does not
        ("page", "Assigned to Kenji Watanabe", {"alert", "declaration"}),
        ("chat", "replicas assigned to node-3 after the resize", set()),
        ("chat", "waiting for the shards to be assigned", {"blocked"}),
        # a broker is not broke
        ("deploy", "Rolled back the broker queue settings", {"change", "mitigation"}),
        ("chat", "the nightly import broke after the upgrade", {"symptom", "change"}),
        # people outside the team report too
        ("chat", "A merchant reports that refunds never arrive", {"report"}),
        # "merges" of an index and "meant to" of an intention are neither a change nor a cause
        ("metric", "index segment merges falling behind on search-3", set()),
        ("chat", "Merged PR 4411 into main", {"change"}),
        ("note", "the .npmrc file was meant to stay on the build host", set()),
        ("note", "the expired token meant that every renewal failed", {"cause_statement", "symptom", "finding"}),
    ],
)
def test_each_event_gets_the_tags_its_words_say(source, text, expected):
    assert tags_of(text, source) == frozenset(expected)


def test_a_failure_named_as_the_cause_is_not_the_outcome_of_the_step():
    assert "failed" not in tags_of("Deploy re-run because the first run failed", "deploy")
    assert "failed" in tags_of("Restart of the workers failed", "deploy")


def test_the_change_the_input_marks_is_the_trigger_and_its_time_the_start():
    reading = read_incident(
        incident(
            ("09:00", "deploy", "Unrelated docs site deploy"),
            ("10:00", "deploy", "Release 4.2 of checkout rolled out (problem started)"),
            ("10:07", "alert", "FIRING CheckoutErrors"),
        )
    )
    assert reading.trigger.text == "Release 4.2 of checkout rolled out (problem started)"
    assert (reading.started, reading.detected) == (at("10:00"), at("10:07"))


def test_a_scale_up_before_anything_failed_is_a_change_not_a_fix():
    reading = read_incident(
        incident(
            ("09:00", "note", "Proactively scaling up the cluster from 7 to 10 nodes"),
            ("11:00", "alert", "Load balancer unable to scale: not enough free IP addresses"),
        )
    )
    assert reading.trigger.text.startswith("Proactively scaling up")


def test_a_change_step_that_fails_points_back_to_the_change_it_came_out_of():
    reading = read_incident(
        incident(
            ("11:02", "deploy", "PR 1377 merged; terraform apply started, plan: 1 to destroy"),
            ("11:04", "deploy", "destroy of ledger-db failed; terraform apply exited with an error"),
            ("11:06", "alert", "Pipeline failure alert: apply for PR 1377 failed"),
        )
    )
    assert (reading.trigger.at, reading.started) == (at("11:02"), at("11:02"))


def test_a_failing_change_unconnected_to_the_one_before_it_is_the_trigger_itself():
    reading = read_incident(
        incident(
            ("09:00", "deploy", "search-indexer 2.3 released"),
            ("11:04", "deploy", "payments schema migration failed with a lock timeout"),
            ("11:06", "alert", "FIRING PaymentsErrors"),
        )
    )
    assert reading.trigger.at == at("11:04")


def test_without_a_start_or_an_earlier_event_the_start_is_unknown_not_the_first_alert():
    reading = read_incident(incident(("10:07", "alert", "FIRING CheckoutErrors"), ("10:30", "chat", "still looking")))
    assert (reading.started, reading.detected) == (None, at("10:07"))


def test_a_person_noticing_first_is_detection_by_report_and_the_later_alert_is_kept():
    reading = read_incident(
        incident(
            ("10:00", "deploy", "Release 4.2 rolled out"),
            ("10:20", "chat", "Support says users see 502 on checkout"),
            ("10:26", "alert", "FIRING CheckoutErrors"),
        )
    )
    assert reading.reported_by_people and reading.first_alert.text == "FIRING CheckoutErrors"


def test_time_to_mitigate_rests_on_the_first_recovery_else_on_the_resolution_it_says_so():
    recovered = read_incident(
        incident(
            ("10:00", "deploy", "Release 4.2 rolled out"),
            ("10:20", "metric", "Error rate back to normal"),
            ("11:00", "note", "Incident resolved"),
        )
    )
    assert (recovered.mitigated, recovered.mitigated_basis.startswith("first recovery")) == (at("10:20"), True)
    closed = read_incident(
        incident(("10:00", "deploy", "Release 4.2 rolled out"), ("10:05", "alert", "FIRING"), resolved_at=at("11:00"))
    )
    assert (closed.mitigated, closed.mitigated_basis) == (at("11:00"), "resolved_at (input); no earlier recovery event")


def test_a_failure_the_data_says_still_goes_on_moves_mitigation_to_the_recovery_after_it():
    reading = read_incident(
        incident(
            ("10:00", "deploy", "Release 4.2 rolled out"),
            ("10:20", "alert", "RESOLVED CheckoutErrors: error rate back to normal"),
            ("10:30", "chat", "429s are now most of the checkout traffic, users keep retrying"),
            ("10:50", "chat", "checkout working normally"),
            ("11:00", "chat", "checkout is still fine, closing"),
            ("11:05", "note", "Incident resolved"),
        )
    )
    assert (reading.mitigated, reading.mitigated_basis) == (
        at("10:50"),
        "recovery after impact the data reports as ongoing (chat: checkout working normally)",
    )


def test_a_recovery_with_no_later_report_of_failure_stands():
    reading = read_incident(
        incident(
            ("10:00", "deploy", "Release 4.2 rolled out"),
            ("10:20", "metric", "Error rate back to normal"),
            ("10:40", "chat", "the errors earlier came from the pool size"),
            ("10:50", "chat", "checkout working normally"),
            ("11:05", "note", "Incident resolved"),
        )
    )
    assert reading.mitigated == at("10:20")


def test_a_later_message_that_dates_the_recovery_itself_ends_the_impact_at_the_time_it_states():
    reading = read_incident(
        incident(
            ("10:00", "alert", "FIRING CacheNodeDown (service=cache): cache-2 unreachable"),
            ("10:01", "alert", "FIRING SearchLatencyHigh (service=search): p99 above 3 s"),
            ("10:15", "chat", "replaced cache-2 with a fresh node, search warming up"),
            ("10:17", "alert", "RESOLVED CacheNodeDown (service=cache): cache-2 unreachable"),
            ("10:40", "chat", "Resolved. search healthy since 10:24, cache hit rate normal"),
        )
    )

    assert (reading.mitigated, reading.mitigated_basis) == (
        at("10:24"),
        "the recovery time the data states (chat: Resolved. search healthy since 10:24, cache hit rate normal)",
    )


def test_a_component_said_to_be_healthy_since_a_time_before_the_recovery_does_not_move_it():
    reading = read_incident(
        incident(
            ("10:00", "alert", "FIRING SearchLatencyHigh (service=search): p99 above 3 s"),
            (
                "10:05",
                "chat",
                "looking. search is slow; the cache failed over at 10:00 and has been healthy since 10:01",
            ),
            ("10:17", "alert", "RESOLVED SearchLatencyHigh (service=search): p99 above 3 s"),
        )
    )

    assert reading.mitigated == at("10:17")


def test_recovery_attempts_keep_their_outcome():
    reading = read_incident(
        incident(
            ("10:00", "alert", "FIRING CheckoutErrors"),
            ("10:10", "deploy", "Rollback to 4.1 failed: image no longer in the registry"),
            ("10:25", "deploy", "Hotfix 4.2.1 deployed, errors back to normal"),
        )
    )
    assert [(a.step.at, a.outcome) for a in reading.attempts] == [(at("10:10"), "failed"), (at("10:25"), "worked")]


def test_findings_are_events_that_state_something_and_a_bare_identified_is_not_one():
    reading = read_incident(
        incident(
            ("10:00", "alert", "FIRING CheckoutErrors"),
            ("10:10", "chat", "Issue identified"),
            ("10:15", "chat", "Found that the connection pool of checkout-api is capped at 2"),
        )
    )
    assert [t.text for t in reading.findings] == ["Found that the connection pool of checkout-api is capped at 2"]


def test_an_undated_event_is_cited_by_the_time_the_input_gave():
    undated = UndatedEvent(source="note", text="Scaled the dev workload down to 0", time_text="14:??")
    assert cite(undated) == '(undated, "14:??"): "Scaled the dev workload down to 0"'


def test_a_citation_keeps_the_offset_the_input_used_and_names_no_person():
    event = TimelineEvent(
        at=dt.datetime(2024, 5, 2, 10, 0, tzinfo=dt.timezone(dt.timedelta(hours=1))),
        source="chat",
        actor="dana.ortiz",
        text="dana.ortiz restarted the workers",
    )
    assert cite(event) == 'at 2024-05-02 10:00 (UTC+01:00): "a team member restarted the workers"'


def test_approximate_times_are_kept_as_written_and_never_placed_by_guess():
    from pm_agent.ingest import ReadOptions, load_incident_text

    text = (
        "Date: 2024-05-02\n14:00 UTC - checkout 4.2 deployed\n~14:05 UTC - checkout errors rising\n"
        "± 14:20 UTC - rollback started\naround 14:40 UTC - errors back to normal\n14:50 UTC - incident resolved\n"
    )
    parsed = load_incident_text(text, "timeline.md", ReadOptions())
    assert [(u.time_text, u.text) for u in parsed.undated_events] == [
        ("~14:05 UTC", "checkout errors rising"),
        ("± 14:20 UTC", "rollback started"),
        ("around 14:40 UTC", "errors back to normal"),
    ]
    assert [e.text for e in parsed.events] == ["checkout 4.2 deployed", "incident resolved"]


@pytest.mark.parametrize(
    ("minutes", "shown"),
    [
        (0.68333, "41 s"),
        (2.5, "2 min 30 s"),
        (45, "45 min"),
        (125, "2 h 05 min"),
        (326, "5 h 26 min"),
        (5840, "4 d 1 h 20 min"),
        (119.99, "2 h 00 min"),
        (90.5, "1 h 31 min"),
        (90.4, "1 h 30 min"),
    ],
)
def test_durations_print_exactly(minutes, shown):
    from pm_agent.ingest.timeparse import format_minutes

    assert format_minutes(minutes) == shown


@pytest.mark.parametrize(
    ("sentence", "cause", "effect"),
    [
        (
            "the app retries at once, so every 503 comes back as more requests",
            "the app retries at once",
            "every 503 comes back as more requests",
        ),
        ("The deploy removed the CNAME, causing 502s", "The deploy removed the CNAME", "502s"),
        ("Owner of the Ingress causing the issue contacted", "the Ingress", "the issue"),
        ("A bad config causing 502s was rolled back", "A bad config", "502s"),
        (
            "A pod scheduling storm causing some daemon sets not scheduled",
            "A pod scheduling storm",
            "some daemon sets not scheduled",
        ),
        ("Traffic surge causing requests to be throttled", "Traffic surge", "requests to be throttled"),
    ],
)
def test_a_stated_consequence_splits_into_cause_and_effect_even_inside_a_noun_phrase(sentence, cause, effect):
    assert (consequence_split(sentence), cause_part(sentence)) == ((cause, effect), cause)


def test_errors_that_stopped_are_a_recovery_not_a_finding_left_to_explain():
    from pm_agent.analysis.tagging import tags_of

    assert {"recovery"} <= tags_of("Timeouts stopped; error rate under 0.1%", "chat")
    assert "observation" not in tags_of("Timeouts stopped; error rate under 0.1%", "chat")


def test_a_follow_up_the_text_says_was_never_made_is_not_a_follow_up():
    assert "followup" not in tags_of("Cache flushed by hand; no ticket filed for it", "chat")
    assert "followup" in tags_of("Ticket filed to add a cache size alert", "chat")


def test_a_customer_emailing_support_is_a_report_of_the_failure_not_the_team_communicating():
    tags = tags_of("A customer emailed support: the export page shows errors", "chat")
    assert {"report", "symptom"} <= tags and "communication" not in tags
    assert "communication" in tags_of("Support emailed the affected customers about the export errors", "chat")


@pytest.mark.parametrize(
    ("text", "begun"),
    [
        ("Rollback of checkout 4.2 triggered", True),
        ("Triggered the pipeline to apply the pool size fix", True),
        ("Began working on a rollback of the proxy change", True),
        ("Rolling restart of all gateway nodes started", True),
        ("Marked the instance as unhealthy and a new node started", False),
        ("Rolled back checkout to 4.1", False),
    ],
)
def test_a_step_is_only_begun_when_its_words_say_it_was_started_not_that_something_came_up(text, begun):
    assert ("begun" in tags_of(text, "deploy")) is begun


@pytest.mark.parametrize(
    "text",
    [
        "Diff of r88 shows the /orders rule routed to pool green, which has no healthy hosts",
        "Logs from worker-2 show the job exited after reading an empty manifest",
        "The query plan for the nightly report shows a full scan of events",
    ],
)
def test_evidence_that_shows_something_is_a_finding_even_with_the_evidence_named_in_between(text):
    assert "finding" in tags_of(text, "chat")


# --- a state is not a step: what stands or what the evidence says, against what someone did -------------------


@pytest.mark.parametrize(
    ("text", "step"),
    [
        ("thumbnail queue draining, oldest item now 12 minutes old", False),
        ("oldest item back under 30 seconds, backlog cleared", False),
        ("all disk alerts cleared and the replica caught up", False),
        ("search-api has had no spare nodes since the 06:00 maintenance drain", False),
        ("Drained node-7 and moved its pods to the spare pool", True),
        ("we drained the import queue into the overflow bucket", True),
        ("Cleared the CDN cache for /assets", True),
        ("Stuck deploy lock manually cleared", True),
        ("dead-letter queue cleared manually after the review", True),
    ],
)
def test_a_drain_or_a_clear_is_a_step_only_when_it_names_what_it_acted_on_or_who_did_it(text, step):
    assert ("mitigation" in tags_of(text, "chat")) is step


@pytest.mark.parametrize(
    ("text", "kind"),
    [
        ("billing pods log ECONNREFUSED for ledger.internal; firewall change 812 deleted the allow rule", "finding"),
        ("the status endpoint returns 503 for every region", "observation"),
        ("ledger pods log ECONNREFUSED for every write", "observation"),
        ("Profiler output shows the render thread blocked on the font cache", "finding"),
    ],
)
def test_what_the_evidence_logs_shows_or_returns_is_seen_what_a_change_did_is_found_and_neither_is_a_step(text, kind):
    tags = tags_of(text, "chat")
    assert kind in tags and "mitigation" not in tags


@pytest.mark.parametrize(
    "text",
    [
        "Heap graph flat after the rollback; search results load again",
        "Upstream mail provider reports its incident mitigated",
        "FIRING WorkerRestartsHigh: import-worker pods restarted 4 times in 10 minutes",
        "thumbnails render blank during restarts",
    ],
)
def test_a_step_the_text_only_refers_to_or_reports_is_not_a_step_taken_here(text):
    source = "alert" if text.startswith("FIRING") else "metric"
    assert "mitigation" not in tags_of(text, source)


def test_a_metric_back_under_its_threshold_is_a_recovery_observation_not_a_finding():
    tags = tags_of("Checkout error ratio back under 0.5% as client retries die down", "metric")
    assert "recovery" in tags and not tags & {"finding", "observation"}


def test_a_stated_recovery_beats_a_person_resolving_the_page_even_one_who_resolves_it_first():
    stated = read_incident(
        incident(
            ("07:00", "deploy", "Nightly photo import started: 80,000 photos queued for resizing"),
            ("07:40", "alert", "FIRING ResizeQueueAge: oldest item above 10 minutes"),
            ("08:02", "chat", "bumped the resizer worker max to 20"),
            ("09:05", "chat", "oldest item back under 30 seconds, backlog cleared"),
            ("09:10", "page", "Resolved by Lena Park"),
        )
    )
    assert (stated.mitigated, stated.mitigated_basis) == (
        at("09:05"),
        "first recovery (chat: oldest item back under 30 seconds, backlog cleared)",
    )
    early_page = read_incident(
        incident(
            ("07:00", "deploy", "Release 7.1 of checkout rolled out"),
            ("07:05", "alert", "FIRING CheckoutErrors"),
            ("07:20", "deploy", "Rolled back checkout to 7.0"),
            ("07:25", "page", "Resolved by Lena Park"),
            ("07:30", "metric", "Checkout error rate back to normal"),
        )
    )
    assert early_page.mitigated == at("07:30")
    assert [a.step.text for a in early_page.attempts] == ["Rolled back checkout to 7.0"]


def test_a_recovery_that_still_reports_the_first_failure_at_a_level_is_only_partial():
    reading = read_incident(
        incident(
            ("07:00", "deploy", "Release 7.1 of reports rolled out"),
            ("07:05", "alert", "FIRING ReportExportErrors"),
            ("07:20", "deploy", "Rolled back reports to 7.0"),
            ("07:30", "metric", "reports-api 5xx back under 0.2%; export errors back to about 3% of downloads"),
            ("08:10", "metric", "export errors at 0; export backlog cleared"),
        )
    )
    assert (reading.mitigated, reading.mitigated_basis) == (
        at("08:10"),
        "recovery after impact the data reports as ongoing (metric: export errors at 0; export backlog cleared)",
    )


def test_a_step_worked_when_a_later_recovery_names_it_as_what_it_followed():
    reading = read_incident(
        incident(
            ("07:00", "deploy", "search-api 3.4 rolled out"),
            ("07:30", "alert", "FIRING SearchPodRestarts"),
            ("07:42", "deploy", "Restarted the search-api pods"),
            ("07:50", "deploy", "Rolled back search-api to 3.3"),
            ("08:05", "metric", "Heap flat after the rollback; search latency back to normal"),
        )
    )
    assert [(a.step.text, a.outcome) for a in reading.attempts] == [
        ("Restarted the search-api pods", "unknown"),
        ("Rolled back search-api to 3.3", "worked"),
    ]


@pytest.mark.parametrize(
    ("text", "found"),
    [
        ("customers report that invoices from last week show 'file not found' in the portal", False),
        ('Users get "Identifier missing" errors on every checkout', False),
        ("found that the invoice cleaner deletes rows newer than 30 days", True),
    ],
)
def test_a_finding_word_inside_the_message_users_see_is_no_finding(text, found):
    assert ("finding" in tags_of(text, "chat")) is found


def test_a_switch_back_that_says_reads_come_from_the_old_store_again_is_when_the_impact_stopped():
    reading = read_incident(
        incident(
            ("06:00", "deploy", "flag orders.new_store switched on; order history now reads from orders_v3"),
            ("09:30", "chat", "A customer reports that older orders vanished from their history"),
            (
                "09:50",
                "deploy",
                "flag orders.new_store switched off; order history reads from the old orders table again",
            ),
            ("12:00", "note", "Incident resolved"),
        )
    )

    assert (reading.mitigated, reading.mitigated_basis) == (
        at("09:50"),
        "first recovery (deploy: flag orders.new_store switched off; order history reads fro…)",
    )


def test_a_responder_taking_the_ticket_is_an_acknowledgement_not_an_observation_of_the_failure():
    taking = tags_of("picking up SUP-4410 (Acme, invoices missing from the portal)", "chat")
    traffic = tags_of("traffic picked up again after the release", "metric")

    assert ("acknowledgement" in taking, "observation" in taking, "acknowledgement" in traffic) == (True, False, False)


def test_a_rollback_after_the_failure_was_found_or_someone_reporting_it_is_never_the_change_that_set_it_off():
    reading = read_incident(
        incident(
            ("11:00", "chat", "Finance reports orders with both discounts applied"),
            ("11:30", "chat", "found it: the discount rule skips the stacking check since release 7.3"),
            ("11:45", "deploy", "Rolled back pricing to release 7.2"),
        )
    )

    assert reading.trigger is None


@pytest.mark.parametrize(
    "change",
    [
        "Deployed reporting-api 4.2 with the new export format",
        "Released the monthly reports page to all tenants",
        "Released monthly reports page to all tenants",
        "reports_worker config pushed: batch size 500",
    ],
)
def test_a_change_to_something_named_for_reports_is_still_the_change_that_set_it_off(change):
    reading = read_incident(
        incident(
            ("09:00", "deploy", change),
            ("09:20", "alert", "Alert: export error rate above 5%"),
        )
    )

    assert reading.trigger is not None and reading.trigger.text == change


def test_a_reading_asked_of_one_incident_is_worked_out_once_and_each_incident_gets_its_own():
    from pm_agent.analysis.evidence import once_per_reading

    asked = []

    @once_per_reading
    def first_text(reading):
        asked.append(reading.incident.id)
        return reading.events[0].text

    one = read_incident(incident(("09:00", "chat", "checkout errors"), ("09:10", "alert", "Alert: 5xx above 2%")))
    other = read_incident(incident(("10:00", "chat", "search slow")))

    assert [first_text(one), first_text(one), first_text(other)] == [
        "checkout errors",
        "checkout errors",
        "search slow",
    ]
    assert len(asked) == 2


def api_behind_a_replaced_balancer_rule(verification: str) -> Incident:
    """A balancer rule change breaks the API; a step removes the new rule and says what was verified after it."""
    return incident(
        ("09:00", "deploy", "Load balancer rule for /api replaced"),
        ("09:30", "chat", "Customers report the API times out"),
        ("10:12", "chat", f"Removed the new rule, {verification}. Asked customers to confirm."),
        ("10:20", "chat", "A customer confirms the API works"),
        detected_at=at("09:30"),
    )


def test_a_step_that_verifies_the_service_works_again_is_when_the_impact_stopped():
    reading = read_incident(
        api_behind_a_replaced_balancer_rule("verified that the balancer forwarded /api to the app servers")
    )

    assert (reading.mitigated, reading.mitigated_basis) == (
        at("10:12"),
        "first recovery (chat: Removed the new rule, verified that the balancer forwarded…)",
    )


@pytest.mark.parametrize(
    "verification",
    [
        "verified that the balancer still refused connections on /api",
        "verified that the balancer did not forward /api",
        "verified that the balancer responds with 503 on /api",
        "verified the balancer no longer forwards /api",
        "verified that the balancer forwarded no requests to the app servers",
    ],
)
def test_a_step_that_verifies_the_service_is_still_broken_is_not_when_the_impact_stopped(verification):
    assert read_incident(api_behind_a_replaced_balancer_rule(verification)).mitigated == at("10:20")
