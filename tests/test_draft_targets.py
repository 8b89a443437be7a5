"""The drafting targets of issue 15, checked on every dev case: the 18 project cases under evals/cases and, where
../shared/data/fulltext is present, the 10 real public incidents (those skip cleanly when it is absent).

Each test is one promise a reviewer relies on: the summary and the metrics table agree, the summary says what
broke, why as far as the data says and how it was stopped; time to mitigate is known when the input states
recovery; durations print exactly; undated and approximate times are shown as the input wrote them; what users
saw is quoted in Impact; lessons cite the incident or are asked for and never repeat another incident's; every
5 Whys step cites an event, a stated fact, or asks.
"""

from __future__ import annotations

import functools
import json
import re

import pytest
from conftest import REPO, SHARED_DATA, fulltext_cases

from pm_agent.analysis.claims import EventIndex, is_marked
from pm_agent.analysis.clauses import STEP, narrowed
from pm_agent.analysis.evidence import read_incident
from pm_agent.analysis.quoting import said, when
from pm_agent.evals.cases import load_cases
from pm_agent.evals.grounded import mitigation_known, normalised
from pm_agent.ingest.timeparse import format_minutes, minutes_in_text
from pm_agent.service import PostmortemService

PROJECT = {case.id: list(case.inputs) for case in load_cases(REPO / "evals" / "cases")}
REAL = fulltext_cases()


def dev_case_params() -> list:
    """Every project case, then every real case (one skipping parameter when the real ones are absent)."""
    params = [pytest.param(name, id=name) for name in sorted(PROJECT)]
    if REAL:
        params += [pytest.param(name, id=name, marks=pytest.mark.shared_data) for name in REAL]
    else:
        reason = "needs the real incidents in ../shared/data/fulltext (not present on this machine)"
        params.append(pytest.param("absent", id="real-cases-absent", marks=pytest.mark.skip(reason=reason)))
    return params


CASES = dev_case_params()


def inputs_of(name: str) -> list:
    return PROJECT[name] if name in PROJECT else [SHARED_DATA / "fulltext" / f"{name}.input.json"]


@functools.cache
def drafted(name: str):
    """The case's incident, its offline draft and the rendered Markdown (drafted once per test session)."""
    service = PostmortemService()
    incident = service.load(inputs_of(name))
    postmortem = service.draft(incident)
    return incident, postmortem, service.render(postmortem)


def section(markdown: str, heading: str) -> str:
    body = markdown.split(f"## {heading}\n", 1)[1]
    return body.split("\n## ", 1)[0]


def metric(postmortem, name: str):
    return next(m for m in postmortem.metrics if m.name == name)


# --- a. the summary --------------------------------------------------------------------------------


@pytest.mark.parametrize("name", CASES)
def test_the_summary_gives_the_detection_time_of_the_metrics_table_or_says_it_is_unknown(name):
    _, postmortem, markdown = drafted(name)
    detect = metric(postmortem, "time_to_detect")

    if detect.minutes is not None:
        assert f"Time to detect {format_minutes(detect.minutes)}" in postmortem.summary
        assert f"| Time to detect | {format_minutes(detect.minutes)} |" in markdown
    else:
        assert "Time to detect" not in postmortem.summary
        if detect.end is None:  # detected at a known time, the start unknown: the summary says when it was detected
            assert "The data does not say when the failure was detected." in postmortem.summary
    if detect.end is not None:
        assert when(detect.end) in postmortem.summary


@pytest.mark.parametrize("name", CASES)
def test_the_summary_says_what_broke_why_as_far_as_the_data_says_and_how_it_was_stopped(name):
    incident, postmortem, _ = drafted(name)
    reading = read_incident(incident)
    index = EventIndex(incident)
    why = re.search(
        r"(?:The data (?:states|suggests) a cause|What followed, as the data states it): "
        r".*?\((?:alert|chat|deploy|page|note|metric), [^)]*\)\.",
        postmortem.summary,
    )

    assert postmortem.summary.startswith(incident.title.rstrip("."))
    assert (why is not None and index.cites(why.group(0))) or "The data does not state the cause" in postmortem.summary
    stopped = re.search(
        r"It was stopped by: (.*?\((?:alert|chat|deploy|page|note|metric), [^)]*\))\.", postmortem.summary
    )
    if reading.mitigated is None:
        assert "The data does not say when or how the impact stopped." in postmortem.summary
    elif stopped is None:
        assert "The data does not say what stopped the impact." in postmortem.summary
    else:
        steps = [a.step for a in reading.attempts if a.outcome != "failed" and a.step.at <= reading.mitigated]
        assert stopped.group(1) in [said(narrowed(step.event, STEP)) for step in steps]  # the step, not what it led to


