"""Offline drafting: an incident in, a blameless postmortem draft out, every statement resting on the data.

The incident is read once (:func:`pm_agent.analysis.evidence.read_incident`); the timeline phases,
the metrics, the findings, the Five Whys, the factors, the actions, the summary, the impact in
words, what went well, what went wrong and the lessons all come from that one reading. Each causal statement quotes
the events it rests on; what the data cannot settle becomes an open question, never a template
cause.
"""

from __future__ import annotations

import re

from pm_agent.analysis.actions.finding_plans import finding_questions
from pm_agent.analysis.actions.proposed import propose_actions
from pm_agent.analysis.actions.response_plans import detection_questions
from pm_agent.analysis.actions.steps_taken import fix_before_the_report_questions
from pm_agent.analysis.evidence import Reading, read_incident
from pm_agent.analysis.factors import contributing_factors
from pm_agent.analysis.findings import read_findings
from pm_agent.analysis.impact import extract_impact, impact_questions
from pm_agent.analysis.lessons import lessons, went_wrong
from pm_agent.analysis.narrative import impact_in_words, summarise, went_well
from pm_agent.analysis.quoting import quote
from pm_agent.analysis.timeline import classify_phases, compute_metrics
from pm_agent.analysis.whys.cause import first_symptom
from pm_agent.analysis.whys.chain import run_five_whys
from pm_agent.models import Incident, OpenQuestion, Postmortem, RelatedIncident

ACTIONS_QUESTION = "Which one change would most reduce the chance of this happening again, and who will own it?"
LESSONS_QUESTION = "What does the team now know about this system that it did not know before the incident?"
WENT_WELL_QUESTION = "What helped the response go well?"
MIN_PROBLEM_WORDS = 3  # a head shorter than this ("Alert") says nothing of what failed: the whole text is kept


def whys_problem(reading: Reading) -> str:
    """The failure the Five Whys ask about: the title, unless the title only repeats a change the data records (a
    title taken from the message a chat opened with, "v3.9.0 canary started on 5% of traffic"); asking why a
    change was made is no question about the failure, so the first event that shows the failure is asked about."""
    title = reading.incident.title.strip()
    repeats_a_change = any(
        t.text.strip()[: len(title)] == title and t.has("change") and not t.has("symptom", "alert", "report")
        for t in reading.events[:1]
    )
    symptom = first_symptom(reading) if repeats_a_change else None
    if symptom is None:
        return reading.incident.title
    text = quote(symptom.event)
    head = re.split(r"[:;]\s", text, maxsplit=1)[0].strip()  # "Canary analysis FAILED for v3.9.0": what failed
    return head if len(head.split()) >= MIN_PROBLEM_WORDS else text


def draft_postmortem(
    incident: Incident,
    *,
    roster: dict[str, str] | None = None,
    related: list[RelatedIncident] | None = None,
    score: bool = True,
    facts: list[str] | None = None,
) -> Postmortem:
    """Draft the postmortem of ``incident``; with ``score`` it ends with its own rubric score."""
    reading = read_incident(incident)
    events = classify_phases(incident, reading)
    metrics = compute_metrics(incident, reading)
    chain = run_five_whys(whys_problem(reading), incident, facts, reading=reading)
    date = reading.started or (events[0].at if events else None) or incident.resolved_at
    postmortem = Postmortem(
        incident_id=incident.id,
        title=incident.title,
        severity=incident.severity,
        services=incident.services,
        date=date.date() if date else None,
        summary=summarise(reading, metrics),
        impact=extract_impact(incident),
        impact_statements=impact_in_words(reading),
        timeline=events,
        undated_events=list(incident.undated_events),
        metrics=metrics,
        findings=read_findings(reading),
        root_cause=chain,
        contributing_factors=contributing_factors(reading),
        action_items=propose_actions(reading, incident.title, date.date() if date else None, roster),
        what_went_well=went_well(reading),
        what_went_wrong=went_wrong(reading, metrics),
        lessons=lessons(reading),
        related_incidents=related or [],
    )
    postmortem.open_questions = open_questions(reading, postmortem, roster)
    if score:
        postmortem = with_score(postmortem)
    return postmortem


def with_score(postmortem: Postmortem) -> Postmortem:
    """The postmortem with its own rubric score and the questions that would raise it."""
    from pm_agent.analysis.rubric.scorer import score_markdown
    from pm_agent.render.postmortem import render_markdown

    result = score_markdown(render_markdown(postmortem))
    return postmortem.model_copy(update={"score": result})


def cause_questions(postmortem: Postmortem) -> list[OpenQuestion]:
    """The questions the Five Whys leave open: each open step's, then each unestablished systemic cause's."""
    chain = postmortem.root_cause
    if chain is None:
        return []
    questions = [
        OpenQuestion(topic=f"root cause ({b.label})", question=s.question)
        for b in chain.branches
        for s in b.steps
        if s.question
    ]
    questions += [
        OpenQuestion(topic=f"systemic cause ({b.label})", question=b.root_cause_question)
        for b in chain.branches
        if b.root_cause_question
    ]
    return questions


def open_questions(reading: Reading, postmortem: Postmortem, roster: dict[str, str] | None) -> list[OpenQuestion]:
    """Everything the draft could not settle from the data, as questions for the review."""
    questions = impact_questions(postmortem.impact)
    seen: set[str] = set()
    for metric in postmortem.metrics:
        if metric.question and metric.question not in seen:
            seen.add(metric.question)
            questions.append(OpenQuestion(topic=f"timeline: {metric.label.lower()}", question=metric.question))
    for undated in reading.incident.undated_events:
        questions.append(
            OpenQuestion(
                topic="timeline: undated event",
                question=f'At what exact time did this happen: "{undated.text}" (the input says {undated.time_text!r})?',
            )
        )
    questions += cause_questions(postmortem)
    questions += [OpenQuestion(topic="actions: unexplained finding", question=q) for q in finding_questions(reading)]
    questions += [OpenQuestion(topic="actions: detection", question=q) for q in detection_questions(reading)]
    questions += [
        OpenQuestion(topic="root cause: a fix before the report", question=q)
        for q in fix_before_the_report_questions(reading)
    ]
    if not reading.incident.severity:
        questions.append(OpenQuestion(topic="severity", question="What severity was the incident declared at?"))
    if not roster:
        questions.append(
            OpenQuestion(
                topic="actions: owners",
                question="Who is the named owner for each action item (the draft names roles only)?",
            )
        )
    questions.append(OpenQuestion(topic="actions", question=ACTIONS_QUESTION))
    if not postmortem.what_went_well:
        questions.append(OpenQuestion(topic="what went well", question=WENT_WELL_QUESTION))
    if not postmortem.lessons:
        questions.append(OpenQuestion(topic="lessons", question=LESSONS_QUESTION))
    return questions
