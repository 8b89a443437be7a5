"""The trigger branch of the Five Whys: from the failure to what set it off, as far as the data goes.

Why 1 is the mechanism the data states (a cause statement, a failure dated earlier, the system at a limit a fix
raised) or the question that would establish it; the steps behind it follow what the data connects to it (a deeper
finding, the change it is linked to, the earlier event its own words date it to); the branch ends at the safeguard
step and the systemic cause (:mod:`pm_agent.analysis.whys.safeguard`)."""

from __future__ import annotations

import re

from pm_agent.analysis import vocabulary as vocab
from pm_agent.analysis.clauses import CAUSE, narrowed
from pm_agent.analysis.evidence import Reading
from pm_agent.analysis.findings import (
    began_after,
    began_after_sentence,
    cause_part,
    fix_event,
    implicated,
    reverting_fix,
)
from pm_agent.analysis.limits import RaisedLimit, implicated_limit, raised_limit, shows_at_limit
from pm_agent.analysis.quoting import EXCERPT_LIMIT, quote, ref, said
from pm_agent.analysis.tagging import Tagged, from_monitoring, linked, specific_stems
from pm_agent.analysis.whys.cause import cause_of_the_failure, dated_failure, dated_in, deeper_cause, first_symptom
from pm_agent.analysis.whys.safeguard import safeguard_step, systemic
from pm_agent.analysis.whys.steps import ask, cited
from pm_agent.models import WhyBranch, WhyStep


def trigger_branch(problem: str, reading: Reading) -> WhyBranch:
    """From the failure to what set it off, as far as the data goes, then the question that would go further.

    The problem and its first signal are the chain's head (:func:`pm_agent.analysis.whys.chain.first_signal`), never an answer: the alert that
    detected the failure restates it. Why 1 is the nearest mechanism the data states (a cause statement or finding,
    else the system running at the limit a fix raised), or the question that would establish it; Why 2 is what set
    that off where the data connects them (a change, a limit, an earlier finding), and so on."""
    symptom = first_symptom(reading)
    raised = raised_limit(reading)
    cause = cause_of_the_failure(symptom, reading)
    trigger = reading.trigger
    subject = f'"{problem.rstrip(".?! ")}"'
    why = f"Why did {subject} happen?"
    failing = None if cause is not None else dated_failure(reading, symptom)
    if cause is not None:
        steps = [mechanism_step(why, cause, symptom, reading)]
        steps += _behind_the_cause(cause, symptom, reading)
    elif failing is not None:
        failing_tagged, dated = failing
        steps = [
            cited(why, f"The data states a failure that began earlier: {said(failing_tagged.event)}.", failing_tagged),
            *_dated_to_steps(failing_tagged, dated, reading, _subject(failing_tagged, "")),
        ]
    elif trigger is not None:
        steps = [
            ask(why, _mechanism_question(reading, trigger, subject)),
            cited(f"What set {subject} off?", _trigger_because(trigger, reading), trigger),
        ]
    elif reverting_fix(reading) is not None:
        steps = [ask(why, _mechanism_question(reading, None, subject))]
    elif raised is not None:
        steps = limit_steps(raised, reading, subject)
    elif others := [t for t in reading.findings if t is not symptom]:
        shown = "; ".join(f'"{quote(t.event)}"' for t in others[:3])
        steps = [
            ask(
                why,
                f"Which of these findings set it off, and how: {shown}? The data does not connect them to the failure.",
            )
        ]
    elif symptom is not None and not from_monitoring(symptom) and not symptom.has("report"):
        # the first sign is a thing the system did ("Host db-2 stopped responding"), not an alert's words or a
        # person's report: ask what made it happen
        steps = [
            ask(
                why,
                f'What made "{quote(symptom.event)}" happen (a deploy, a configuration, load, hardware, a dependency)? '
                "The data shows it as the first sign and names no change before it.",
            )
        ]
    else:
        began = began_after(reading)
        steps = [
            ask(
                why,
                f"Which part of the system failed, and how, to make {subject} happen? The data states no mechanism: "
                f"{_first_seen(symptom)}",
            ),
            ask(
                f"What set {subject} off?",
                f"What changed just before {subject} (a deploy, a configuration, load, a dependency)? "
                "The data names no change or cause." + (f" {began_after_sentence(began)}" if began else ""),
            ),
        ]
    mechanism = cause or (failing[0] if failing is not None else None)
    # a change passes checks, a finding does not
    steps.append(safeguard_step(reading, trigger or cause, subject, already=(mechanism, trigger)))
    root, kind, question = systemic(reading, cause or trigger, subject)
    if raised is not None and cause is None and trigger is None:  # what is known is the limit: ask about it
        steps[-1], question = limit_questions(raised, steps[-1], subject, question)
    return WhyBranch(label="trigger", steps=steps, root_cause=root, root_cause_question=question, systemic_kind=kind)