@pytest.mark.parametrize("name", CASES)
def test_the_cause_the_summary_states_is_not_a_step_taken_to_recover_though_it_may_be_a_finding_that_one_caused_it(
    name,
):
    incident, _postmortem, _ = drafted(name)
    reading = read_incident(incident)
    from pm_agent.analysis.whys.cause import cause_of, first_symptom

    cause = cause_of(first_symptom(reading), reading)
    a_step = cause is not None and cause.has("mitigation", "recovery", "resolution", "worked")
    # "Finding: the errors are caused by the rollback": a finding that names a step as the cause, not the step
    a_finding_naming_a_step = (
        cause is not None
        and cause.has("finding")
        and cause.has("cause_statement")
        and not cause.has("recovery", "resolution", "worked")
    )

    assert not a_step or a_finding_naming_a_step


# --- b. times and durations ------------------------------------------------------------------------


@pytest.mark.parametrize("name", CASES)
def test_time_to_mitigate_is_known_whenever_the_input_states_recovery(name):
    incident, postmortem, _ = drafted(name)
    reading = read_incident(incident)
    states_recovery = bool(reading.tagged("recovery", "resolution", dated_only=True)) or any(
        a.outcome == "worked" for a in reading.attempts
    )

    assert mitigation_known(incident, postmortem) is not False
    if states_recovery and reading.started is not None:
        assert metric(postmortem, "time_to_mitigate").minutes is not None


@pytest.mark.parametrize("name", CASES)
def test_every_duration_prints_exactly_in_the_table_and_the_summary(name):
    _, postmortem, markdown = drafted(name)

    for m in postmortem.metrics:
        if m.minutes is None:
            continue
        shown = format_minutes(m.minutes)
        assert f"| {m.label} | {shown} |" in markdown
        if m.minutes >= 1 and m.minutes == int(m.minutes):
            assert minutes_in_text(shown) == m.minutes


@pytest.mark.parametrize("name", CASES)
def test_undated_events_are_shown_with_the_time_the_input_gave(name):
    incident, _, markdown = drafted(name)
    timeline = section(markdown, "Timeline (UTC)")

    for undated in incident.undated_events:
        stated = f"{undated.time_text} (undated)" if undated.time_text else "undated"
        assert any(
            row.startswith(f"| {stated} |") and undated.text.replace("|", "\\|")[:60] in row
            for row in timeline.splitlines()
        ), undated.text


APPROXIMATE = re.compile(r"^\s*(?:~|±|\+/-|around\b|about\b|approx)", re.IGNORECASE)


def approximate_events(name: str) -> list[dict]:
    """The input's events that say their time is approximate: ``"approximate": true``, or a ``time_text`` beside ``at``
    that starts with a marker."""
    found = []
    for path in inputs_of(name):
        if path.suffix != ".json":
            continue
        raw = json.loads(path.read_text())
        events = raw.get("events", []) if isinstance(raw, dict) else []
        found += [
            e
            for e in events
            if isinstance(e, dict)
            and e.get("at")
            and (e.get("approximate") or APPROXIMATE.search(str(e.get("time_text") or "")))
        ]
    return found


@pytest.mark.parametrize("name", CASES)
def test_an_approximate_time_keeps_its_marker_in_the_timeline(name):
    _, _postmortem, markdown = drafted(name)
    timeline = section(markdown, "Timeline (UTC)")

    for event in approximate_events(name):
        row = next(r for r in timeline.splitlines() if event["text"][:60] in r)
        assert re.match(r"\| ~\d{4}-\d{2}-\d{2} \d{2}:\d{2} \(approximate\) \|", row), row


