"""The blameless-language engine: blame found, rewritten toward the system, every fact kept.

The labelled set (evals/datasets/blameless.jsonl) was written before the detector; the rules it
follows are in the docstring of pm_agent.analysis.blameless.rewrite.
"""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pm_agent.analysis.blameless.checks import lost_words, rewrite_problems
from pm_agent.analysis.blameless.rewrite import ADVICE, WHY, detect_blame, fact_tokens, is_blameful, rewrite_blameless
from pm_agent.evals.context import RunContext
from pm_agent.evals.labelled import run_blameless
from pm_agent.models import BlameFinding, BlamelessReport

DATASET = Path(__file__).resolve().parents[1] / "evals" / "datasets" / "blameless.jsonl"
CATEGORIES = ("person_as_cause", "counterfactual", "character_judgement", "human_error", "hindsight", "role_blame")
ROWS = [json.loads(line) for line in DATASET.read_text(encoding="utf-8").splitlines() if line.strip()]
BLAMEFUL = [row for row in ROWS if row["blameful"]]
NEUTRAL = [row for row in ROWS if not row["blameful"]]


def missing_facts(original: str, rewritten: str) -> list[str]:
    """Fact tokens of ``original`` that ``rewritten`` lost (counting repeats)."""
    return sorted((Counter(fact_tokens(original)) - Counter(fact_tokens(rewritten))).elements())


# --- the labelled set ------------------------------------------------------------------------------


def test_labelled_set_is_large_balanced_and_covers_every_category():
    per_category = Counter(category for row in BLAMEFUL for category in row["categories"])
    assert len(ROWS) >= 160
    assert len({row["id"] for row in ROWS}) == len(ROWS)
    assert 0.4 <= len(BLAMEFUL) / len(ROWS) <= 0.6
    assert {category: per_category[category] >= 10 for category in CATEGORIES} == dict.fromkeys(CATEGORIES, True)
    assert [row["id"] for row in NEUTRAL if row["categories"]] == []
    assert [(row["id"], fact) for row in ROWS for fact in row["facts"] if fact not in row["text"]] == []


def test_detector_reaches_precision_and_recall_of_0_9_on_the_labelled_set():
    flagged = {row["id"]: bool(detect_blame(row["text"])) for row in ROWS}
    true_positives = sum(flagged[row["id"]] for row in BLAMEFUL)
    false_positives = [row["text"] for row in NEUTRAL if flagged[row["id"]]]
    misses = [row["text"] for row in BLAMEFUL if not flagged[row["id"]]]
    precision = true_positives / max(1, true_positives + len(false_positives))
    recall = true_positives / len(BLAMEFUL)
    report = f"precision={precision:.3f} recall={recall:.3f}; false positives={false_positives}; misses={misses}"
    assert precision >= 0.9 and recall >= 0.9, report


def test_detector_names_the_labelled_categories():
    counts = {category: Counter() for category in CATEGORIES}
    for row in ROWS:
        found = {finding.category for finding in detect_blame(row["text"])}
        for category in CATEGORIES:
            labelled = category in row["categories"]
            outcome = {(True, True): "tp", (False, True): "fp", (True, False): "fn"}.get((labelled, category in found))
            if outcome:
                counts[category][outcome] += 1
    scores = {
        category: (
            round(c["tp"] / max(1, c["tp"] + c["fp"]), 3),
            round(c["tp"] / max(1, c["tp"] + c["fn"]), 3),
        )
        for category, c in counts.items()
    }
    assert all(precision >= 0.9 and recall >= 0.9 for precision, recall in scores.values()), scores


def test_fact_tokens_find_every_fact_listed_in_the_set():
    unfound = [(row["id"], fact) for row in ROWS for fact in row["facts"] if fact not in fact_tokens(row["text"])]
    assert unfound == []


def test_rewrites_of_blameful_sentences_keep_every_fact():
    lost = {}
    for row in BLAMEFUL:
        rewritten = rewrite_blameless(row["text"]).rewritten
        listed = [fact for fact in row["facts"] if fact not in rewritten]
        if listed or missing_facts(row["text"], rewritten):
            lost[row["id"]] = (rewritten, listed, missing_facts(row["text"], rewritten))
    preserved = 1 - len(lost) / len(BLAMEFUL)
    assert lost == {}, f"fact preservation {preserved:.3f}"


