"""What the data already did or decided: the steps taken that stay done, and the follow-ups recorded as decided.

Steps that stopped the impact are listed as done, dated by the timeline and owned by nobody; follow-ups the data
records (and a message to the affected being drafted) are open until the team closes them.
"""

from __future__ import annotations

import datetime as dt
import re

from pm_agent.analysis import vocabulary as vocab
from pm_agent.analysis.actions.plan import FINDING_QUOTE_WORDS, NOT_DONE_BY_ANYONE, Plan, first_words, to_action
from pm_agent.analysis.casing import sentence_case
from pm_agent.analysis.evidence import Reading
from pm_agent.analysis.moments import Attempt
from pm_agent.analysis.quoting import cite, quote, sentences_of
from pm_agent.analysis.tagging import Tagged, specific_stems, tags_of
from pm_agent.analysis.whys.cause import first_symptom
from pm_agent.models import ActionItem

MAX_DONE = 6  # the steps taken that a draft lists as done
# "support is drafting a note for the accounts with missing rows": a message to the affected, being written.
NOTE_IN_PREPARATION_RE = re.compile(
    r"\b(?:is|are|am|'s|'re) (?:drafting|preparing|writing|putting together) (?:a |an |the )?"
    r"(?P<what>note|notice|notification|e-?mail|message|statement|letter|announcement)s? (?P<prep>for|to) "
    r"(?P<who>[^;.:]+)",
    re.I,
)
SENT_RE = re.compile(r"\b(?:sent|emailed|e-mailed|published|posted|notified|informed)\b", re.I)
# Steps of the response that are no action item: taken by a system, only begun, people contacted, a step nobody
# meant ("unexpectedly reverts"), and one repeated as it was (:func:`_repeated_as_it_was`).
RESPONSE_ONLY = ("automatic", "begun", "communication", "gate_caught", "unintended")
RETRY_WITH_A_CHANGE_RE = re.compile(vocab.RETRY_WITH_A_CHANGE, re.I)
STEP_TAGS = ("mitigation", "lasting_fix")
LEAD_CLAUSE_RE = re.compile(r"[,;:]\s+")
# A fix reported as taking effect ("Pipeline finished - fix applied", "rollout of the fix completed"), and the words
# that tell only how far it got, not what it changed.
TOOK_EFFECT_RE = re.compile(r"\b(?:applied|finished|completed?|rolled out|live|succeeded|successfully)\b", re.I)
PROGRESS_STEMS = frozenset({"finish", "start", "complet", "success", "successful", "successfully"})


