"""The content criteria of the rubric: timeline, impact, root cause depth, corrective actions.

Each function reads a parsed postmortem and returns a :class:`Judgement`: points with the
evidence found and the concrete changes that would raise the score. The vocabulary (section
names, keyword lists) comes from the criterion's ``signals`` in ``prompts/rubric.json``.
"""

from __future__ import annotations

import datetime as dt
import re

from pm_agent.engines.rubric_text import Judgement, Signals, figures, plural, quoted
from pm_agent.markdown_doc import ActionEntry, MarkdownPostmortem, TimelineRow

ABSENCE_RE = re.compile(
    r"\b(?:not in the data|not stated|not known|unknown|to be confirmed|to be determined|tbd)\b", re.I
)
PHASES = (("phase_start", "start"), ("phase_detection", "detection"), ("phase_mitigation", "mitigation"),
          ("phase_resolution", "resolution"))


def timeline_clarity(doc: MarkdownPostmortem, signals: Signals) -> Judgement:
    """Timestamped entries, a stated zone, chronological order and visible phases."""
    j = Judgement()
    rows = doc.timeline_rows()
    timed = [r for r in rows if r.timestamped]
    has_section = bool(doc.sections_for("timeline"))
    if not timed:
        j.found("no timestamped timeline entries" + (" under the Timeline heading" if has_section else ""))
        j.improve("add a timeline: one row per event with its time (YYYY-MM-DD HH:MM) in one stated time zone")
        return j
    where = "" if has_section else " (outside a Timeline section)"
    j.credit(1.0 if len(timed) < 4 else 1.5 if len(timed) < 8 else 2.0,
             f"timeline has {plural(len(timed), 'timestamped row')}{where}")
    if len(timed) < 8:
        j.improve("add the missing moments (trigger, first alert, escalation, mitigation, all clear) "
                  "as timestamped rows")
    _zone(doc, j)
    _order(timed, j)
    _phases(timed, signals, j)
    unknown = [r for r in rows if not r.timestamped]
    if unknown:
        j.credit(-0.5, f"{plural(len(unknown), 'row')} with an unreadable time: {quoted([r.when for r in unknown])}")
        j.improve("give every timeline row a real time, or mark the estimate (e.g. '~14:20')")
    return j


def _zone(doc: MarkdownPostmortem, j: Judgement) -> None:
    zone = doc.timeline_zone()
    if zone:
        j.credit(0.5, f"times are in {zone}")
        if zone not in ("UTC", "GMT", "Z"):
            j.improve(f"consider UTC instead of {zone}, so readers in other zones and tools agree")
    else:
        j.improve("state the time zone of the timeline (preferably UTC)")


def _order(timed: list[TimelineRow], j: Judgement) -> None:
    moments = _moments(timed)
    backwards = sum(1 for a, b in zip(moments, moments[1:], strict=False) if b < a)
    if backwards:
        j.found(f"{plural(backwards, 'row')} out of chronological order")
        j.improve("put the timeline rows in chronological order")
    else:
        j.credit(0.5, "rows are in chronological order")


def _moments(rows: list[TimelineRow]) -> list[dt.datetime]:
    """Row times on a line; rows without a date take the last date seen, or roll over midnight."""
    day = dt.date(2000, 1, 1)
    moments: list[dt.datetime] = []
    for row in rows:
        day = row.date or day
        moment = dt.datetime.combine(day, row.time or dt.time())
        if not row.date and moments and moment < moments[-1] - dt.timedelta(hours=12):
            day += dt.timedelta(days=1)
            moment += dt.timedelta(days=1)
        moments.append(moment)
    return moments


def _phases(timed: list[TimelineRow], signals: Signals, j: Judgement) -> None:
    text = "\n".join(r.text for r in timed)
    seen = [name for key, name in PHASES if signals.occurs(key, text)]
    missing = [name for _, name in PHASES if name not in seen]
    if seen:
        j.credit(0.25 * len(seen), f"phases visible: {', '.join(seen)}")
    if missing:
        j.improve(f"make the {' and '.join(missing)} visible in the timeline")