# --- c. impact in words ----------------------------------------------------------------------------

# What users or systems saw, in words, as an independent reader would pick it out: a service down, data removed,
# a share of requests failing.
QUALITATIVE = re.compile(
    r"\b(?:is|are|was|were|went) (?:down|unavailable|unreachable|offline)\b"
    r"|\b\d[\d,.]*\s*(?:GB|TB|MB|rows|records|files|objects)\b[^.;]{0,40}\b(?:removed|deleted|lost|dropped|wiped)\b"
    r"|\b(?:removed|deleted|lost|dropped|wiped)\b[^.;]{0,20}\b\d[\d,.]*\s*(?:GB|TB|MB|rows|records|files|objects)\b"
    r"|\b\d+(?:\.\d+)?\s*%\s+of\b[^.;]{0,60}\b(?:failed|failing|fail|errored|erroring|errors?)\b"
    r"|\b(?:could not|cannot|can't|unable to) (?:log ?in|sign ?in|pay|check ?out|access|reach|connect|book|upload)\b"
    r"|\breturning (?:5\d\d|errors?)\b|\bwe have no \w+",
    re.IGNORECASE,
)


@pytest.mark.parametrize("name", CASES)
def test_what_users_saw_in_words_during_the_impact_is_quoted_in_impact(name):
    incident, _postmortem, markdown = drafted(name)
    reading = read_incident(incident)
    end = reading.mitigated or reading.resolved
    impact = section(markdown, "Impact")
    during = [
        e
        for e in incident.events
        if (reading.started is None or e.at >= reading.started)
        and (end is None or e.at <= end)
        and QUALITATIVE.search(e.text)
    ]

    for event in during:
        assert QUALITATIVE.search(event.text).group(0) in impact, event.text


# --- d. lessons ------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", CASES)
def test_each_lesson_cites_the_incident_and_with_none_the_open_questions_ask(name):
    incident, postmortem, _ = drafted(name)
    index = EventIndex(incident)

    assert [lesson for lesson in postmortem.lessons if not index.cites(lesson)] == []
    if not postmortem.lessons:
        assert "lessons" in {q.topic for q in postmortem.open_questions}


def test_no_lesson_line_repeats_across_different_incidents():
    names = [p.values[0] for p in CASES if p.values[0] != "absent"]
    lessons = {}
    for name in names:
        _, postmortem, _ = drafted(name)
        for lesson in postmortem.lessons:
            lessons.setdefault(normalised(lesson, postmortem.services), set()).add(name)

    assert {" ".join(words): sorted(owners) for words, owners in lessons.items() if len(owners) > 1} == {}


# --- e. 5 Whys -------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", CASES)
def test_every_why_step_cites_an_event_or_is_a_question(name):
    incident, postmortem, _ = drafted(name)
    index = EventIndex(incident)

    for branch in postmortem.root_cause.branches:
        for step in branch.steps:
            if step.question:
                assert step.hypothesis and "?" in step.question
            elif step.facts:
                assert not step.hypothesis
            else:
                assert step.evidence and all(index.has(e) for e in step.evidence) and not step.hypothesis, step.because
        assert (branch.root_cause and index.cites(branch.root_cause)) or "?" in branch.root_cause_question


def test_the_lessons_and_summaries_mark_nothing_as_open_that_they_state():
    """A summary that says the data does not state the cause is marked open, not a claim; the rest cites."""
    for param in CASES:
        name = param.values[0]
        if name == "absent":
            continue
        _, postmortem, _ = drafted(name)
        for lesson in postmortem.lessons:
            assert not is_marked(lesson)


def test_an_event_the_input_marks_approximate_is_shown_with_its_marker_and_an_exact_one_without(tmp_path):
    path = tmp_path / "incident.json"
    path.write_text(
        json.dumps(
            {
                "title": "Checkout slow",
                "events": [
                    {
                        "at": "2025-03-03T19:30:00Z",
                        "source": "note",
                        "text": "Investigated and found the pool exhausted",
                        "approximate": True,
                    },
                    {"at": "2025-03-03T19:40:00Z", "source": "chat", "text": "Pool size raised", "time_text": "~19:40"},
                    {"at": "2025-03-03T19:50:00Z", "source": "metric", "text": "Latency back to normal"},
                ],
            }
        )
    )
    service = PostmortemService()

    timeline = section(service.render(service.draft(service.load([path]), score=False)), "Timeline (UTC)")

    rows = [row for row in timeline.splitlines() if row.startswith("| ") and not row.startswith("| Time")]
    assert [row.split(" | ")[0] for row in rows] == [
        "| ~2025-03-03 19:30 (approximate)",
        "| ~2025-03-03 19:40 (approximate)",
        "| 2025-03-03 19:50",
    ]