def _first_seen(symptom: Tagged | None) -> str:
    """What the head quotes, said of the open mechanism step: what was seen, not why."""
    if symptom is None:
        return "it records no symptom either."
    seen = "an alert" if from_monitoring(symptom) else ("a report" if symptom.has("report") else "an event")
    return f"the first sign is {seen}, which shows the failure, not why."


def mechanism_step(why: str, cause: Tagged, symptom: Tagged | None, reading: Reading) -> WhyStep:
    """Why 1 when the data states a cause: the cause statement, quoted. When that statement is the event the head
    already quotes (a symptom that says its own "due to", an alert that says "because ..."), only its reason
    answers: the head quoted the rest, and the alert that detected the failure is no answer to why it happened."""
    lead = "The data suggests a cause" if cause.has("tentative") else "The data states a cause"
    reason = _own_reason(cause, symptom, reading)
    if reason:
        return cited(
            why,
            f"{lead} in the same event: {said(cause.event.model_copy(update={'text': reason}))}.",
            cause,
            focus=vocab.CONNECTIVE,
        )
    return cited(why, f"{lead}: {said(narrowed(cause.event, CAUSE))}.", cause)


def _own_reason(cause: Tagged, symptom: Tagged | None, reading: Reading) -> str:
    """The reason a cause statement gives, when the statement is also the failure's first sign or an alert's words;
    else "" (the statement is quoted whole)."""
    if cause is symptom or cause is reading.detection or from_monitoring(cause):
        return cause_part(cause.text, limit=EXCERPT_LIMIT).strip(" *_")
    return ""


def _behind_the_cause(cause: Tagged, symptom: Tagged | None, reading: Reading) -> list[WhyStep]:
    """Why 2 on, behind a stated cause: a finding that explains it further, else the change the data links it to
    (and then the earlier event the cause's words date a condition to, "since the 08:30 drain": the change met that
    condition, so how the condition came about is not asked again), else the event its own words date it to, else
    the question of what led to it. The cause is named by the words Why 1 quoted: its
    reason alone where the event is also the failure's first sign."""
    deeper = deeper_cause(cause, reading)
    reason = cause_part(cause.text)
    own = _own_reason(cause, symptom, reading)
    subject = _short(own) if own else _subject(cause, reason)
    trigger = reading.trigger
    dated = dated_in(cause.text)
    if deeper is not None:
        return [
            cited(f"Why did {subject} happen?", f"The data connects it with the event: {said(deeper.event)}.", deeper)
        ]
    if trigger is not None and trigger is not cause and linked(trigger, cause):
        steps = [cited(f"What set {subject} off?", _trigger_because(trigger, reading), trigger)]
        if dated is None:
            return steps
        if _names_the_change(dated[0], trigger):  # dated to the change just quoted: that step already answers
            return steps
        # a condition the change met: its date answers, and how it came about is asked only where nothing else is
        return steps + [s for s in _dated_to_steps(cause, dated, reading, subject) if not s.hypothesis]
    if dated is not None:
        return _dated_to_steps(cause, dated, reading, subject)
    return [ask(f"Why did {subject} happen?", f'What led to "{reason or quote(cause.event)}"? The data does not say.')]


def _mechanism_question(reading: Reading, trigger: Tagged | None, subject: str) -> str:
    """What to ask about how the failure came about: a fix that reverted something implicates the change to it
    ("Fix committed to revert the module reference"), so ask what in that change broke it; else ask about the
    trigger."""
    revert = reverting_fix(reading)
    if revert is not None:
        step, what = revert
        same = f', and was that change "{quote(trigger.event)}"' if trigger is not None else ""
        return (
            f"What in the change to {what} made {subject} fail{same}? {implicated(step, what)} The data shows "
            "that reverting it ended the failure, not how it caused it."
        )
    return f'What in "{quote(trigger.event)}" made {subject} fail? The data gives the times, not the mechanism.'


def _trigger_because(trigger: Tagged, reading: Reading) -> str:
    if vocab.CULPRIT_MARK.search(trigger.text):
        return f"The input marks this change as where it started: {said(trigger.event)}."
    if reading.started is not None and trigger.at == reading.started:
        return f"It started with the change: {said(trigger.event)}."
    return f"The last change before it began: {said(trigger.event)}."