def impact_quantification(doc: MarkdownPostmortem, signals: Signals) -> Judgement:
    """Numeric figures by kind in the impact and summary text, and a dedicated impact section."""
    j = Judgement()
    text = _impact_text(doc, signals)
    found = figures(text, signals)
    count = sum(len(v) for v in found.values())
    has_section = bool(doc.field("impact"))
    words = signals.found("qualitative", text) or (["impact section"] if has_section else [])
    if not found and not words:
        j.found("impact is not described")
        j.improve("add an Impact section: who was affected, how many, for how long, and how badly")
        return j
    j.credit(1.0, f"impact described in words ({quoted(words, 4)})" if words else None)
    if found:
        values = [v for kind in found.values() for v in kind]
        j.credit(0.5 * min(len(found), 4) + 0.25 * min(count, 3),
                 f"impact states {plural(count, 'figure')} ({', '.join(sorted(found))}): {quoted(values, 5, 30)}")
    else:
        j.found("no impact figures")
    if has_section:
        j.credit(0.5, "a dedicated impact section")
    else:
        j.improve("add a dedicated Impact section")
    severity = signals.found("severity_terms", text)
    if severity:
        j.found(f"severity stated ({quoted(severity, 2)})")
    _impact_advice(found, j)
    return j


def _impact_text(doc: MarkdownPostmortem, signals: Signals) -> str:
    keys = signals.phrases("fact_keys")
    facts = [f"{k}: {v}" for k, v in doc.facts.items() if any(key in k for key in keys)]
    text = "\n".join([doc.field("impact"), doc.field("summary"), doc.preamble(), *facts])
    return "\n".join(line for line in text.split("\n") if not ABSENCE_RE.search(line))


def _impact_advice(found: dict[str, list[str]], j: Judgement) -> None:
    if "affected" not in found and "share" not in found:
        j.improve("state how many users or customers were affected (a count or a share)")
    if "duration" not in found:
        j.improve("state how long users saw impact (first to last failing request)")
    if not {"volume", "share"} & set(found):
        j.improve("quantify how badly: failed requests, error rate or lost orders")
    if not {"money", "sla", "support"} & set(found):
        j.improve("state the business consequence: SLA/SLO breach, revenue, support tickets")


def root_cause_depth(doc: MarkdownPostmortem, signals: Signals) -> Judgement:
    """A root cause section, causal links, depth (whys, factors), systemic ends, no person as cause."""
    j = Judgement()
    cause_text = "\n".join(doc.field(name) for name in ("root_cause", "trigger"))
    cause_titles = "\n".join(s.title for s in doc.sections_for("root_cause"))
    factors = doc.items("contributing_factors") or _lines(doc.field("contributing_factors"))
    factors += doc.items("root_cause")
    narrative = "\n".join([doc.field("summary"), doc.preamble()])
    analysis = "\n".join([cause_text, doc.field("contributing_factors"), narrative])
    if cause_text.strip():
        j.credit(1.0, f"a root cause section ({len(cause_text.split())} words)")
    elif re.search(r"\broot cause\b", analysis, re.I):
        j.credit(0.5, "the root cause is stated in the summary, not in its own section")
        j.improve("give the root cause its own section")
    else:
        j.improve("add a Root cause section that explains the mechanism, not just what broke")
    causal = signals.found("causal_phrases", analysis)
    if causal:
        count = signals.count("causal_phrases", analysis)
        j.credit(0.5 if count < 3 else 1.0, f"{plural(count, 'causal link')} ({quoted(causal, 4)})")
    else:
        j.improve("explain the causal chain with 'because' / 'due to' links")
    _depth(f"{cause_titles}\n{cause_text}", factors, signals, j)
    scanned = [cause_text, *factors, "" if cause_text.strip() else narrative]
    systemic = signals.found("systemic_terms", "\n".join(scanned))
    if len(systemic) >= 2:
        j.credit(0.5, f"reaches systemic causes ({quoted(systemic, 5)})")
    else:
        j.improve("follow each cause to the systemic gap that allowed it: a missing test, alert, safeguard or process")
    _unconfirmed(f"{cause_text}\n{doc.field('contributing_factors')}", signals, j)
    blamed = signals.found("person_cause_phrases", analysis)
    if blamed:
        j.credit(-1.0 * min(len(blamed), 2), f"the analysis ends at people: {quoted(blamed)}")
        j.improve("replace 'human error' with the conditions that made the error easy and undetected")
    return j


def _unconfirmed(text: str, signals: Signals, j: Judgement) -> None:
    """An analysis that is mostly hypotheses is a plan for one, not a root cause: it loses depth."""
    marks = signals.count("unconfirmed_markers", text)
    if marks >= 2:
        j.cap(3.5 if marks >= 4 else 4.5, f"{plural(marks, 'step or factor')} still marked unconfirmed")
        j.improve("confirm the steps and factors marked 'to confirm' with evidence (logs, diffs, graphs)")


