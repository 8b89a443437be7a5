"""The rubric scores any Markdown postmortem on eight weighted criteria, each score explained."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest

from pm_agent.analysis.rubric.reading import read
from pm_agent.analysis.rubric.scorer import RubricScale, load_rubric, score_markdown
from pm_agent.analysis.rubric.text import Signals, figures
from pm_agent.errors import PromptError
from pm_agent.markdown.document import parse_markdown
from pm_agent.resources import resource_path

FIXTURES = Path(__file__).resolve().parent / "fixtures" / "postmortems"
WEIGHTS = {
    "timeline_clarity": 1.2,
    "impact_quantification": 1.3,
    "root_cause_depth": 1.4,
    "corrective_actions_quality": 1.4,
    "blameless_tone": 1.3,
    "timeliness_follow_through": 1.0,
    "learning_sharing": 1.1,
    "completeness_structure": 1.0,
}

BASE = """\
# Search API latency incident

**Date:** 2024-06-04
**Severity:** SEV3
**Services:** search-api

## Summary

Search requests slowed down after an index rebuild, because the rebuild ran during peak traffic and competed with
queries for the same nodes. The team paused the rebuild and latency returned to normal the same morning.

## Impact

{impact}

## Timeline

{timeline}

## Root cause

{root_cause}

## Action items

{actions}

## Lessons learned