def limit_steps(raised: RaisedLimit, reading: Reading, subject: str) -> list[WhyStep]:
    """A fix that raised a limit: the system running at it (where the data shows that) and the limit implicated;
    then why the system was at it (the load the data states, and what the failure began after), and why the limit
    was where it was (a question: the data shows the raise, not the reasons for the old value)."""
    why = f"Why did {subject} happen?"
    who = raised.component or "the system"
    shown = sorted(raised.at_limit, key=lambda t: not shows_at_limit(t))
    if shown:
        steps = [
            cited(why, f"The data shows {who} running at {raised.limit}: {said(shown[0].event)}.", shown[0]),
            cited(f"Why did {who} stop at {raised.limit}?", implicated_limit(raised), raised.step),
        ]
    else:
        steps = [cited(why, implicated_limit(raised), raised.step)]
    began = began_after(reading)
    after = f" {began_after_sentence(began)}" if began is not None else ""
    why = f"Why was {raised.limit} too low for the load at the time?"
    if raised.load is not None:
        shown = [raised.load, *([began] if began is not None else [])]
        steps.append(cited(why, f"The data states the load: {said(raised.load.event)}.{after}", *shown))
    else:
        steps.append(
            ask(
                why,
                f"What load brought {raised.component or 'the system'} to {raised.limit}? The data shows that "
                f"raising it ended the failure, not the load that reached it.{after}",
            )
        )
    steps.append(
        ask(
            f"Why was {raised.limit} where it was?",
            f"Who set {raised.limit} where it was, against what expected load, and when was it last checked against "
            "the load it now takes? The data shows that raising it ended the failure, not why it was set there.",
        )
    )
    return steps


def limit_questions(raised: RaisedLimit, safeguard: WhyStep, subject: str, systemic: str) -> tuple[WhyStep, str]:
    """Where a raised limit is all the data shows, the open safeguard step asks what would have alerted at that limit,
    and the systemic question asks who owns the limit and reviews it before the load comes. A safeguard the data
    records (a cited step) or a systemic cause it states stays as it is."""
    who = raised.component or "the system"
    shown = sorted(raised.at_limit, key=lambda t: not shows_at_limit(t))
    seen = f' ("{quote(shown[0].event)}")' if shown else ""
    if safeguard.hypothesis:
        safeguard = ask(
            safeguard.why, f"What would have alerted when {who} ran at {raised.limit}{seen}, before {subject} showed?"
        )
    if systemic:
        systemic = (
            f"Who owns {raised.limit}, and what reviews it against the load to come (a launch, a campaign, a peak) "
            "before it comes?"
        )
    return safeguard, systemic


def _dated_to_steps(cause: Tagged, dated: tuple[str, int], reading: Reading, fallback: str) -> list[WhyStep]:
    """The cause's own words date its start to an event ("since 2025-05-12, when the password was rotated", "since PR
    812"): that is the data's answer to what led to it, quoted. How the event led to it is answered by the step that
    ended the impact where that step names what the cause names ("backup-runner credentials updated" of "backup-runner
    logs show authentication failures"); else it is the next question, as the data gives the time, not the
    mechanism. What is dated is named by the words before the dating, in their clause, when they say enough."""
    event, start = dated
    named = re.split(r"[;.]\s+|:\s+", cause.text[:start])[-1].strip(" ,;:")
    subject = _short(named) if len(specific_stems(named)) >= 2 else fallback
    how = f'How did "{event}" lead to {subject}?'
    steps = [cited(f"Why did {subject} happen?", f"The data dates its start to: {event} {ref(cause.event)}.", cause)]
    fix = fix_event(reading)
    if fix is not None and fix is not cause and _whole_words(named) & fix.stems:
        steps.append(cited(how, f"The step that ended the impact shows what was broken: {said(fix.event)}.", fix))
    else:
        steps.append(
            ask(
                how,
                f'What about "{event}" led to {subject}, and what would have caught it? The data gives the time, not how.',
            )
        )
    return steps


def _whole_words(text: str) -> frozenset[str]:
    """The specific stems of ``text`` less those that are only a piece of another ("creat" of "created_at"): a
    component or mechanism ``text`` names, for finding another event that names it too."""
    stems = specific_stems(text)
    return frozenset(s for s in stems if not any(o != s and o.startswith(s) for o in stems))


def _names_the_change(dated: str, change: Tagged) -> bool:
    """Whether what a cause dates its start to ("since v5.2.0") is the change itself, by every specific word it
    names: then the change step above already says what the date would."""
    named = specific_stems(dated)
    return bool(named) and named <= change.stems


def _subject(tagged: Tagged | None, fallback: str) -> str:
    """A short name for what an event shows, quoted from it."""
    if tagged is None:
        return f'"{fallback.rstrip(".")}"' if fallback else "the failure"
    return _short(quote(tagged.event, vocab.TAG_PATTERNS["symptom"]))


def _short(text: str) -> str:
    """``text`` quoted, cut to its first ten words."""
    words = text.split()
    return '"' + " ".join(words[:10]) + ("…" if len(words) > 10 else "") + '"'
