"""A section that quotes an event for one meaning quotes the clause that says it, marked as an excerpt, and never
anything but the event's own words; a short message, or one whose clauses all say the same thing, is quoted whole."""

from __future__ import annotations

import datetime as dt

from pm_agent.analysis.claims import causal_claims
from pm_agent.analysis.clauses import CAUSE, FINDING, IMPACT, clause_excerpt, clauses_of
from pm_agent.analysis.drafting import draft_postmortem
from pm_agent.analysis.evidence import read_incident
from pm_agent.analysis.findings import read_findings
from pm_agent.analysis.narrative import impact_in_words
from pm_agent.models import Incident, TimelineEvent

PACKED = (
    "basket-api pods OOMKilled twice an hour; heap climbs steadily since build 7.4.1; "
    "the cart page returns errors during restarts"
)


def at(hhmm: str) -> dt.datetime:
    return dt.datetime.fromisoformat(f"2024-11-02T{hhmm}:00+00:00")


def event(hhmm: str, source: str, text: str) -> TimelineEvent:
    return TimelineEvent(at=at(hhmm), source=source, text=text)


def basket_leak(packed: str = PACKED) -> Incident:
    """A build leaks heap; one chat message gives the OOM kills, the heap trend and what shoppers saw."""
    return Incident(
        id="bk-7",
        title="Basket service restarting after build 7.4.1",
        services=["basket-api"],
        events=[
            event("08:00", "deploy", "basket-api build 7.4.1 rolled out"),
            event("08:40", "alert", "BasketPodRestarts firing for basket-api"),
            event("09:10", "chat", packed),
            event("09:30", "deploy", "basket-api rolled back to build 7.4.0"),
            event("09:40", "metric", "basket page load time back to normal"),
        ],
    )


def test_the_impact_quotes_only_the_clause_of_what_users_saw_marked_as_an_excerpt():
    quoted = [(e.source, e.excerpt) for e in impact_in_words(read_incident(basket_leak())) if e.at == at("09:10")]
    assert quoted == [("chat", "… the cart page returns errors during restarts")]


def test_the_root_cause_quotes_only_the_clause_that_states_the_finding():
    found = [f.statement for f in read_findings(read_incident(basket_leak())) if f.kind == "finding"]
    assert found == ["Found: basket-api pods OOMKilled twice an hour … (chat, 2024-11-02 09:10 UTC)."]


def test_a_message_of_one_clause_is_quoted_whole_in_the_impact():
    whole = "Every shopper in the EU region gets a 502 from the basket page after adding an item to it"
    quoted = [e.excerpt for e in impact_in_words(read_incident(basket_leak(whole))) if e.at == at("09:10")]
    assert quoted == [whole]


def test_a_short_message_is_quoted_whole_whatever_its_clauses_say():
    short = "basket-api OOMKilled; basket page blank"
    assert [clause_excerpt(short, "chat", meant) for meant in (IMPACT, FINDING)] == [short, short]


def test_a_message_whose_clauses_all_say_the_meaning_or_set_it_up_is_quoted_whole():
    cause = (
        "The cleanup job lists tables by their last write; the audit table is written once a month, so it looked unused"
    )
    assert clause_excerpt(cause, "note", CAUSE) == cause


def test_a_message_where_no_clause_says_the_meaning_is_quoted_whole():
    steps = "Rolled back basket-api to build 7.4.0; waiting for the cache to warm before we call it"
    assert clause_excerpt(steps, "chat", IMPACT) == steps


def test_clauses_are_cut_at_semicolons_dashes_and_sentence_ends_never_inside_a_version_a_time_or_a_share():
    text = (
        "Build v5.2.0 reached 1.5% of hosts at 12:06; errors rose 12:06 - 12:30 - mostly on checkout. "
        "Paged the on-call, e.g. the payments team"
    )
    assert [c.text for c in clauses_of(text, "chat")] == [
        "Build v5.2.0 reached 1.5% of hosts at 12:06",
        "errors rose 12:06 - 12:30",
        "mostly on checkout.",
        "Paged the on-call, e.g. the payments team",
    ]


def test_a_clause_that_takes_its_subject_from_the_one_before_keeps_it():
    text = "The nightly export filled the shared volume to 100%. This meant the basket page showed errors to shoppers"
    assert clause_excerpt(text, "note", IMPACT) == text


def test_every_piece_of_a_clause_quote_is_the_events_own_words_and_the_claims_check_accepts_it():
    incident = basket_leak()
    for meant in (IMPACT, FINDING, CAUSE):
        pieces = [p.strip() for p in clause_excerpt(PACKED, "chat", meant).split("…") if p.strip()]
        assert pieces and all(piece in PACKED for piece in pieces)
    claims = causal_claims(draft_postmortem(incident, score=False), incident)
    excerpted = [(c.section, c.supported) for c in claims if "…" in c.text]
    # the finding, the link and the Five Whys' cause
    assert excerpted == [("finding", True), ("finding", True), ("why step", True)]


def test_the_timeline_keeps_the_packed_message_whole():
    postmortem = draft_postmortem(basket_leak(), score=False)
    assert [e.text for e in postmortem.timeline if e.at == at("09:10")] == [PACKED]


def test_a_semicolon_after_an_abbreviation_still_ends_a_clause():
    text = "Checked the dashboards, the logs etc.; nothing unusual found in any of them"
    assert [c.text for c in clauses_of(text, "chat")] == [
        "Checked the dashboards, the logs etc.",
        "nothing unusual found in any of them",
    ]


def test_a_link_between_two_events_quotes_the_clause_that_names_what_they_share():
    links = [f.statement for f in read_findings(read_incident(basket_leak())) if f.kind == "link"]
    assert links == [
        "The data connects two events that both name basket-api, build, 7.4.1: basket-api build 7.4.1 rolled out (deploy, "
        "2024-11-02 08:00 UTC), then basket-api pods OOMKilled twice an hour; heap climbs steadily since build "
        "7.4.1 … (chat, 2024-11-02 09:10 UTC)."
    ]