# --- the same promises on one small incident, whole outputs ----------------------------------------


def pool_exhaustion():
    import datetime as dt

    from pm_agent.models import Incident, TimelineEvent

    def event(hhmm, source, text):
        return TimelineEvent(at=dt.datetime.fromisoformat(f"2025-05-14T{hhmm}:00+00:00"), source=source, text=text)

    return Incident(
        id="pay-9",
        title="Checkout requests timed out",
        services=["checkout-api"],
        severity="SEV2",
        events=[
            event("10:00", "deploy", "checkout-api 7.2 rolled out"),
            event("10:04", "alert", "FIRING CheckoutLatencyHigh: checkout-api p99 above 5 s"),
            event("10:15", "chat", "Found it: checkout-api timed out because the 7.2 pool size is 5 connections"),
            event("10:20", "deploy", "Rolled back checkout-api to 7.1"),
            event("10:26", "metric", "Checkout latency back to normal; recovered"),
            event("10:40", "chat", "Incident resolved; status page updated"),
        ],
    )


def test_the_summary_of_a_small_incident_says_what_broke_when_it_was_seen_what_it_started_with_why_and_what_stopped_it():
    from pm_agent.analysis.drafting import draft_postmortem

    postmortem = draft_postmortem(pool_exhaustion(), score=False)

    assert postmortem.summary == (
        "Checkout requests timed out. Affected services: checkout-api. Impact began at 2025-05-14 10:00 UTC. "
        "It was first detected through an alert: FIRING CheckoutLatencyHigh: checkout-api p99 above 5 s "
        "(alert, 2025-05-14 10:04 UTC). The failure started with this change: checkout-api 7.2 rolled out (deploy, "
        "2025-05-14 10:00 UTC). What followed, as the data states it: Found it: checkout-api timed out because the "
        "7.2 pool size is 5 connections (chat, 2025-05-14 10:15 UTC). It was stopped by: Rolled back checkout-api to 7.1 "
        "(deploy, 2025-05-14 10:20 UTC). The impact stopped: Checkout latency back to normal; recovered "
        "(metric, 2025-05-14 10:26 UTC). Time to detect 4 min; time to mitigate 26 min; duration 40 min."
    )


def test_the_cause_the_data_states_is_the_first_lesson():
    from pm_agent.analysis.drafting import draft_postmortem

    postmortem = draft_postmortem(pool_exhaustion(), score=False)

    assert postmortem.lessons == [
        "How this system fails, as the data states it: Found it: checkout-api timed out because the 7.2 pool size is 5 "
        "connections (chat, 2025-05-14 10:15 UTC), and this is how the failure showed: FIRING CheckoutLatencyHigh: "
        "checkout-api p99 above 5 s (alert, 2025-05-14 10:04 UTC).",
    ]


def test_a_fact_placed_beside_a_cited_why_step_is_shown_in_the_drafted_chain_as_the_teams():
    from conftest import EXAMPLE

    from pm_agent.analysis.drafting import draft_postmortem
    from pm_agent.render.postmortem import render_markdown

    fact = "The pool size default was never reviewed because no owner tracks config defaults"
    incident = PostmortemService().load([EXAMPLE])

    postmortem = draft_postmortem(incident, facts=[fact], score=False)

    cited_with_fact = [s for b in postmortem.root_cause.branches for s in b.steps if s.facts and s.evidence]
    assert [s.facts for s in cited_with_fact] == [[fact]] and not cited_with_fact[0].hypothesis
    assert f"; stated by the team: {fact})_" in render_markdown(postmortem)