def test_blameful_sentences_are_either_rewritten_without_blame_or_left_as_written_and_flagged():
    outcomes = {}
    for row in BLAMEFUL:
        report = rewrite_blameless(row["text"])
        if report.rewritten == row["text"]:
            outcomes[row["id"]] = ("flagged", {f.rewritten for f in report.findings})
        elif detect_blame(report.rewritten):
            outcomes[row["id"]] = ("still blameful", report.rewritten)
    assert {key: value for key, value in outcomes.items() if value != ("flagged", {False})} == {}
    assert len(outcomes) <= 0.05 * len(BLAMEFUL)  # flagging is the exception, not the way out


def test_neutral_sentences_come_back_unchanged():
    changed = [row["text"] for row in NEUTRAL if rewrite_blameless(row["text"]).rewritten != row["text"]]
    assert changed == []


def test_every_finding_span_indexes_into_its_text():
    paragraphs = [" ".join(row["text"] for row in ROWS[i : i + 5]) for i in range(0, len(ROWS), 5)]
    texts = [row["text"] for row in ROWS] + paragraphs
    misplaced = [
        (f.text, text[f.start : f.end]) for text in texts for f in detect_blame(text) if text[f.start : f.end] != f.text
    ]
    assert misplaced == []


# --- behaviour named in the brief ------------------------------------------------------------------


def test_rewrite_moves_the_subject_from_person_to_system_and_keeps_the_action():
    text = "Bob pushed an unvalidated config to production, which caused the outage."
    rewritten = "An unvalidated config was pushed to production, which caused the outage."
    assert rewrite_blameless(text).rewritten == rewritten


def test_a_missed_alert_becomes_an_alert_that_led_to_no_response():
    text = "The on-call engineer failed to notice the alert at 14:05."
    suggestion = "The alert at 14:05 did not lead to a response."
    assert detect_blame(text) == [
        BlameFinding(
            start=0,
            end=20,
            text="The on-call engineer",
            category="role_blame",
            why=WHY["role_blame"],
            suggestion=suggestion,
        ),
        BlameFinding(
            start=0,
            end=37,
            text="The on-call engineer failed to notice",
            category="counterfactual",
            why=WHY["counterfactual"],
            suggestion=suggestion,
        ),
    ]


def test_human_error_becomes_a_process_that_allowed_the_action():
    report = rewrite_blameless("This was human error.")
    assert (report.rewritten, [(f.category, f.text) for f in report.findings]) == (
        "The process allowed this action without a safeguard.",
        [("human_error", "human error")],
    )


def test_a_persons_change_as_cause_keeps_the_change_and_drops_the_person():
    assert rewrite_blameless("Bob's change to `cart-service` at 14:02 caused the outage.").rewritten == (
        "The change to `cart-service` at 14:02 caused the outage."
    )


def test_caused_by_a_person_becomes_an_action_no_safeguard_stopped():
    assert rewrite_blameless("The outage was caused by Alice.").rewritten == (
        "The outage was caused by an action that no safeguard stopped."
    )


def test_a_judgement_of_character_is_dropped_and_the_action_kept():
    assert rewrite_blameless("The careless intern deleted the `assets` bucket at 09:12.").rewritten == (
        "The intern deleted the `assets` bucket at 09:12."
    )


@pytest.mark.parametrize(
    "text",
    [
        "The deploy failed.",
        "The health check should have returned 200.",
        "The job failed to start because the disk was full.",
        "The on-call engineer acknowledged the page at 14:05.",
        "Alice restarted the pod at 14:10 and latency recovered.",
        "We simply lacked an alert for this.",
        "The cache failed to warm.",
        "The script should have retried.",
        "The outage started when Bob deployed v1.2.0 at 09:00.",
        "The Datadog agent failed to ship logs after the upgrade to 7.50.",
    ],
)
def test_near_misses_are_left_alone(text):
    assert rewrite_blameless(text) == BlamelessReport(original=text, rewritten=text, findings=[])


def test_only_the_blameful_sentences_of_a_paragraph_change():
    text = (
        "## Timeline\n"
        "- 14:05 Bob deployed v2.3.1 to `checkout`.\n"
        "- 14:07 Errors spiked to 12%.  Dave should have rolled back the deploy at 14:08!\n"
        "- 14:20 Latency recovered."
    )
    report = rewrite_blameless(text)
    assert report.rewritten == (
        "## Timeline\n"
        "- 14:05 Bob deployed v2.3.1 to `checkout`.\n"
        "- 14:07 Errors spiked to 12%.  The deploy was not rolled back at 14:08!\n"
        "- 14:20 Latency recovered."
    )
    assert [(f.category, f.text, text[f.start : f.end]) for f in report.findings] == [
        ("counterfactual", "Dave should have rolled", "Dave should have rolled")
    ]


