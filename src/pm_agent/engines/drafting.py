"""Offline drafting: an incident in, a complete blameless postmortem draft out.

Everything stated comes from the incident: times, figures, event texts. What the data
cannot support is left as an open question. Root cause and lessons are candidates from the
timeline, labelled as such until the review confirms them.
"""

from __future__ import annotations

from pm_agent.engines import actions, causes, five_whys
from pm_agent.impact import extract_impact, impact_questions
from pm_agent.models import (
    Incident,
    Metric,
    OpenQuestion,
    Postmortem,
    RelatedIncident,
    TimelineEvent,
    WhyChain,
)
from pm_agent.timeline import classify_phases, compute_metrics
from pm_agent.timeparse import format_minutes, format_utc


def draft_postmortem(
    incident: Incident,
    *,
    roster: dict[str, str] | None = None,
    related: list[RelatedIncident] | None = None,
    score: bool = True,
) -> Postmortem:
    """Draft the postmortem of ``incident``; with ``score`` it ends with its own rubric score."""
    events = classify_phases(incident)
    metrics = compute_metrics(incident, events)
    impact = extract_impact(incident)
    reading = causes.read_timeline(incident)  # once: the 5 Whys and the factors rest on the same reading
    chain = five_whys.run_five_whys(incident.title, incident, reading=reading)
    factors = causes.contributing_factors(incident, reading=reading)
    date = (incident.started_at or events[0].at).date()
    postmortem = Postmortem(
        incident_id=incident.id,
        title=incident.title,
        severity=incident.severity,
        services=incident.services,
        date=date,
        summary=summarise(incident, events, metrics),
        impact=impact,
        timeline=events,
        metrics=metrics,
        root_cause=chain,
        contributing_factors=factors,
        action_items=actions.propose_actions(chain, factors, date, roster),
        what_went_well=went_well(events, metrics),
        lessons=lessons(chain),
        related_incidents=related or [],
    )
    postmortem.open_questions = open_questions(incident, postmortem, roster)
    if score:
        postmortem = with_score(postmortem)
    return postmortem


def with_score(postmortem: Postmortem) -> Postmortem:
    """The postmortem with its own rubric score and the questions that would raise it."""
    from pm_agent.engines.rubric import score_markdown
    from pm_agent.render import render_markdown

    result = score_markdown(render_markdown(postmortem))
    return postmortem.model_copy(update={"score": result})


def summarise(incident: Incident, events: list[TimelineEvent], metrics: list[Metric]) -> str:
    """A factual summary: what, where, when, how it was detected, how long it lasted."""
    parts = [f"{incident.title}."]
    if incident.services:
        parts.append(f"Affected services: {', '.join(incident.services)}.")
    by_name = {m.name: m for m in metrics}
    start, end = by_name["duration"].start, by_name["duration"].end
    if start:
        parts.append(f"Impact began at {format_utc(start)}.")
    detection = next((e for e in events if e.phase == "detection"), None)
    if detection:
        article = "an" if detection.source[0] in "aeiou" else "a"
        parts.append(f"It was first detected at {format_utc(detection.at)} through {article} {detection.source} event.")
    if end:
        parts.append(f"It was resolved at {format_utc(end)}.")
    if by_name["duration"].minutes is not None:
        parts.append(f"Total duration: {format_minutes(by_name['duration'].minutes)}.")
    return " ".join(parts)


def went_well(events: list[TimelineEvent], metrics: list[Metric]) -> list[str]:
    """Things the record shows working; empty when it shows none (the review fills it in)."""
    good = []
    first_detection = next((e for e in events if e.phase == "detection"), None)
    if first_detection and first_detection.source == "alert":
        good.append(f"Automated alerting detected the problem ({format_utc(first_detection.at)}: {first_detection.text}).")
    rollback = next((e for e in events if e.phase == "mitigation" and _mentions_rollback(e.text)), None)
    if rollback:
        good.append(f"A rollback path existed and was used ({format_utc(rollback.at)}: {rollback.text}).")
    declared = next((e for e in events if e.phase == "escalation"), None)
    if declared:
        good.append(f"The response was escalated and coordinated ({format_utc(declared.at)}: {declared.text}).")
    return good


def _mentions_rollback(text: str) -> bool:
    lowered = text.lower()
    return any(word in lowered for word in ("rollback", "roll back", "rolled back", "revert"))


LESSON_BY_KIND = {
    "safeguard": "A change could reach production without a safeguard that stops or limits it.",
    "test": "No automated test exercised this failure mode before the change shipped.",
    "alert": "Monitoring did not tell responders about this failure as soon as users felt it.",
    "process": "The process around this change left a gap that nobody owned.",
    "capacity": "Capacity limits were reached without a plan or an alert ahead of them.",
    "design": "A design limit of the system was reached under conditions it had not been built for.",
    "dependency": "A dependency's failure propagated without isolation or a fallback.",
}


def lessons(chain: WhyChain) -> list[str]:
    """Candidate lessons, one per systemic cause found (to be confirmed in the review)."""
    out: list[str] = []
    for branch in chain.branches:
        lesson = LESSON_BY_KIND.get(branch.systemic_kind)
        if lesson and lesson not in out:
            out.append(lesson)
    return out


ROOT_CAUSE_QUESTION = (
    "Which steps of the Five Whys marked 'to confirm' are right? Attach the evidence (logs, diffs, graphs)."
)


def open_questions(incident: Incident, postmortem: Postmortem, roster: dict[str, str] | None) -> list[OpenQuestion]:
    """Everything the draft could not settle from the data, as questions for the review."""
    questions = impact_questions(postmortem.impact)
    seen: set[str] = set()
    for metric in postmortem.metrics:
        if metric.question and metric.question not in seen:
            seen.add(metric.question)
            questions.append(OpenQuestion(topic=f"timeline: {metric.label.lower()}", question=metric.question))
    for undated in incident.undated_events:
        questions.append(OpenQuestion(
            topic="timeline: undated event",
            question=f"At what exact time did this happen: \"{undated.text}\" (the input says {undated.time_text!r})?",
        ))
    if postmortem.root_cause and postmortem.root_cause.to_confirm:
        questions.append(OpenQuestion(topic="root cause", question=ROOT_CAUSE_QUESTION))
    if not incident.severity:
        questions.append(OpenQuestion(topic="severity", question="What severity was the incident declared at?"))
    if not roster:
        questions.append(OpenQuestion(
            topic="actions: owners", question="Who is the named owner for each action item (the draft names roles only)?"
        ))
    if not postmortem.what_went_well:
        questions.append(OpenQuestion(topic="what went well", question="What helped the response go well?"))
    return questions