def done_steps(reading: Reading) -> list[ActionItem]:
    """What the team already did that stays done: the fixes made once the failure had begun (a fix committed or
    deployed, a revert committed, a limit set, a version pinned, configuration changed in IaC, even after the
    incident closed), the recovery steps people completed up to its end (all but the ones that failed), and the
    notice sent to the people affected once the impact had stopped. Dated by the timeline; nobody is named as
    owner. A fix made after the failure began counts even before anyone reported it (a fix pushed while a failure
    recurred), and a step told in the same message as what was found ("Culprit identified. Removed the Ingress
    object") is listed in the words of its own sentence.

    The rest of the response is told by the timeline and what went well: a step repeated ("pipeline
    re-triggered"), one a system took by itself ("target groups reattached by the pipeline"), one only begun
    ("rollback triggered"), contacting people while it went on ("reached out to the customer"), and a change that
    is no step against the failure ("Pipeline run completed", "Corrective action delayed due to a state lock").
    Listed here they would read as if the failure had been dealt with for good.
    """
    symptom = first_symptom(reading)
    since, end = reading.started or reading.detected, reading.resolved or reading.mitigated
    told_as: dict[int, str] = {}  # each step's words: the whole event, or the sentence of it that tells the step
    took_effect: dict[int, Tagged] = {}  # a fix's later report that it took effect: when it was done
    fixes = _once_per_fix(
        [
            t
            for t in reading.tagged("lasting_fix", dated_only=True)
            if t is not reading.trigger
            and (since is None or t.at >= since)
            and _told_as_a_step(t, ("failed", "blocked", *NOT_DONE_BY_ANYONE), told_as)
        ],
        took_effect,
    )
    completed = _the_try_that_did_it(
        [
            a
            for a in reading.attempts
            if (end is None or a.step.at <= end)
            and _told_as_a_step(a.step, (*NOT_DONE_BY_ANYONE, *RESPONSE_ONLY), told_as)
            and _a_step_against_the_failure(a.step)
        ]
    )
    told = [
        t
        for t in reading.tagged("communication", dated_only=True)
        if not t.has("report")
        and vocab.AFFECTED_RE.search(t.text)
        and not vocab.OWNERS_RE.search(t.text)
        and reading.mitigated is not None
        and t.at > reading.mitigated
    ]
    completed += _begun_then_reported_done(reading, end, told_as, took_effect)
    merged = {t.order for t in took_effect.values()}  # a fix's report that it took effect is that fix, not a step
    completed = _without_announcements([t for t in completed if t.order not in merged])
    done = list({t.order: t for t in [*fixes, *completed]}.values())[:MAX_DONE]  # a fix may also be a recovery step
    steps = sorted({t.order: t for t in [*done, *told[:1]]}.values(), key=lambda t: t.order)
    addresses = f"The failure {cite(symptom.event)}" if symptom else ""
    return [
        ActionItem(
            title=_sentence(told_as.get(step.order) or quote(step.event)),
            done_when=f"Done {cite(took_effect.get(step.order, step).event)}.",
            due=took_effect.get(step.order, step).at.date(),
            due_note="The date it was done, from the timeline.",
            horizon="immediate",
            hierarchy="administrative" if step in told else "engineering",
            priority="P2" if step in told else "P1",
            addresses=addresses,
            status="done",
            owner=None,
        )
        for step in steps
    ]


def _the_try_that_did_it(attempts: list[Attempt]) -> list[Tagged]:
    """The steps that did not fail, each tried more than once listed once, as its last try: "2nd attempt at running
    the rollover script" after "Attempt at running the rollover script" (which a later event says failed) is the
    step done. A step run again as it was with no earlier try of it ("pipeline re-triggered due to a timeout") is
    left out, and so is one that failed."""
    kept: list[Tagged] = []
    tried: list[Tagged] = []  # every try so far, failed ones too: a retry repeats one of them
    for attempt in attempts:
        step = attempt.step
        if _repeated_as_it_was(step):
            earlier = next((t for t in reversed(tried) if _same_step(t, step)), None)
            if earlier is None:
                continue
            kept = [t for t in kept if not _same_step(t, step)]
        tried.append(step)
        if attempt.outcome != "failed":
            kept.append(step)
    return kept


def _begun_then_reported_done(
    reading: Reading, end: dt.datetime | None, told_as: dict[int, str], took_effect: dict[int, Tagged]
) -> list[Tagged]:
    """Each step only begun ("Began working on a rollback of the Traefik change", "Pipeline triggered for rollback")
    that the next event reporting something done or working completes ("Pipeline run completed", "More nodes become
    available", "Network infrastructure replacement completed"): the step was done then, and that event is its
    outcome. A step of its own that names what the begun steps do not ("Restarted the cache; errors gone") completes
    none of them. Of the steps begun since the last such report, the one that names the most is listed, in its own
    words, done when the report came (noted in ``took_effect``)."""
    begun_steps = {a.step.order for a in reading.attempts if a.step.has("begun")}
    out: list[Tagged] = []
    begun: list[Tagged] = []
    for tagged in reading.events:
        if tagged.at is None or (end is not None and tagged.at > end):
            continue
        if tagged.order in begun_steps:
            if not tagged.has("failed", "unintended") and _told_as_a_step(
                tagged, (*NOT_DONE_BY_ANYONE, "communication"), told_as
            ):
                begun.append(tagged)
        elif (
            begun
            and tagged.has("worked", "recovery")
            and not tagged.has("failed", *NOT_DONE_BY_ANYONE, *RESPONSE_ONLY)
            and (  # a step of its own names something the begun steps do not: "Restarted the cache; errors gone"
                not tagged.has("mitigation", "lasting_fix")
                or tagged.stems - PROGRESS_STEMS <= frozenset().union(*(t.stems for t in begun))
            )
        ):
            named = max(begun, key=lambda t: len(t.stems))  # the first of those that name as much
            out.append(named)
            took_effect[named.order] = tagged
            begun = []
    return out