def test_empty_text_has_no_findings_and_rewrites_to_itself():
    assert (detect_blame(""), rewrite_blameless(""), is_blameful("")) == (
        [],
        BlamelessReport(original="", rewritten="", findings=[]),
        False,
    )


def test_unicode_names_curly_apostrophes_and_emoji_keep_spans_and_facts():
    text = "Zoë restarted `cache-eu` in São Paulo 🚀. José’s script wiped `ledger` at 04:00, which caused 502s."
    report = rewrite_blameless(text)
    assert report.rewritten == (
        "Zoë restarted `cache-eu` in São Paulo 🚀. The script wiped `ledger` at 04:00, which caused 502s."
    )
    assert [(f.category, text[f.start : f.end]) for f in report.findings] == [
        ("person_as_cause", "José’s script wiped")
    ]


def test_a_fact_named_inside_a_role_survives_the_rewrite():
    text = "The `checkout` on-call engineer failed to notice the alert at 14:05."
    assert rewrite_blameless(text).rewritten == "The alert at 14:05 did not lead to a response (`checkout`)."


def test_is_blameful_answers_for_whole_texts():
    answers = [
        is_blameful("Latency recovered at 14:20. Obviously, the DBA should have seen it coming."),
        is_blameful("Latency recovered at 14:20. Alice closed the incident."),
    ]
    assert answers == [True, False]


# --- fact tokens -----------------------------------------------------------------------------------


def test_fact_tokens_keep_systems_and_leave_out_people():
    text = (
        "Alice and Priya saw PgBouncer on db-prod-3 reject 1,200 connections at 14:05 after "
        "PR #4512 (v2.3.1, INC-42) hit api.example.com and `payments-api`; Kafka lag hit 40%."
    )
    assert fact_tokens(text) == [
        "PgBouncer",
        "db-prod-3",
        "1,200",
        "14:05",
        "PR #4512",
        "v2.3.1",
        "INC-42",
        "api.example.com",
        "`payments-api`",
        "Kafka",
        "40%",
    ]


def test_fact_tokens_do_not_mistake_roles_or_blame_terms_for_facts():
    assert fact_tokens("The on-call DBA called it PEBKAC, a layer 8 issue, in a hard-coded follow-up.") == []


# --- real postmortems nobody on the project wrote -------------------------------------------------


@pytest.mark.shared_data
def test_real_postmortems_keep_every_fact_when_rewritten(shared_data):
    lost = {}
    for path in sorted((shared_data / "fulltext").glob("*.md")):
        text = path.read_text(encoding="utf-8")
        missing = missing_facts(text, rewrite_blameless(text).rewritten)
        if missing:
            lost[path.name] = missing
    assert lost == {}


# --- the labelled rewrite set ----------------------------------------------------------------------

REWRITE_ROWS = [
    json.loads(line)
    for line in (DATASET.parent / "blameless_rewrites.jsonl").read_text(encoding="utf-8").splitlines()
    if line.strip()
]
STYLES = ("chat", "timeline", "narrative", "summary", "ticket", "passive")


def test_rewrite_set_has_60_blameful_cases_in_six_styles_with_facts_found_in_their_text():
    per_style = Counter(row["style"] for row in REWRITE_ROWS)
    assert sum(row["blameful"] for row in REWRITE_ROWS) >= 60
    assert len({row["id"] for row in REWRITE_ROWS}) == len(REWRITE_ROWS)
    assert {style: per_style[style] >= 5 for style in STYLES} == dict.fromkeys(STYLES, True)
    assert [(row["id"], f) for row in REWRITE_ROWS for f in row["facts"] if f.lower() not in row["text"].lower()] == []
    assert [row["id"] for row in REWRITE_ROWS if row["blameful"] and not row["forbidden"]] == []
    assert [row["id"] for row in REWRITE_ROWS if not row["blameful"] and (row["facts"] or row["forbidden"])] == []


def test_the_eval_finds_no_broken_fact_losing_or_still_blameful_rewrite_in_either_set():
    result = run_blameless(RunContext())
    gated = (
        "precision",
        "recall",
        "rewrites_precision",
        "rewrites_recall",
        "rewrite_intact",
        "rewrite_facts_kept",
        "rewrite_no_residue",
    )
    assert ([(f.case_id, f.reasons) for f in result.failures], {m: result.metrics[m] for m in gated}) == (
        [],
        dict.fromkeys(gated, 1.0),
    )
    assert result.metrics["rewritten_share"] >= 0.9


