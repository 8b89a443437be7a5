"""Truth-grounded eval figures: the matcher, causal claims and their citations, recall beside the ceiling,
template leakage, stated metrics, and substance gates that can be reported without failing the run."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest

from pm_agent.analysis.claims import causal_claims, is_marked, unsupported_claims
from pm_agent.evals import EXIT_PASSED, EXIT_QUALITY
from pm_agent.evals.cases import EvalCase, Truth
from pm_agent.evals.context import RunContext
from pm_agent.evals.gates import Gate
from pm_agent.evals.grounded import ground, leaked_lines, minutes_in, normalised
from pm_agent.evals.matching import calibrate, compare, words_held
from pm_agent.evals.results import CaseResult, SuiteResult
from pm_agent.evals.runner import evaluate
from pm_agent.evals.suites import SuiteSpec
from pm_agent.models import (
    ActionItem,
    Evidence,
    Incident,
    Metric,
    Postmortem,
    TimelineEvent,
    WhyBranch,
    WhyChain,
    WhyStep,
)

REPO = Path(__file__).resolve().parents[1]
UTC = dt.UTC


def at(hh_mm: str) -> dt.datetime:
    hour, minute = map(int, hh_mm.split(":"))
    return dt.datetime(2024, 5, 2, hour, minute, tzinfo=UTC)


INCIDENT = Incident(
    id="inc-1",
    title="Checkout returned 502s",
    services=["checkout-api"],
    started_at=at("14:00"),
    resolved_at=at("14:40"),
    events=[
        TimelineEvent(at=at("14:00"), source="deploy", text="checkout-api 4.2 deployed with a new connection pool"),
        TimelineEvent(at=at("14:05"), source="alert", text="5xx rate above 5% on checkout-api"),
        TimelineEvent(at=at("14:20"), source="chat", text="Found it: the pool size is 2 in 4.2, it was 50"),
        TimelineEvent(at=at("14:30"), source="deploy", text="Rolled back to 4.1, errors back to normal"),
    ],
)


def draft(**fields) -> Postmortem:
    base = {
        "incident_id": "inc-1",
        "title": "Checkout returned 502s",
        "summary": "Checkout returned 502s.",
        "services": ["checkout-api"],
    }
    return Postmortem(**(base | fields))


# --- the matcher ------------------------------------------------------------------------------


def test_a_paraphrase_of_the_teams_cause_matches_and_an_unrelated_cause_does_not():
    team = "The connection pool of checkout-api 4.2 was set to 2 instead of 50, so requests queued and timed out."
    assert compare(team, "Release 4.2 shrank the checkout-api connection pool from 50 to 2 connections.").matched
    assert not compare(team, "The TLS certificate of the payment gateway expired overnight.").matched


def test_sharing_only_words_every_incident_uses_is_not_a_match():
    team = "A config change to the search service caused errors for users."
    assert not compare(team, "A change to the billing service caused errors for customers.").matched


def test_the_ceiling_counts_a_compound_name_as_one_word_not_once_whole_and_once_per_part():
    assert round(words_held("payments-ledger dropped messages", "payments-ledger restarted"), 2) == 0.33
    assert round(words_held("payments-ledger dropped messages", "the ledger restarted"), 2) == 0.0
    assert round(words_held("payments-ledger dropped messages", "the payments ledger restarted"), 2) == 0.33
    assert round(words_held("the certificate expiry was missed and it expired", "certificate expiry missed"), 2) == 1.0


def test_an_input_line_that_names_the_same_components_but_says_something_else_does_not_state_the_cause():
    truth = Truth(
        contributing_factors=(
            "image-resizer has no quota on how much of a bucket one sweep may purge, so it emptied most of "
            "thumb_cache without halting.",
            "The purge_rules file had a reversed age check since commit 77ab, so the sweep purged fresh thumbnails.",
        )
    )
    incident = Incident(
        id="inc-2",
        title="Thumbnails missing after a cache sweep",
        services=["image-resizer"],
        started_at=at("03:00"),
        events=[
            TimelineEvent(at=at("03:00"), source="note", text="image-resizer sweep began: purging thumb_cache entries"),
            TimelineEvent(
                at=at("04:10"),
                source="chat",
                text="the age check in purge_rules is reversed since commit 77ab, so the sweep purged fresh thumbnails",
            ),
        ],
    )
    causes = ground(case_with(truth), incident, draft()).causes
    assert (causes.items, causes.in_input, causes.ceiling) == (2, 1, 0.5)


def test_the_matcher_agrees_with_at_least_nine_in_ten_of_its_labelled_pairs():
    rows = [json.loads(line) for line in (REPO / "evals/datasets/matching.jsonl").read_text().splitlines() if line]
    calibration = calibrate(rows)
    assert calibration.pairs >= 50 and calibration.positives >= 25 and calibration.negatives >= 25
    assert calibration.agreement >= 0.9


def test_the_ceilings_rule_tells_a_restated_cause_from_a_line_about_the_same_components():
    rows = [json.loads(line) for line in (REPO / "evals/datasets/matching.jsonl").read_text().splitlines() if line]
    calibration = calibrate(rows)
    assert (calibration.stated_pairs, calibration.stated_agree) == (8, 5)


# --- claims and citations ---------------------------------------------------------------------


def test_a_cause_that_quotes_a_real_event_is_cited_and_one_that_quotes_nothing_is_unsupported():
    cited = 'The pool was shrunk at 2024-05-02 14:20 UTC: "the pool size is 2 in 4.2, it was 50".'
    invented = "Configuration changes reach production without validation."
    claims = causal_claims(draft(contributing_factors=[cited, invented]), INCIDENT)
    assert [(c.text, c.cited, c.supported) for c in claims] == [(cited, True, True), (invented, False, False)]


def test_a_citation_with_the_wrong_time_or_words_that_the_event_does_not_hold_does_not_count():
    wrong_time = 'Shrunk at 2024-05-02 14:21 UTC: "the pool size is 2 in 4.2"'
    wrong_words = 'Shrunk at 2024-05-02 14:20 UTC: "the pool size is 3 in 4.2"'
    claims = causal_claims(draft(lessons=[wrong_time, wrong_words]), INCIDENT)
    assert [c.cited for c in claims] == [False, False]


def test_a_citation_in_the_inputs_own_offset_names_the_same_minute():
    text = 'It started at 2024-05-02 16:00 (UTC+02:00): "checkout-api 4.2 deployed with a new connection pool".'
    assert causal_claims(draft(lessons=[text]), INCIDENT)[0].cited


def test_questions_and_labelled_hypotheses_are_open_not_unsupported():
    assert is_marked("What set the pool size to 2?")
    assert is_marked("Hypothesis (to confirm): the pool default changed in the library upgrade.")
    assert is_marked("The data does not state what set the pool size.")
    assert not is_marked("The pool default changed in the library upgrade.")


def test_a_systemic_cause_stated_without_evidence_and_what_an_action_addresses_are_checked_too():
    chain = WhyChain(
        problem="502s",
        branches=[
            WhyBranch(
                label="trigger",
                steps=[
                    WhyStep(
                        why="Why?",
                        because="The pool was 2.",
                        hypothesis=False,
                        evidence=[Evidence(at=at("14:20"), source="chat", excerpt="the pool size is 2 in 4.2")],
                    )
                ],
                root_cause="Releases are not load-tested.",
            )
        ],
    )
    action = ActionItem(title="Load-test releases", addresses="Releases are not load-tested.")
    unsupported = unsupported_claims(draft(root_cause=chain, action_items=[action]), INCIDENT)
    assert [(c.section, c.text) for c in unsupported] == [
        ("root cause", "Releases are not load-tested."),
        ("action addresses", "Releases are not load-tested."),
    ]


def test_evidence_that_names_no_real_event_does_not_support_a_step():
    chain = WhyChain(
        problem="502s",
        branches=[
            WhyBranch(
                label="trigger",
                root_cause="",
                steps=[
                    WhyStep(
                        why="Why?",
                        because="The database was down.",
                        hypothesis=False,
                        evidence=[Evidence(at=at("14:20"), source="chat", excerpt="the database was down")],
                    )
                ],
            )
        ],
    )
    assert [c.supported for c in causal_claims(draft(root_cause=chain), INCIDENT)] == [False]


def test_a_causal_sentence_in_the_summary_must_cite_too():
    summary = "Checkout returned 502s. It happened because the pool was too small."
    assert [(c.section, c.supported) for c in causal_claims(draft(summary=summary), INCIDENT)] == [("summary", False)]


# --- recall, ceiling, metrics -----------------------------------------------------------------


def case_with(truth: Truth) -> EvalCase:
    return EvalCase(id="c", kind="k", title="t", inputs=(), truth=truth)


def test_recall_counts_the_teams_causes_the_draft_states_and_the_ceiling_those_the_input_states():
    truth = Truth(
        root_causes=(
            "Release 4.2 set the checkout-api connection pool size to 2 instead of 50.",
            "The load test environment used a different pool configuration than production.",
        )
    )
    factor = 'Candidate: the release changed the pool, at 2024-05-02 14:20 UTC: "the pool size is 2 in 4.2, it was 50".'
    grounding = ground(case_with(truth), INCIDENT, draft(contributing_factors=[factor]))
    causes = grounding.causes
    assert (causes.items, causes.found, causes.in_input, causes.found_in_input) == (2, 1, 1, 1)
    assert (causes.rate, causes.ceiling, causes.within_ceiling) == (0.5, 0.5, 1.0)


def test_a_cause_only_asked_about_is_counted_apart_from_a_cause_stated():
    truth = Truth(root_causes=("The checkout-api connection pool size was set to 2 in release 4.2.",))
    question = "Did release 4.2 change the checkout-api connection pool size?"
    causes = ground(case_with(truth), INCIDENT, draft(contributing_factors=[question])).causes
    assert (causes.found, causes.asked) == (0, 1)


@pytest.mark.parametrize(
    ("text", "minutes"),
    [
        ("8 minutes", 8.0),
        ("5 hours 26 minutes (10:45 - 16:11 UTC)", 326.0),
        ("335 minutes", 335.0),
        ("1 day 2 hours", 1560.0),
        ("at least 30 mins (customer report)", 30.0),
        ("tenfold increase", None),
    ],
)
def test_stated_durations_are_read_in_minutes(text, minutes):
    assert minutes_in(text) == minutes


def test_stated_metrics_are_compared_within_a_minute_and_an_unknown_metric_is_a_miss():
    metrics = [
        Metric(name="time_to_detect", label="Time to detect", minutes=7.0),
        Metric(name="time_to_mitigate", label="Time to mitigate"),
    ]
    truth = Truth(stated={"time_to_detection": "8 minutes", "time_to_recovery": "30 minutes", "scope": "all users"})
    checks = ground(case_with(truth), INCIDENT, draft(metrics=metrics)).metrics
    assert [(m.metric, m.stated, m.drafted, m.accurate) for m in checks] == [
        ("time_to_detect", 8.0, 7.0, True),
        ("time_to_mitigate", 30.0, None, False),
    ]


def test_time_to_mitigate_must_be_known_when_the_input_states_the_resolution():
    unknown = [
        Metric(name="duration", label="Duration", start=at("14:00"), end=at("14:40"), minutes=40.0),
        Metric(name="time_to_mitigate", label="Time to mitigate", start=at("14:00")),
    ]
    assert ground(case_with(Truth()), INCIDENT, draft(metrics=unknown)).mitigation_known is False


# --- template leakage -------------------------------------------------------------------------


def test_a_line_that_differs_only_by_service_times_and_numbers_leaks_and_a_specific_line_does_not():
    first = draft(
        services=["checkout-api"],
        lessons=[
            "Add a one-step rollback for checkout-api, rehearsed every 30 days.",
            "The pool size of 2 in release 4.2 starved checkout requests.",
        ],
    )
    second = draft(services=["search"], lessons=["Add a one-step rollback for search, rehearsed every 90 days."])
    assert leaked_lines([("a", first), ("b", second)]) == {"a": (1, 2), "b": (1, 1)}


def test_normalising_removes_times_ids_numbers_and_the_incidents_services():
    assert normalised("At 2024-05-02 14:20 UTC checkout-api PR #4512 failed 3 times", ["checkout-api"]) == (
        "at",
        "pr",
        "failed",
        "times",
    )


# --- substance gates --------------------------------------------------------------------------


def substance_suite(value: float) -> SuiteSpec:
    def run(ctx: RunContext) -> SuiteResult:
        return SuiteResult(
            name="sub", title="Sub", metrics={"quality": 1.0, "recall": value}, cases=[CaseResult("only", headline=1.0)]
        )

    gates = (
        Gate("quality", 0.9, "quality >= 0.9"),
        Gate("recall", 0.9, "recall >= 0.9", substance=True, optional=True),
        Gate("absent", 0.5, "absent >= 0.5", substance=True, optional=True),
    )
    return SuiteSpec("sub", "Sub", run, gates)


def test_a_failed_substance_gate_fails_the_run_unless_its_suite_is_reported_only():
    blocking = evaluate([substance_suite(0.4)], RunContext())
    reported = evaluate([substance_suite(0.4)], RunContext(), report_only=["sub"])
    assert (blocking.exit_code, reported.exit_code) == (EXIT_QUALITY, EXIT_PASSED)
    assert "sub recall 0.400 < 0.9" in blocking.verdict
    assert reported.verdict == "the gates hold (sub) (gates of sub fall short, reported only)"
    assert "✗ falls short (reported only)" in reported.markdown


def test_an_optional_gate_whose_figure_the_suite_lacks_does_not_apply():
    outcome = evaluate([substance_suite(0.95)], RunContext())
    assert [g.metric for g in outcome.gates] == ["quality", "recall"]


def test_a_skipped_suite_is_named_as_skipped_in_the_verdict_not_as_holding():
    def skipped(ctx: RunContext) -> SuiteResult:
        return SuiteResult.skipped("real", "Real", "../shared/data/fulltext is not present")

    outcome = evaluate([SuiteSpec("real", "Real", skipped)], RunContext())
    assert outcome.verdict == "no suite ran; skipped: real (../shared/data/fulltext is not present)"


# --- the same verdict whatever the memory holds --------------------------------------------------


def test_the_drafting_suite_gives_the_same_figures_whatever_the_memory_holds(monkeypatch):
    from pm_agent.evals.cases import default_cases_dir, load_cases
    from pm_agent.evals.drafting import drafting_suite
    from pm_agent.models import RelatedIncident
    from pm_agent.service import PostmortemService

    cases = load_cases(default_cases_dir())[:2]
    empty = drafting_suite("drafting", "Drafting", cases, RunContext()).metrics
    remembered = [
        RelatedIncident(
            id="pm-0123456789abcdef",
            title="Pool exhausted in 2023",
            score=0.87,
            why=["shares 3 terms"],
            date=dt.date(2023, 4, 1),
        )
    ]
    monkeypatch.setattr(PostmortemService, "memory_in_use", lambda self: True)
    monkeypatch.setattr(PostmortemService, "related_incidents", lambda self, incident, k=5: remembered)
    assert drafting_suite("drafting", "Drafting", cases, RunContext()).metrics == empty


def test_the_figures_shown_with_a_related_incident_are_not_inventions():
    from pm_agent.guards.fidelity import unsupported_numbers
    from pm_agent.models import RelatedIncident
    from pm_agent.render.postmortem import render_markdown

    related = RelatedIncident(
        id="pm-0123456789abcdef",
        incident_id="INC-2031",
        title="Pool exhausted after 3 deploys",
        score=0.87,
        why=["shares 4 terms"],
        date=dt.date(2023, 4, 1),
    )
    postmortem = draft(related_incidents=[related])
    assert unsupported_numbers(render_markdown(postmortem), INCIDENT, postmortem) == []


def test_one_gate_of_any_kind_can_be_reported_only_by_naming_it():
    blocking = evaluate([substance_suite(0.4)], RunContext(), report_only=["sub:quality"])
    named = evaluate([substance_suite(0.4)], RunContext(), report_only=["sub:recall"])
    assert blocking.exit_code == EXIT_QUALITY and named.exit_code == EXIT_PASSED
    assert [(g.metric, g.blocking) for g in named.gates] == [("quality", True), ("recall", False)]