def test_what_users_saw_in_words_is_quoted_in_impact_with_its_time_and_source():
    import datetime as dt

    from pm_agent.analysis.drafting import draft_postmortem
    from pm_agent.models import Incident, TimelineEvent
    from pm_agent.render.postmortem import render_markdown

    def event(hhmm, source, text):
        return TimelineEvent(at=dt.datetime.fromisoformat(f"2025-06-02T{hhmm}:00+00:00"), source=source, text=text)

    incident = Incident(
        id="b-1",
        title="Bookings unavailable",
        services=["booking"],
        started_at=event("09:00", "note", "x").at,
        events=[
            event("09:00", "deploy", "flag-service 2.4 rolled out"),
            event("09:03", "chat", "Customer support: the booking system is down for everyone"),
            event("09:06", "metric", "78% of flag evaluations failed in the last 5 minutes"),
            event("09:10", "chat", "cleanup job ran against the wrong bucket, 300 GB removed from booking-archive"),
            event("09:40", "deploy", "Rolled back flag-service to 2.3"),
            event("09:45", "metric", "Bookings succeed again; recovered"),
        ],
    )

    impact = section(render_markdown(draft_postmortem(incident, score=False)), "Impact")

    assert [line for line in impact.splitlines() if line.startswith("- ")] == [
        '- the incident\'s title: "Bookings unavailable"',
        '- 2025-06-02 09:03 UTC chat: "Customer support: the booking system is down for everyone"',
        '- 2025-06-02 09:06 UTC metric: "78% of flag evaluations failed in the last 5 minutes"',
        '- 2025-06-02 09:10 UTC chat: "cleanup job ran against the wrong bucket, 300 GB removed from booking-archive"',
    ]


def test_a_canary_gate_that_failed_the_release_and_rolled_it_back_ended_the_impact_and_is_no_failed_step():
    import datetime as dt

    from pm_agent.analysis.drafting import draft_postmortem
    from pm_agent.models import Incident, TimelineEvent

    def event(hhmm, source, text):
        return TimelineEvent(at=dt.datetime.fromisoformat(f"2025-12-02T{hhmm}:00+00:00"), source=source, text=text)

    incident = Incident(
        id="p-1",
        title="Wrong prices on the canary",
        services=["pricing"],
        events=[
            event("15:10", "deploy", "pricing 3.9.0 canary started on 5% of traffic"),
            event(
                "15:22",
                "deploy",
                "Canary analysis FAILED for pricing 3.9.0: price mismatch above baseline; rollout halted "
                "and canary rolled back automatically",
            ),
            event("15:31", "chat", "3.9.0 rounds JPY prices to 2 decimals"),
        ],
    )

    postmortem = draft_postmortem(incident, score=False)

    assert metric(postmortem, "time_to_mitigate").minutes == 12
    assert [b.label for b in postmortem.root_cause.branches] == ["trigger"]
    assert not [line for line in postmortem.lessons + postmortem.contributing_factors if "did not work" in line]


def test_with_no_cause_stated_the_summary_says_why_it_got_through_as_far_as_the_data_says():
    import datetime as dt

    from pm_agent.analysis.drafting import draft_postmortem
    from pm_agent.models import Incident, TimelineEvent

    def event(hhmm, source, text):
        return TimelineEvent(at=dt.datetime.fromisoformat(f"2025-07-01T{hhmm}:00+00:00"), source=source, text=text)

    incident = Incident(
        id="c-1",
        title="Expired certificate on the gateway",
        services=["gateway"],
        events=[
            event("00:00", "note", "TLS certificate for api.example.com expired; clients fail the TLS handshake"),
            event("00:07", "alert", "FIRING SyntheticCheckFailed: certificate expired for api.example.com"),
            event("00:31", "chat", "renewer logs: renewals failing since May; no alert on renewal failures"),
            event("00:38", "deploy", "Certificate renewed manually and deployed to the gateway"),
            event("00:44", "metric", "Synthetic checks passing; error rate back to normal"),
        ],
    )

    summary = draft_postmortem(incident, score=False).summary

    assert (
        "The data does not state the cause, but it records a missing safeguard: … no alert on renewal failures "
        "(chat, 2025-07-01 00:31 UTC)."
    ) in summary