# --- rewrites that read as English -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "rewritten"),
    [
        ("Priya made a mistake and deleted the staging bucket at 09:40.", "The staging bucket was deleted at 09:40."),
        (
            "Ken made an error in the retry policy for `billing-api`.",
            "There was an error in the retry policy for `billing-api`.",
        ),
        (
            "The new hire made a costly mistake when she truncated the `events` table.",
            "There was an error when the `events` table was truncated.",
        ),
        ("Our SRE screwed up the certificate rollout on edge-2.", "The certificate rollout on edge-2 went wrong."),
        (
            "The contractor bungled the migration of 40 tenants to cluster-b.",
            "The migration of 40 tenants to cluster-b went wrong.",
        ),
        (
            "The data team dropped the ball on renewing the warehouse licence before 2024-06-30.",
            "The warehouse licence was not renewed before 2024-06-30.",
        ),
        (
            "Sadly we dropped the ball and the nightly backup silently stopped on 2024-02-11.",
            "Sadly the nightly backup silently stopped on 2024-02-11.",
        ),
        (
            "The approver was asleep at the wheel and merged PR #5120 with failing tests.",
            "PR #5120 was merged with failing tests.",
        ),
        (
            "Honestly, Kai fat-fingered the instance count and scaled `api` to 1.",
            "Honestly, the instance count was mistyped and `api` was scaled to 1.",
        ),
    ],
)
def test_blame_idioms_are_rewritten_keeping_what_happened(text, rewritten):
    assert rewrite_blameless(text).rewritten == rewritten


@pytest.mark.parametrize(
    ("text", "rewritten"),
    [
        (
            "If only Tomas had read the alert, we would have failed over by 03:10.",
            "If the alert had been read, we would have failed over by 03:10.",
        ),
        (
            "Had the on-call drained node-7 first, no requests would have been lost.",
            "Had node-7 been drained first, no requests would have been lost.",
        ),
        (
            "The release manager failed to check the error budget and promoted v5.1 to all regions.",
            "The error budget was not checked and v5.1 was promoted to all regions.",
        ),
        (
            "Sam clearly didn't check the replication lag before the switchover.",
            "The replication lag was not checked before the switchover.",
        ),
        ("@omar you should have paused the rollout at 11:20", "The rollout was not paused at 11:20"),
        ("- 09:12 She ignored the CPU alert on web-3", "- 09:12 The CPU alert on web-3 did not lead to a response"),
    ],
)
def test_counterfactuals_and_hindsight_become_what_did_not_happen(text, rewritten):
    assert rewrite_blameless(text).rewritten == rewritten


@pytest.mark.parametrize(
    ("text", "rewritten"),
    [
        (
            "The cache was flushed by Dana at 12:00, which caused a spike of 5xx.",
            "The cache was flushed at 12:00, which caused a spike of 5xx.",
        ),
        (
            "The pager alert was ignored by the on-call for 40 minutes.",
            "The pager alert did not lead to a response for 40 minutes.",
        ),
        (
            "Careless testing by the mobile team let the crash reach 8% of users.",
            "Incomplete testing let the crash reach 8% of users.",
        ),
        (
            "Support agents were lazy and closed 120 tickets without replying.",
            "Support agents closed 120 tickets without replying.",
        ),
    ],
)
def test_a_person_named_by_a_passive_or_behind_a_judgement_goes_and_the_action_stays(text, rewritten):
    assert rewrite_blameless(text).rewritten == rewritten


def test_a_sentence_no_rewrite_can_fix_is_left_as_written_and_flagged_with_advice():
    text = "Mistakes were made by Ravi during the database upgrade."
    assert rewrite_blameless(text) == BlamelessReport(
        original=text,
        rewritten=text,
        findings=[
            BlameFinding(
                start=0,
                end=26,
                text="Mistakes were made by Ravi",
                category="person_as_cause",
                why=WHY["person_as_cause"],
                suggestion="Left as written: " + ADVICE["person_as_cause"],
                rewritten=False,
            )
        ],
    )


def test_a_judgement_of_people_with_nothing_else_to_say_is_flagged():
    report = rewrite_blameless("Engineers were sloppy.")
    assert (report.rewritten, [(f.category, f.text, f.rewritten) for f in report.findings]) == (
        "Engineers were sloppy.",
        [("character_judgement", "sloppy", False)],
    )