def _depth(cause_text: str, factors: list[str], signals: Signals, j: Judgement) -> None:
    whys = signals.count("why_markers", cause_text)
    depth = 0.0
    if whys >= 3:
        depth += 1.0
        j.found(f"a multi-level why chain ({plural(whys, 'why')})")
    if factors:
        depth += 0.5 if len(factors) < 4 else 1.0
        j.found(f"{plural(len(factors), 'contributing factor')}")
    if depth:
        j.credit(min(depth, 1.5))
    if whys < 3:
        j.improve("ask 'why?' repeatedly (5 Whys) until you reach causes the organisation can fix")
    if len(factors) < 2:
        j.improve("list the contributing factors: the conditions that let the trigger become an incident")


def _lines(text: str) -> list[str]:
    return [line for line in text.split("\n") if line.strip()]


def corrective_actions_quality(doc: MarkdownPostmortem, signals: Signals) -> Judgement:
    """Count, owners, due dates, specific verbs, prevention; vague or training-only actions cost points."""
    j = Judgement()
    actions = doc.action_items()
    if not actions:
        j.found("no action items found")
        j.improve("add action items, each with a specific verb, an owner and a due date")
        return j
    n = len(actions)
    j.credit(0.5 if n < 3 else 1.0, f"{plural(n, 'action item')}")
    owned = sum(1 for a in actions if a.owner)
    dated = sum(1 for a in actions if a.due)
    j.credit(1.0 * owned / n, f"{owned} of {n} have an owner")
    j.credit(1.0 * dated / n, f"{dated} of {n} have a due date")
    if owned < n:
        j.improve("give each action an owner (a named person or role)")
    if dated < n:
        j.improve("give each action a due date")
    _specificity(actions, signals, j)
    _prevention(actions, signals, j)
    return j


def _specificity(actions: list[ActionEntry], signals: Signals, j: Judgement) -> None:
    n = len(actions)
    vague = [a.text for a in actions if _is_vague(a.text, signals)]
    specific = [a.text for a in actions if a.text not in vague and _is_specific(a, signals)]
    j.credit(0.5 * len(specific) / n, f"{len(specific)} of {n} are specific (a concrete verb, or already done)")
    if vague:
        j.found(f"{len(vague)} vague: {quoted(vague, 2, 50)}")
        j.improve("rewrite vague actions ('improve', 'look into', 'be careful') as a concrete change "
                  "with a done-criterion")
    if len(vague) * 2 > n:
        j.credit(-0.5)
    measurable = sum(1 for a in actions if a.done_when or re.search(r"\d", a.text))
    if not measurable:
        j.improve("make actions measurable: say what 'done' looks like (a threshold, a test, a date)")


def _prevention(actions: list[ActionEntry], signals: Signals, j: Judgement) -> None:
    """Concrete (not vague) actions that name a test, alert, guardrail or automation."""
    preventive = [a.text for a in actions
                  if signals.found("prevention_terms", a.text) and not _is_vague(a.text, signals)]
    training = [a.text for a in actions if signals.found("training_terms", a.text)]
    if preventive:
        j.credit(0.5, f"{len(preventive)} preventive (tests, alerts, guardrails, automation)")
    else:
        j.improve("add at least one preventive action: an automated test, alert or guardrail against recurrence")
    if training and len(training) == len(actions):
        j.credit(-0.5, "every action relies on people being trained or careful")


def _is_specific(action: ActionEntry, signals: Signals) -> bool:
    """Done already, or opening with a concrete verb ('Add', 'Pin', 'Block')."""
    return action.status == "done" or bool(signals.starts_with("specific_verbs", _head(action.text, signals)))


def _is_vague(text: str, signals: Signals) -> bool:
    return bool(signals.starts_with("vague_starts", _head(text, signals)) or signals.found("vague_anywhere", text))


def _head(text: str, signals: Signals) -> str:
    """The action's instruction: a leading label when it reads as one ('Add alerting: why...'), else what follows it
    ('Static analysis: Implement a linter rule...')."""
    label, sep, rest = text.partition(":")
    if not sep or not rest.strip() or len(label.split()) > 8:
        return text
    if signals.starts_with("specific_verbs", label) or signals.starts_with("vague_starts", label):
        return label
    return rest.strip()