def _same_step(earlier: Tagged, later: Tagged) -> bool:
    """Two tries of one step: each names nothing specific that the other does not leave out."""
    return bool(earlier.stems) and (earlier.stems <= later.stems or later.stems <= earlier.stems)


def _told_as_a_step(step: Tagged, not_a_step: tuple[str, ...], told_as: dict[int, str]) -> bool:
    """True when the event tells a step taken, noting in ``told_as`` the words that tell it: the whole event when none
    of ``not_a_step`` tags it, else the one sentence of it that is a step on its own ("Removed the Ingress object" of
    "Potential culprit identified. Removed the Ingress object"), read by its leading clause ("Removed X, verified
    that Y" is a step and its check): what was found or seen beside a step does not undo the step."""
    if not step.has(*not_a_step):
        return True
    sentences = sentences_of(quote(step.event))
    if len(sentences) < 2:
        return False
    for sentence in sentences:
        lead = LEAD_CLAUSE_RE.split(sentence, maxsplit=1)[0]  # "Removed X, verified that Y": the step, then its check
        tags = tags_of(lead, step.source)
        if tags.isdisjoint(not_a_step) and not tags.isdisjoint(STEP_TAGS):
            told_as[step.order] = sentence
            return True
    return False


def _once_per_fix(fixes: list[Tagged], took_effect: dict[int, Tagged]) -> list[Tagged]:
    """The fixes, less each one that only reports an earlier fix taking effect: "Pipeline finished - fix applied"
    after "Pushed fix (AMI update) to master" names nothing the first did not, so it is that fix, listed once and
    done when it took effect (noted in ``took_effect``)."""
    kept: list[Tagged] = []
    for fix in fixes:
        named = fix.stems - PROGRESS_STEMS
        earlier = (
            next((e for e in reversed(kept) if named <= e.stems), None) if TOOK_EFFECT_RE.search(fix.text) else None
        )
        if earlier is None:
            kept.append(fix)
        else:
            took_effect[earlier.order] = fix
    return kept


def _without_announcements(steps: list[Tagged]) -> list[Tagged]:
    """The steps, less each one announced as under way ("... Rolling back to 2.3") that a later step reports done about
    the same thing ("quote-api rolled back to 2.3"): one step, listed once as the report of it. A log of steps each
    written as under way ("Scaling down by 2 nodes", later "Scaling down by 1 node") keeps every one of them. One
    pass from the end, carrying the words of the steps reported done after each."""
    if not any("ing" in step.text and _under_way(step) for step in steps):  # nothing announced: nothing to match
        return steps
    states = [_under_way(step) for step in steps]
    kept: list[Tagged] = []
    reported_later: set[str] = set()
    for step, state in zip(reversed(steps), reversed(states), strict=True):
        words = specific_stems(step.text) if state is not None else frozenset()
        if not (state is True and words & reported_later):
            kept.append(step)
        if state is False:
            reported_later |= words
    return kept[::-1]


def _under_way(step: Tagged) -> bool | None:
    """True when the step's words for what was done are all in the -ing form ("Rolling back"), False when none is
    ("rolled back"), None when it names no step word."""
    forms = [m[0].split()[0].lower().endswith("ing") for m in vocab.TAG_PATTERNS["mitigation"].finditer(step.text)]
    if not forms:
        return None
    return all(forms) if all(forms) or not any(forms) else None


def _a_step_against_the_failure(step: Tagged) -> bool:
    """A mitigation, or a change that names what it changed; not one held up ("Corrective action delayed due to a
    state lock") nor one that names nothing ("Pipeline run completed")."""
    return step.has("mitigation") or (bool(step.stems) and not step.has("blocked"))


