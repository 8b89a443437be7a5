"""Property tests over the engines that read free text: blameless rewrite, rubric scoring, 5 Whys.

Any text gives a result, never an exception; and the blameless rewrite keeps its promise of
rewriting "without losing a fact": every number and timestamp of the input is still in the output.
"""

from __future__ import annotations

import re
from collections import Counter

from hypothesis import example, given, settings
from hypothesis import strategies as st
from incident_strategies import plain_words, words

from pm_agent.analysis.blameless.rewrite import detect_blame, rewrite_blameless
from pm_agent.analysis.rubric.scorer import score_markdown
from pm_agent.analysis.whys.chain import run_five_whys
from pm_agent.analysis.whys.review import review_chain

MANY = settings(max_examples=settings.default.max_examples)
FEW = settings(max_examples=max(10, settings.default.max_examples // 4))

# Blame phrasing, facts and glue, so that generated sentences trip the rules and their rewrites.
FRAGMENTS = (
    "Dave",
    "Bob's change",
    "Alice",
    "@sam",
    "the on-call engineer",
    "a careless engineer",
    "he",
    "we",
    "someone",
    "forgot to restart",
    "should have checked",
    "could have caught",
    "failed to",
    "neglected to",
    "ignored",
    "caused the outage",
    "broke prod",
    "pushed",
    "which caused",
    "because",
    "if Bob had",
    "obviously",
    "clearly",
    "just",
    "simply",
    "human error",
    "operator error",
    "lazy",
    "incompetent",
    "the dashboard",
    "the migration",
    "at 14:05",
    "at 14:05:30 UTC",
    "on 2024-03-01",
    "2024-03-01T14:05:00Z",
    "db-prod-3",
    "v2.3.1",
    "PR #4512",
    "INC-42",
    "40%",
    "3 times",
    "502s",
    "p99 of 2.5s",
    "10.0.0.1",
    "$1,200",
    "`payments-api`",
    "k8s",
    "S3",
    "for 45 minutes",
    "the",
    "and",
    "then",
    ",",
    ".",
    "!",
    "?",
    "\n",
    "- ",
    "(",
    ")",
    '"',
    "e.g.",
    "no.",
)
blame_texts = st.lists(
    st.one_of(st.sampled_from(FRAGMENTS), plain_words, st.integers(0, 10**9).map(str)), min_size=1, max_size=40
).map(" ".join)
free_texts = st.one_of(blame_texts, blame_texts, words, st.text(max_size=300))
_NUMBER = re.compile(r"\d+(?:[.:,]\d+)*")
_BLAME_TERMS_WITH_DIGITS = re.compile(r"(?i)\blayer[- ]?8\b|\bID10T\b")  # blame labels, not facts


def numbers(text: str) -> Counter[str]:
    """Every number and timestamp token (``14:05``, ``2.5``, ``1,200``, ``3``), counted."""
    return Counter(_NUMBER.findall(_BLAME_TERMS_WITH_DIGITS.sub(" ", text)))


@MANY
@given(free_texts)
@example("Bob pushed v2.3.1 at 14:05, which caused 502s for 45 minutes.")
@example("Dave should have checked the 3 dashboards before 2024-03-01T14:05:00Z.")
def test_the_blameless_rewrite_never_loses_a_number_or_a_timestamp(text):
    report = rewrite_blameless(text)
    assert report.original == text
    assert not numbers(text) - numbers(report.rewritten), (
        f"lost {numbers(text) - numbers(report.rewritten)} from {text!r}"
    )


def test_a_version_after_failed_to_keeps_the_time_before_it():
    text = "at 14:05 Dave failed to v2.3.1"
    assert numbers(rewrite_blameless(text).rewritten) == numbers(text)


@MANY
@given(free_texts)
def test_every_blame_finding_points_at_its_own_words_in_the_text(text):
    for finding in detect_blame(text):
        assert 0 <= finding.start < finding.end <= len(text)
        assert text[finding.start : finding.end] == finding.text
        assert finding.why  # the suggestion may be empty: a sentence that was only "sloppily" has nothing left


@FEW
@given(
    st.one_of(
        free_texts,
        st.lists(
            st.one_of(
                st.sampled_from(
                    [
                        "# Postmortem",
                        "## Summary",
                        "## Timeline",
                        "## Root cause",
                        "## Action items",
                        "## Impact",
                        "| a | b |",
                        "|---|---|",
                        "- [ ] Add an alert, owner: Dana, due 2024-04-01",
                        "```",
                        "> quote",
                        "1. because",
                        "* * *",
                    ]
                ),
                blame_texts,
            ),
            min_size=1,
            max_size=30,
        ).map("\n".join),
    )
)
def test_any_text_scores_between_1_and_5_on_every_criterion(text):
    result = score_markdown(text)
    assert result.criteria and all(1 <= criterion.score <= 5 for criterion in result.criteria)
    assert 1 <= result.weighted_average <= 5
    assert result.passed == (result.weighted_average >= result.pass_mark)


@MANY
@given(st.lists(free_texts.filter(str.strip), min_size=1, max_size=6))
def test_any_why_chain_gets_a_review_whose_verdict_is_ok_exactly_when_nothing_was_found(steps):
    review = review_chain(steps)
    assert review.ok is (not review.findings)
    assert review.ok or review.next_questions


@FEW
@given(free_texts.filter(str.strip), st.lists(free_texts, max_size=3))
def test_any_problem_statement_gets_a_five_whys_chain_ending_at_a_systemic_cause(problem, facts):
    chain = run_five_whys(problem.strip(), None, facts)
    assert chain.branches and all(branch.steps for branch in chain.branches)