def test_a_rewrite_that_would_drop_part_of_what_happened_is_flagged_instead():
    text = "Re OPS-512: the contractor who wrote the cron job didn't bother to add a lock, so two runs overlapped."
    report = rewrite_blameless(text)
    assert (report.rewritten, [(f.category, f.rewritten) for f in report.findings]) == (
        text,
        [("role_blame", False), ("counterfactual", False)],
    )


@pytest.mark.parametrize(
    "text",
    [
        "Nobody was responsible for testing the failover runbook.",
        "Appointing an incident commander sooner could have helped.",
        "A second approver could have caught the wrong region in the change.",
        "Hiring a second on-call engineer could have prevented the delay.",
        "No one owned the DNS zone, so renewals depended on memory.",
        "Nobody was at fault; the CLI deleted the volume without asking for confirmation.",
        "Our alerting dropped the ball: nothing fired for 25 minutes.",
        "If only the dashboard had shown per-region errors, triage would have taken minutes.",
        "The switch dropped the packets for 40 seconds during the firmware update.",
        "The mistake in the default config had shipped with v3.1.",
        "The database was restored by Maria at 06:10 and the error rate fell to 0.2%.",
        "Human error is a symptom; the question is why the console allowed the command.",
    ],
)
def test_systemic_statements_and_the_same_words_about_systems_are_left_alone(text):
    assert rewrite_blameless(text) == BlamelessReport(original=text, rewritten=text, findings=[])


# --- the checks on a rewrite -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("original", "rewritten", "problems"),
    [
        (
            "The outage was caused by Alice.",
            "The outage was caused by .",
            ["dangling word before punctuation", "space before punctuation"],
        ),
        ("Bob restarted the pod.", "The the pod was restarted.", ["doubled word"]),
        ("Alice should have checked it.", "should have checked it.", ["sentence starts in lower case"]),
        ("He botched the change at 17:00.", "The change at 17 went wrong:00.", ["punctuation glued to a word"]),
        ("Bob (the lead) broke it.", "It broke (the lead.", ["unbalanced brackets or quotes"]),
        ("Dave broke prod.", "Prod.", ["no verb left"]),
        ("ugh bob broke it lol", "ugh it broke lol", []),
    ],
)
def test_rewrite_problems_name_only_the_defects_the_edit_added(original, rewritten, problems):
    assert rewrite_problems(original, rewritten) == problems


def test_lost_words_are_the_content_words_of_what_happened_not_people_or_blame():
    assert [
        lost_words("Bob pushed the bad config at 14:02.", "The bad config reached prod at 14:02."),
        lost_words("Jane Doe dropped the ball on the payments review.", "The payments review was not handled."),
        lost_words("The contractor who wrote the cron job didn't bother to add a lock.", "A lock was not added."),
    ] == [["pushed"], [], ["wrote", "cron", "job"]]


# --- properties ------------------------------------------------------------------------------------

BLAME_PIECES = (
    "Bob",
    "@dana.k",
    "the on-call engineer",
    "the payments team",
    "we",
    "someone",
    "made a mistake and",
    "made an error in",
    "dropped the ball on",
    "dropped the ball and",
    "screwed up",
    "messed up",
    "if only",
    "Had Raj",
    "should have",
    "failed to",
    "forgot to",
    "ignored",
    "was pushed by Bob",
    "was wiped by",
    "clearly didn't",
    "obviously",
    "sloppy",
    "careless",
    "fat-fingered",
    "which caused the outage",
    "taking down",
    "and",
    "then",
    ",",
    ".",
    ":",
    "-",
    "the config",
    "the alert",
    "rotating",
    "deleted",
    "scaled",
    "at 14:05",
    "on 2024-03-01",
    "db-prod-3",
    "v2.3.1",
    "PR #4512",
    "INC-42",
    "CVE-2024-3094",
    "`payments-api`",
    "api.example.com",
    "40%",
    "3 times",
    "10.0.4.0/24",
)
blame_sentences = st.lists(st.sampled_from(BLAME_PIECES), min_size=2, max_size=24).map(" ".join)


@settings(max_examples=300, deadline=None)
@given(blame_sentences)
def test_a_rewrite_never_loses_a_number_timestamp_or_identifier(text):
    assert missing_facts(text, rewrite_blameless(text).rewritten) == []


one_sentence = st.lists(st.sampled_from([p for p in BLAME_PIECES if p != "."]), min_size=2, max_size=24).map(" ".join)


@settings(max_examples=200, deadline=None)
@given(one_sentence)
def test_the_findings_of_a_sentence_say_whether_it_was_rewritten(text):
    report = rewrite_blameless(text)
    assert {f.rewritten for f in report.findings} <= {report.rewritten != text}