def _repeated_as_it_was(step: Tagged) -> bool:
    """A step run again as it was ("pipeline re-triggered due to a timeout"), not with something changed ("backfill
    re-run with the lookup made optional")."""
    return step.has("retry") and not RETRY_WITH_A_CHANGE_RE.search(step.text)


def fix_before_the_report_questions(reading: Reading) -> list[str]:
    """A question for a fix that took effect after the failure began but before anyone reported it: the data gives
    the order (a fix pushed while a failure recurred, then a user reporting something stuck), not whether the fix
    brought on what was reported. Asked, never stated."""
    report, started = reading.detection, reading.started
    if report is None or started is None or report.at is None or not report.has("report", "symptom"):
        return []
    fixes = [
        t
        for t in reading.tagged("lasting_fix", dated_only=True)
        if t is not reading.trigger and started <= t.at < report.at and not t.has("failed", *NOT_DONE_BY_ANYONE)
    ]
    took_effect: dict[int, Tagged] = {}
    questions = []
    for fix in _once_per_fix(fixes, took_effect)[:1]:
        applied = f", in effect {cite(took_effect[fix.order].event)}" if fix.order in took_effect else ""
        questions.append(
            f"The data shows a fix made before the failure was reported, {cite(fix.event)}{applied}, then "
            f"{cite(report.event)}. Did the fix bring on what was reported, or was that a failure of its own?"
        )
    return questions


def decided_steps(
    reading: Reading,
    incident_date: dt.date | None,
    roster: dict[str, str] | None,
    service: str | None,
    severity: str | None,
) -> list[ActionItem]:
    """Follow-ups the data records as decided or tracked: open until the team closes them."""
    out = []
    for tagged in reading.tagged("followup")[:3]:  # the tag leaves out a negated one: "no ticket filed"
        plan = Plan(
            title=f'Carry out the follow-up recorded in the timeline: "{_followup_quote(tagged)}"',
            done_when=f"The follow-up recorded {cite(tagged.event)} is closed, with a link to the change that did it.",
            addresses=f"Recorded {cite(tagged.event)}.",
            area="service",
            horizon="short",
            hierarchy="engineering",
        )
        out.append(to_action(plan, service, severity, incident_date, roster))
    out += [to_action(plan, service, severity, incident_date, roster) for plan in _notes_in_preparation(reading)]
    return out


def _followup_quote(tagged: Tagged) -> str:
    """The sentence that records the follow-up, whole up to a point: "Mobile team will look at the retry loop ..." of
    "Resolved. Mobile team will look at the retry loop ...", not the sentence before it."""
    pattern = vocab.TAG_PATTERNS["followup"]
    text = quote(tagged.event)
    sentence = next((s for s in sentences_of(text) if pattern.search(s)), text)
    return first_words(sentence.rstrip(" ."), FINDING_QUOTE_WORDS)


def _notes_in_preparation(reading: Reading) -> list[Plan]:
    """A message to the people affected that the data shows being written ("support is drafting a note for the
    accounts with missing rows") and never shows sent: sending it is decided, and still open."""
    plans = []
    for tagged in reading.events:
        match = NOTE_IN_PREPARATION_RE.search(tagged.text)
        if match is None or _sent_later(reading, tagged, match["who"]):
            continue
        what, prep, who = match["what"].lower(), match["prep"].lower(), match["who"].strip(" ,")
        plans.append(
            Plan(
                title=f"Send the {what} being drafted {prep} {who} to each of them",
                done_when=f"Every one of {who} has received the {what}, and who received it is recorded.",
                addresses=f"In preparation {cite(tagged.event, NOTE_IN_PREPARATION_RE)}.",
                area="incident",
                horizon="immediate",
                hierarchy="administrative",
            )
        )
    return plans[:1]


def _sent_later(reading: Reading, drafted: Tagged, who: str) -> bool:
    """A later message to the same people: "note sent to the affected accounts"."""
    named = specific_stems(who)
    return any(
        t.order > drafted.order and t.has("communication") and SENT_RE.search(t.text) and t.stems & named
        for t in reading.events
    )


def _sentence(text: str) -> str:
    text = text.strip().rstrip(".")
    return sentence_case(text)