{lessons}
{extra}"""

PARTS = {
    "impact": "Search was slow for some users.",
    "timeline": "- 09:00 index rebuild started\n- 09:07 latency alert fired\n- 09:20 rebuild paused\n"
    "- 09:30 latency back to normal",
    "root_cause": "The rebuild used the same nodes as live queries, which caused CPU saturation.",
    "actions": "- Add a CI check that blocks index rebuilds during peak hours\n"
    "- Move index rebuilds to a dedicated node pool",
    "lessons": "- Rebuilds compete with queries unless they are isolated from them",
    "extra": "",
}


PARTS_SUMMARY = (
    "Search requests slowed down after an index rebuild, because the rebuild ran during peak traffic and competed "
    "with\nqueries for the same nodes. The team paused the rebuild and latency returned to normal the same morning."
)


def postmortem(**changes: str) -> str:
    return BASE.format(**{**PARTS, **changes})


def scores(markdown: str) -> dict[str, float]:
    return {c.id: c.score for c in score_markdown(markdown).criteria}


def criterion(markdown: str, criterion_id: str):
    return next(c for c in score_markdown(markdown).criteria if c.id == criterion_id)


def test_rubric_json_declares_eight_weighted_criteria_with_anchored_levels_and_the_pass_mark():
    rubric = load_rubric()
    assert {c.id: c.weight for c in rubric.criteria} == WEIGHTS
    assert rubric.pass_mark == 3.5
    assert rubric.scale == RubricScale(min=1, max=5, step=0.5)
    assert all(sorted(c.anchors) == [1, 2, 3, 4, 5] and c.description and c.signals for c in rubric.criteria)


def test_resource_path_finds_shipped_prompt_files_and_names_a_missing_one():
    path = resource_path("rubric.json")
    assert json.loads(path.read_text(encoding="utf-8"))["id"] == "pm-agent-postmortem-rubric"
    with pytest.raises(PromptError, match=r"prompt file 'nope\.json' is missing"):
        resource_path("nope.json")
    with pytest.raises(PromptError, match=r"invalid prompt file name '\.\./pyproject\.toml'"):
        resource_path("../pyproject.toml")


def test_a_broken_rubric_file_is_reported_with_its_path_and_the_fault(tmp_path):
    not_json = tmp_path / "broken.json"
    not_json.write_text("{ nope", encoding="utf-8")
    with pytest.raises(PromptError, match=r"broken\.json is not valid JSON \(line 1"):
        load_rubric(not_json)
    data = json.loads(resource_path("rubric.json").read_text(encoding="utf-8"))
    del data["criteria"][0]["anchors"]["3"]
    missing_anchor = tmp_path / "missing-anchor.json"
    missing_anchor.write_text(json.dumps(data), encoding="utf-8")
    with pytest.raises(PromptError, match=r"invalid at criteria\.0\.anchors: Value error, anchors must describe"):
        load_rubric(missing_anchor)


def test_the_poor_fixture_fails_well_below_the_pass_mark():
    result = score_markdown((FIXTURES / "poor.md").read_text(encoding="utf-8"))
    assert scores((FIXTURES / "poor.md").read_text(encoding="utf-8")) == {
        "timeline_clarity": 1.0,
        "impact_quantification": 2.0,
        "root_cause_depth": 1.0,
        "corrective_actions_quality": 1.5,
        "blameless_tone": 1.0,
        "timeliness_follow_through": 1.0,
        "learning_sharing": 1.0,
        "completeness_structure": 3.0,
    }
    assert (result.weighted_average, result.passed, result.pass_mark) == (1.41, False, 3.5)


def test_the_exemplary_fixture_passes_with_top_scores_and_nothing_left_to_improve():
    result = score_markdown((FIXTURES / "exemplary.md").read_text(encoding="utf-8"))
    assert [(c.id, c.score, c.to_improve) for c in result.criteria] == [(cid, 5.0, []) for cid in WEIGHTS]
    assert (result.weighted_average, result.passed) == (5.0, True)


def test_the_weighted_average_is_the_weight_normalised_mean_rounded_to_two_decimals():
    result = score_markdown(postmortem())
    expected = sum(c.weight * c.score for c in result.criteria) / sum(WEIGHTS.values())
    assert result.weighted_average == round(expected, 2)
    assert result.passed == (result.weighted_average >= 3.5)


@pytest.mark.parametrize("text", ["", "the server broke", "\x00\x01 garbage \ufffd |||", "# Title only"])
def test_a_bare_string_scores_one_on_every_criterion_and_says_why(text):
    result = score_markdown(text)
    assert [(c.id, c.score) for c in result.criteria] == [(cid, 1.0) for cid in WEIGHTS]
    assert all(c.evidence and c.to_improve for c in result.criteria)
    assert (result.weighted_average, result.passed) == (1.0, False)


def test_timeline_timestamps_a_stated_zone_and_order_each_raise_clarity():
    untimed = postmortem(timeline="- rebuild started\n- alert fired\n- rebuild paused")
    timed = postmortem()
    zoned = postmortem(timeline="All times in UTC.\n\n" + PARTS["timeline"])
    shuffled = postmortem(
        timeline="All times in UTC.\n\n- 09:20 rebuild paused\n- 09:00 index rebuild started\n"
        "- 09:07 latency alert fired\n- 09:30 latency back to normal"
    )
    assert [criterion(md, "timeline_clarity").score for md in (untimed, timed, zoned, shuffled)] == [1.0, 4.0, 4.5, 4.0]
    assert criterion(shuffled, "timeline_clarity").to_improve == [
        "add the missing moments (trigger, first alert, escalation, mitigation, all clear) as timestamped rows",
        "put the timeline rows in chronological order",
    ]


def test_impact_figures_raise_the_impact_score_and_each_is_quoted_as_evidence():
    figured = postmortem(impact="For 40 minutes, 1,200 users saw timeouts and 3% of searches failed.")
    words_only = criterion(postmortem(), "impact_quantification")
    assert words_only.score == 2.0
    assert criterion(figured, "impact_quantification").evidence == [
        "impact described in words ('failed', 'down', 'latency')",
        "impact states 3 figures (affected, duration, share): '1,200 users', '3%', '40 minutes'",
        "a dedicated impact section",
        "severity stated ('severity', 'sev3')",
    ]
    assert criterion(figured, "impact_quantification").score == 4.5


def test_human_error_as_the_cause_lowers_root_cause_depth_and_whys_with_factors_raise_it():
    blamed = postmortem(root_cause="Human error: the engineer started the rebuild at peak time.")
    deep = postmortem(
        root_cause=(
            "1. Why was search slow? Because the rebuild saturated CPU on the query nodes.\n"
            "2. Why did it share those nodes? Because the rebuild job has no dedicated pool.\n"
            "3. Why did it run at peak? Because scheduling has no guardrail for peak hours.\n\n"
            "Contributing factors:\n\n- no alert on rebuild CPU usage\n- the runbook lacks a pause step"
        )
    )
    assert [criterion(md, "root_cause_depth").score for md in (blamed, postmortem(), deep)] == [2.0, 3.0, 4.0]
    assert (
        "replace 'human error' with the conditions that made the error easy and undetected"
        in criterion(blamed, "root_cause_depth").to_improve
    )


def test_owners_and_due_dates_raise_the_actions_score_and_vague_actions_lower_it():
    vague = postmortem(actions="- Improve monitoring\n- Look into rebuilds")
    owned = postmortem(
        actions="- Add a CI check that blocks rebuilds at peak (Owner: Search team, due 2024-07-01)\n"
        "- Move index rebuilds to a dedicated node pool (@lena, due 2024-07-15)"
    )
    assert [criterion(md, "corrective_actions_quality").score for md in (vague, postmortem(), owned)] == [1.0, 3.5, 4.5]


def test_the_actions_criterion_explains_each_point_it_gives_and_withholds():
    mixed = postmortem(
        actions="- [x] Add a CI check that blocks rebuilds at peak (Owner: SRE, due 2024-07-01)\n"
        "- Look into better monitoring"
    )
    assert criterion(mixed, "corrective_actions_quality").model_dump() == {
        "id": "corrective_actions_quality",
        "name": "Corrective actions quality",
        "weight": 1.4,
        "score": 3.0,
        "evidence": [
            "2 action items",
            "1 of 2 address the causes this document states",
            "1 share little with the stated causes: 'Look into better monitoring'",
            "1 of 2 have an owner",
            "1 of 2 have a due date",
            "1 of 2 are specific (a concrete verb, a ticket, or done)",
            "1 vague: 'Look into better monitoring'",
            "1 preventive on this incident's causes (tests, alerts, guardrails, automation)",
        ],
        "to_improve": [
            "tie each action to a cause the document states: name the component or mechanism it changes",
            "give each action an owner (a named person or role)",
            "give each action a due date",
            "rewrite vague actions ('improve', 'look into', 'be careful') as a concrete change with a done-criterion",
        ],
    }


def test_blame_language_lowers_the_tone_and_each_finding_gets_a_rewrite_hint():
    blaming = postmortem(root_cause="The outage happened because Bob was careless. It was human error.")
    tone = criterion(blaming, "blameless_tone")
    assert criterion(postmortem(), "blameless_tone").score == 5.0
    assert tone.score <= 3.5
    assert any("human error" in e for e in tone.evidence)
    assert tone.to_improve and all(hint.startswith("rewrite '") for hint in tone.to_improve)


def test_stated_detection_and_recovery_times_raise_follow_through():
    stats = "\n## Stats\n\n- Time to detection: 7 minutes\n- Time to recovery: 30 minutes\n"
    tracked = stats + "\n## Attendees\n\n- Search team, SRE\n"
    assert [
        criterion(md, "timeliness_follow_through").score
        for md in (postmortem(), postmortem(extra=stats), postmortem(extra=tracked))
    ] == [1.5, 3.0, 3.5]


def test_reflection_sections_raise_learning_and_generic_lessons_lower_it():
    reflective = postmortem(
        extra="\n## What went well\n\n- The alert fired within 7 minutes\n\n"
        "## What went wrong\n\n- The rebuild was not scheduled outside peak hours\n"
    )
    generic = postmortem(lessons="- Be more careful with rebuilds")
    assert [criterion(md, "learning_sharing").score for md in (generic, postmortem(), reflective)] == [1.5, 2.0, 3.5]


def test_missing_sections_and_leftover_placeholders_lower_completeness():
    stripped = "# Search API latency incident\n\n## Summary\n\nSearch was slow.\n\n## Timeline\n\n- 09:00 rebuild\n"
    placeholder = postmortem(lessons="TBD")
    completeness = [criterion(md, "completeness_structure").score for md in (stripped, placeholder, postmortem())]
    assert completeness == [2.0, 3.5, 4.5]


@pytest.mark.shared_data
def test_real_postmortems_score_plausibly_and_every_criterion_is_explained(shared_data):
    paths = sorted((shared_data / "fulltext").glob("*.md"))
    results = {p.stem: score_markdown(p.read_text(encoding="utf-8")) for p in paths}
    assert len(results) == 10
    for name, result in results.items():
        assert 2.5 <= result.weighted_average <= 4.9, (name, result.weighted_average)
        for c in result.criteria:
            assert c.evidence and c.score * 2 == int(c.score * 2), (name, c.id)
    averages = sorted(r.weighted_average for r in results.values())
    assert 2.8 <= sum(averages) / len(averages) <= 4.0
    impact = {name: next(c.score for c in r.criteria if c.id == "impact_quantification") for name, r in results.items()}
    assert max(impact, key=impact.get).startswith("posthog")


def test_a_root_cause_still_marked_to_confirm_scores_lower_than_a_confirmed_one():
    confirmed = (FIXTURES / "exemplary.md").read_text()
    section_start = confirmed.index("## Root cause")
    section_end = confirmed.index("\n## ", section_start + 1)
    section = confirmed[section_start:section_end]
    hedged = section.replace("Because ", "Because (hypothesis, to confirm) ")
    unconfirmed = confirmed[:section_start] + hedged + confirmed[section_end:]

    def depth(markdown):
        return next(c for c in score_markdown(markdown).criteria if c.id == "root_cause_depth")

    assert (depth(confirmed).score, depth(unconfirmed).score) == (5.0, 4.5)
    open_lines = "10 sentences of the analysis still open (questions, hypotheses, 'to confirm')"
    assert open_lines in depth(unconfirmed).evidence
    assert (
        "answer the open questions and confirm the hypotheses with evidence (logs, diffs, graphs)"
        in depth(unconfirmed).to_improve
    )


# --- substance, not markers ------------------------------------------------------------------------

OPEN_SUMMARY = "Search requests slowed down on the morning of 4 June while an index rebuild ran on the query nodes."
UNRELATED_CAUSE = (
    "The TLS certificate of the partner gateway expired because cert-manager could not complete the "
    "ACME HTTP-01 challenge: a WAF rule blocked the challenge path, and renewal failures went to a "
    "mailbox nobody reads."
)


def test_questions_and_hypotheses_in_the_root_cause_section_state_no_cause():
    asked = BASE.format(
        **{
            **PARTS,
            "root_cause": (
                "- Why did the rebuild slow down search? (to confirm)\n"
                "- Hypothesis: the rebuild competed with queries for CPU.\n"
                "- Which safeguard should have stopped it?"
            ),
        }
    ).replace(PARTS_SUMMARY, OPEN_SUMMARY)
    empty = BASE.format(**{**PARTS, "root_cause": ""}).replace(PARTS_SUMMARY, OPEN_SUMMARY)
    depth = criterion(asked, "root_cause_depth")
    assert (depth.score, criterion(empty, "root_cause_depth").score) == (1.0, 1.0)
    assert depth.evidence == ["4 sentences of the analysis still open (questions, hypotheses, 'to confirm')"]


def test_a_root_cause_from_another_incident_loses_its_credit_and_is_named_as_such():
    own, pasted = postmortem(), postmortem(root_cause=UNRELATED_CAUSE)
    # the pasted section costs a point; what the summary itself explains still counts
    assert [criterion(md, "root_cause_depth").score for md in (own, pasted)] == [3.0, 1.5]
    assert criterion(pasted, "root_cause_depth").evidence[0] == (
        "the cause sections share almost no components or mechanisms with the summary, timeline and actions: "
        "they read as another incident's causes, which misleads more than a gap"
    )


def test_well_formed_actions_about_another_system_earn_little_for_their_form():
    elsewhere = postmortem(
        actions=(
            "- Add an alert on consumer lag for the billing-events queue (owner: Payments on-call, due 2024-09-30)\n"
            "- Pin the TLS certificate renewal job for the partner gateway (owner: Edge team, due 2024-10-15)"
        )
    )
    aimed = postmortem(
        actions=(
            "- Add a CI check that blocks index rebuilds during peak hours (owner: Search team, due 2024-07-01)\n"
            "- Move index rebuilds to a dedicated node pool (owner: Search team, due 2024-07-15)"
        )
    )
    assert [criterion(md, "corrective_actions_quality").score for md in (elsewhere, aimed)] == [1.0, 4.5]
    assert criterion(elsewhere, "corrective_actions_quality").evidence[:2] == [
        "2 action items",
        "0 of 2 address the causes this document states",
    ]


def test_lessons_in_the_incidents_own_terms_beat_generic_ones_and_questions_are_not_lessons():
    specific = postmortem(
        lessons="- Index rebuilds compete with live queries for the same nodes unless isolated\n"
        "- Peak traffic hours need a guard against rebuilds on the query nodes"
    )
    generic = postmortem(lessons="- Testing matters before every change\n- Documentation should be kept current")
    asked = postmortem(lessons="- What should we change about rebuilds?\n- Could a guard have stopped it?")
    assert [criterion(md, "learning_sharing").score for md in (specific, generic, asked)] == [2.0, 1.0, 1.0]
    assert criterion(generic, "learning_sharing").evidence[0] == (
        "1 lesson, none specific to this incident: 'Documentation should be kept current'"
    )


def test_a_lesson_that_only_quotes_timeline_entries_one_after_another_counts_half_and_one_in_its_own_words_in_full():
    lessons = postmortem(
        lessons="- Rebuilds on the query nodes slow search for everyone: index rebuild started (deploy, 2024-06-04 "
        "09:00); what ended it: rebuild paused (chat, 2024-06-04 09:20)\n"
        "- As it went: index rebuild started (deploy, 2024-06-04 09:00); then: rebuild paused (chat, 2024-06-04 "
        "09:20)\n"
        "- Seen first: latency alert fired (alert, 2024-06-04 09:07)\n"
    )
    assert [(s.text, s.weight) for s in read(parse_markdown(lessons)).of("lessons")] == [
        (
            "Rebuilds on the query nodes slow search for everyone: index rebuild started  ; what ended it: rebuild "
            "paused",
            1.0,
        ),
        ("As it went: index rebuild started  ; then: rebuild paused", 0.5),
        ("Seen first: latency alert fired", 0.25),
    ]


OPEN_FACT_LINES = [
    "**Systemic cause:** not established by the data. Ask: What let index rebuilds run on the query nodes during "
    "peak traffic?",
    "**System gap:** What let index rebuilds run on the query nodes during peak traffic?",
    "**Component:** to be confirmed (the rebuild scheduler or the query nodes)",
]


@pytest.mark.parametrize("open_line", OPEN_FACT_LINES)
def test_an_open_question_in_a_labelled_line_does_not_stop_actions_from_addressing_the_stated_cause(open_line):
    # 'Systemic cause: not established' is no list of the systems involved: its words stay the cause's words
    asked = postmortem(root_cause=PARTS["root_cause"] + "\n\n" + open_line)
    plain, with_question = (criterion(md, "corrective_actions_quality") for md in (postmortem(), asked))
    assert (with_question.score, with_question.evidence) == (plain.score, plain.evidence)


def test_template_labels_and_absences_earn_nothing():
    labelled = postmortem(impact="**Not in the data yet:** users affected, failed requests, revenue.").replace(
        "**Severity:** SEV3", "**Severity:** not stated"
    )
    assert "severity" not in criterion(labelled, "completeness_structure").evidence[0]
    assert criterion(labelled, "impact_quantification").evidence[:2] == [
        "impact described in words ('down', 'latency')",
        "no impact figures",
    ]
    assert "a dedicated impact section" not in criterion(labelled, "impact_quantification").evidence


def test_an_impact_section_that_only_asks_is_no_impact_section_and_its_figures_are_not_the_documents():
    asked = postmortem(impact="- How many of the 4 regions saw 30 minutes of errors for 12% of users?")
    assert criterion(asked, "impact_quantification") == criterion(postmortem(impact=""), "impact_quantification")


def test_a_metric_or_review_the_document_asks_about_or_marks_unknown_is_not_recorded():
    plain = criterion(postmortem(), "timeliness_follow_through")
    for extra in (
        "\n**Time to detect:** not in the data (see question 3)\n",
        "\n**Attendees:** to be confirmed\n",
        "\n## Open questions\n\n- When will the review meeting be held, and who attends?\n",
    ):
        assert criterion(postmortem(extra=extra), "timeliness_follow_through") == plain, extra


def test_a_review_stated_beside_a_question_is_still_recorded():
    held = postmortem(extra="\nWe held the review meeting on 2024-06-06. Who else should read it?\n")
    assert "review recorded ('review meeting')" in criterion(held, "timeliness_follow_through").evidence


def test_what_the_data_does_not_say_or_what_to_ask_is_no_cause():
    plain = criterion(postmortem(), "root_cause_depth")
    for line in (
        "The data does not say which scheduler started the rebuild on the query nodes during peak traffic.",
        "Ask: the search team which scheduler started the rebuild on the query nodes during peak traffic.",
    ):
        asked = criterion(postmortem(root_cause=PARTS["root_cause"] + "\n\n" + line), "root_cause_depth")
        assert (asked.score, asked.evidence) == (
            plain.score,
            [*plain.evidence, "1 sentence of the analysis still open (questions, hypotheses, 'to confirm')"],
        ), line


def test_a_sentence_that_says_what_the_data_lacks_but_goes_on_to_state_a_finding_states_it():
    hedged = criterion(
        postmortem(
            root_cause=(
                "The data does not state the cause, but it records that the rebuild used the same nodes as live queries, "
                "which caused CPU saturation."
            )
        ),
        "root_cause_depth",
    )
    assert hedged.evidence == [
        "the cause sections state 1 cause about this incident",
        "2 causal explanations ('because', 'due to', 'caused')",
    ]


def test_a_key_fact_marked_not_established_is_not_stated():
    unsettled = postmortem().replace("**Severity:** SEV3", "**Severity:** not established")
    assert criterion(unsettled, "completeness_structure").evidence[0] == (
        "6 of 7 expected sections; key facts: title, date, services"
    )


def test_the_more_of_the_analysis_is_still_open_the_less_complete_the_document_can_score():
    questions = [
        "What started the rebuild at peak time?",
        "Which alert should have fired first?",
        "Why did the rebuild share nodes with queries?",
        "Who owns the rebuild schedule?",
    ]

    def completeness(open_count: int) -> float:
        asked = "\n".join(f"- {q}" for q in questions[:open_count])
        return criterion(postmortem(root_cause=PARTS["root_cause"] + "\n\n" + asked), "completeness_structure").score

    assert [completeness(n) for n in (0, 1, 3)] == [4.5, 4.0, 3.5]


def test_a_sentence_in_the_cause_section_that_says_it_is_not_the_cause_explains_nothing():
    recovery = "About the recovery, not the incident's cause: the rollback was held up due to a Terraform state lock."
    with_it = criterion(postmortem(root_cause=PARTS["root_cause"] + "\n\n" + recovery), "root_cause_depth")
    without = criterion(postmortem(), "root_cause_depth")

    assert (with_it.score, with_it.evidence) == (without.score, without.evidence)


def test_an_actions_priority_is_not_the_incidents_severity():
    table = (
        "| Action | Owner | Due | Priority |\n|---|---|---|---|\n"
        "| Move index rebuilds to a dedicated node pool | SRE lead | 2024-07-15 | P1 |"
    )
    unrated = postmortem(actions=table).replace("**Severity:** SEV3\n", "")
    assert criterion(unrated, "completeness_structure").evidence[0] == (
        "6 of 7 expected sections; key facts: title, date, services"
    )


def test_an_owner_the_document_marks_as_not_in_the_data_is_no_owner():
    table = (
        "| Action | Owner | Due |\n|---|---|---|\n"
        "| Add a CI check that blocks index rebuilds during peak hours | {owner} | 2024-07-01 |\n"
        "| Move index rebuilds to a dedicated node pool | {owner} | 2024-07-15 |"
    )
    unnamed = criterion(postmortem(actions=table.format(owner="not in the data")), "corrective_actions_quality")
    assert "0 of 2 have an owner" in unnamed.evidence
    assert unnamed == criterion(postmortem(actions=table.format(owner="—")), "corrective_actions_quality")


def test_a_question_the_data_leaves_open_is_not_answered_by_saying_so():
    asked = criterion(
        postmortem(
            root_cause=PARTS["root_cause"] + "\n\n- What started the rebuild at peak time? The data does not say."
        ),
        "root_cause_depth",
    )
    assert "1 sentence of the analysis still open (questions, hypotheses, 'to confirm')" in asked.evidence


def test_a_done_action_that_only_repeats_a_timeline_entry_counts_a_quarter_toward_the_causes():
    # the timeline already records 'rebuild paused'; listing it again as done is the record, not a corrective action
    copied = postmortem(actions="- Rebuild paused (done)\n- Move index rebuilds to a dedicated node pool")
    written = postmortem(
        actions="- Paused the rebuild on the query nodes at peak traffic (done)\n"
        "- Move index rebuilds to a dedicated node pool"
    )
    assert criterion(copied, "corrective_actions_quality").evidence[:2] == [
        "2 action items",
        "1 of 2 address the causes this document states",
    ]
    assert criterion(written, "corrective_actions_quality").evidence[:2] == [
        "2 action items",
        "2 of 2 address the causes this document states",
    ]


def test_a_duration_is_one_figure_however_many_units_or_clock_times_state_it():
    signals = Signals("impact_quantification", load_rubric().criterion("impact_quantification").signals)
    assert figures("The issue lasted 5 hours 26 minutes.", signals) == {"duration": ["5 hours 26 minutes"]}
    assert figures("Impact from 10:45 - 16:11 UTC, about 1 h and 5 min of it severe.", signals) == {
        "duration": ["10:45 - 16:11", "1 h and 5 min"]
    }
    both = postmortem(impact="Search was slow for 5 hours 26 minutes (10:45 - 16:11 UTC).")
    assert criterion(both, "impact_quantification").evidence[1] == (
        "impact states 2 figures (duration): '5 hours 26 minutes', '10:45 - 16:11'"
    )
    assert (
        criterion(both, "impact_quantification").score
        == criterion(postmortem(impact="Search was slow for 5 hours 26 minutes."), "impact_quantification").score
    )


def test_approximate_times_are_timeline_rows_and_say_so():
    approximate = postmortem(
        timeline="- ± 09:00 index rebuild started\n- ~09:07 latency alert fired\n"
        "- around 09:20 rebuild paused\n- 09:30 latency back to normal"
    )
    clarity = criterion(approximate, "timeline_clarity")
    assert clarity.score == criterion(postmortem(), "timeline_clarity").score
    assert clarity.evidence[:2] == [
        "timeline has 4 timestamped rows",
        "3 rows with a time marked as approximate ('~', '±', 'around')",
    ]


def test_systemic_statements_about_ownership_are_not_blame():
    systemic = postmortem(
        root_cause=(
            "The rebuild ran at peak because nobody was responsible for testing this procedure, and no schedule "
            "guarded the query nodes. Appointing an incident manager could have helped the response."
        )
    )
    assert criterion(systemic, "blameless_tone").score == 5.0
    assert not any("people" in e for e in criterion(systemic, "root_cause_depth").evidence)


@pytest.mark.parametrize(
    "hostile", ['"' * 60000, "(" * 60000, "# " + "Why? " * 20000, "- " + "a " * 60000, "| a " * 30000 + "\n|---|\n"]
)
def test_hostile_input_scores_in_linear_time(hostile):
    started = time.perf_counter()
    result = score_markdown(hostile)
    assert 1 <= result.weighted_average <= 5
    assert time.perf_counter() - started < 5


def test_a_systemic_condition_the_summary_explains_counts_as_the_analysis_reaching_it():
    """The summary's causal sentences already count as causes and mechanisms; the systemic gap one of them names
    ("a result of the default settings of the scheduler") reaches a systemic condition too, wherever it is written."""
    plain = postmortem(root_cause="The rebuild used the same nodes as live queries.")
    systemic = plain.replace(
        "The team paused the rebuild",
        "The rebuild ran at peak as a result of the default settings of the job scheduler. The team paused the rebuild",
    )
    reached = [e for e in criterion(systemic, "root_cause_depth").evidence if e.startswith("reaches systemic")]
    assert reached == ["reaches systemic conditions: 'The rebuild ran at peak as a result of the default settings…'"]
    assert not [e for e in criterion(plain, "root_cause_depth").evidence if e.startswith("reaches systemic")]
    assert criterion(systemic, "root_cause_depth").score > criterion(plain, "root_cause_depth").score
