"""The practice criteria of the rubric: blameless tone, follow-through, learning, completeness.

Like :mod:`pm_agent.analysis.rubric.account`, each function returns a :class:`Judgement` whose
evidence and advice explain its score. Blame is found by the project's blameless detector; while
that detector is unavailable the rubric's own phrase list stands in, and the evidence says so.
"""

from __future__ import annotations

import re
from functools import lru_cache

from pm_agent.analysis.rubric.reading import ECHO, Reading, is_open, stated_lines
from pm_agent.analysis.rubric.text import Judgement, Signals, plural, quoted, words
from pm_agent.markdown.document import MarkdownPostmortem
from pm_agent.textscan.words import StartWords

SHORT_TEXT_WORDS = 100
_SEVERE_BLAME = {"human_error", "character_judgement", "person_as_cause"}
_METRIC_VALUE = (
    r"[^.\n]{0,40}?(?<![\w:])\d+(?:[.,]\d+)?\+?\s?(?:minutes?|mins?|hours?|hrs?|h|m|seconds?|secs?|s|days?|d)\b"
)


def blameless_tone(reading: Reading, signals: Signals) -> Judgement:
    """Start from 5 and subtract for each blame finding; a text too short to judge scores 1."""
    text = reading.doc.text
    count = words(text)
    if count < 40:
        j = Judgement()
        j.found(f"only {plural(count, 'word')}: too little text to judge the tone")
        j.improve("write the narrative (summary, analysis, lessons) in full sentences")
        return j
    j = Judgement(points=5.0)
    findings, checker = _blame_findings(text, signals)
    if not findings:
        j.found(f"no blame language in {count} words (checked with the {checker})")
    else:
        penalty = sum(0.75 if i < 2 else 0.5 for i in range(len(findings)))
        penalty += 0.25 * sum(1 for _, category, _ in findings if category in _SEVERE_BLAME)
        shown = ", ".join(f"'{span}' ({category})" for span, category, _ in findings[:4])
        more = f" and {len(findings) - 4} more" if len(findings) > 4 else ""
        j.credit(-penalty, f"{plural(len(findings), 'blame finding')} ({checker}): {shown}{more}")
        for span, _, suggestion in findings[:3]:
            j.improve(f"rewrite '{span}' toward the system, e.g.: {suggestion}")
    if count < SHORT_TEXT_WORDS:
        j.points = min(j.points, 4.0)
        j.found(f"short text ({count} words): the tone is judged on little evidence")
    return j


def _blame_findings(text: str, signals: Signals) -> tuple[list[tuple[str, str, str]], str]:
    """(span, category, suggestion) per finding, and which checker produced them."""
    try:
        from pm_agent.analysis.blameless.rewrite import detect_blame

        return [(f.text, f.category, f.suggestion) for f in detect_blame(text)], "blameless detector"
    except NotImplementedError:
        spans = [m.group(0) for m in re.finditer(_phrase_re(signals), text)]
        advice = "describe the conditions and decisions that made this reasonable at the time, not the person"
        return [(span, "blame phrase", advice) for span in spans], "rubric's blame phrase list (detector not available)"


def _phrase_re(signals: Signals) -> re.Pattern[str]:
    phrases = sorted(signals.phrases("fallback_blame_phrases"), key=len, reverse=True)
    return re.compile(r"(?<!\w)(?:" + "|".join(re.escape(p) for p in phrases) + r")(?!\w)", re.I)


def timeliness_follow_through(reading: Reading, signals: Signals) -> Judgement:
    """Detection and recovery metrics, due dates and tracked status on actions, a recorded review."""
    doc = reading.doc
    j = Judgement()
    stated = reading.stated_text()
    detection = _metric(doc, stated, signals.phrases("detection_metric_terms"))
    recovery = _metric(doc, stated, signals.phrases("recovery_metric_terms"))
    for name, found in (("detection", detection), ("recovery", recovery)):
        if found:
            j.credit(1.0, f"{name} time stated: '{found}'")
        else:
            j.improve(f"state the time to {'detect' if name == 'detection' else 'recover'} (minutes from start)")
    if not (detection or recovery) and sum(r.timestamped for r in reading.timeline_rows) >= 2:
        j.credit(0.5, "detection and recovery times could be derived from the timeline, but are not stated")
    _tracking(reading, j)
    _review(doc, signals, j)
    return j


def _metric(doc: MarkdownPostmortem, stated: str, terms: list[str]) -> str | None:
    """A stated metric: a fact whose key names it, or the term followed closely by a duration. A fact marked as not
    known ('**Time to detect:** not in the data (see question 3)') states none, whatever digits it holds."""
    for key, value in _stated_facts(doc).items():
        if any(re.search(rf"(?<!\w){re.escape(t)}(?!\w)", key, re.I) for t in terms) and re.search(r"\d", value):
            return f"{key}: {value}"
    match = _metric_pattern(tuple(terms)).search(stated)
    return " ".join(match.group(0).split()) if match else None


@lru_cache(maxsize=32)
def _metric_pattern(terms: tuple[str, ...]) -> StartWords:
    """A term, then a duration close after it (tried only where a term occurs: drafts are long)."""
    alternation = "|".join(re.escape(t) for t in sorted(terms, key=len, reverse=True))
    return StartWords(re.compile(rf"(?<!\w)(?:{alternation})(?!\w){_METRIC_VALUE}", re.I), [t.lower() for t in terms])


def _tracking(reading: Reading, j: Judgement) -> None:
    """Due dates and tracking, each counted by how far its action addresses this incident's causes:
    a dated action about something else is not follow-through on this incident."""
    actions = reading.actions
    if not actions:
        j.improve("add action items with due dates and a tracked status or ticket")
        return
    n = len(actions)
    dated = [a for a in actions if a.entry.due]
    tracked = [a for a in actions if a.entry.status or a.entry.ticket]
    j.credit(1.0 * sum(a.aim for a in dated) / n, f"{len(dated)} of {n} actions have a due date")
    if len(dated) < n:
        j.improve("give every action a due date")
    if tracked:
        j.credit(
            0.5 if sum(a.aim for a in tracked) / n >= 0.5 else 0.25,
            f"{len(tracked)} of {n} actions have a status or ticket",
        )
    if len(tracked) < n:
        j.improve("track every action: a ticket link or a status (open / in progress / done)")


def _review(doc: MarkdownPostmortem, signals: Signals, j: Judgement) -> None:
    """A review is recorded by a heading or fact ('Attendees') or a phrase ('review meeting') the document states:
    '**Attendees:** to be confirmed' or 'When will the review meeting be held?' records none."""
    titles = "\n".join([*(s.title for s in doc.sections), *_stated_facts(doc)])
    # one scan of the raw text first: a phrase it lacks, its stated lines lack too (and reading every line of a
    # long timeline for questions would cost more than the rest of the criterion)
    phrases = (
        signals.found("review_phrases", stated_lines(doc.text)) if signals.found("review_phrases", doc.text) else []
    )
    found = signals.found("review_sections", titles) + phrases
    if found:
        j.credit(0.5, f"review recorded ({quoted(found, 2)})")
    else:
        j.improve("record the review: its date and attendees, and when actions will be checked")


def learning_sharing(reading: Reading, signals: Signals) -> Judgement:
    """Lessons specific to this incident, what went well and wrong, related incidents, sharing.

    A lesson counts by how far it is about this incident (it shares the components and mechanisms
    the rest of the document names); a generic lesson earns nothing, a question is not a lesson.
    """
    j = Judgement()
    lessons = reading.of("lessons")
    specific = sum(s.weight for s in lessons)
    if specific >= 1:
        j.credit(
            1.0 if specific < 2.5 else 1.5,
            f"{plural(len(lessons), 'lesson')} learned, {plural(round(specific), 'specific one')} to this incident",
        )
    elif lessons:
        shown = quoted([s.text for s in lessons], 2, 50)
        j.found(f"{plural(len(lessons), 'lesson')}, none specific to this incident: {shown}")
    generic = [s.text for s in lessons if s.weight < 0.5]
    if lessons and generic:
        j.improve("make each lesson specific: what the organisation now knows about this system, in its own terms")
    phrases = signals.found("generic_lessons", "\n".join(s.text for s in lessons))
    if phrases:
        j.credit(-0.5, f"generic lessons: {quoted(phrases)}")
        j.improve("replace generic lessons ('be more careful') with what the organisation now knows about its system")
    if not lessons:
        j.improve("add a Lessons learned section: what the organisation now knows that it did not before")
    for field, label in (("what_went_well", "what went well"), ("what_went_wrong", "what went wrong")):
        found = reading.points(field)
        if found:
            j.credit(0.75, f"{label}: {plural(len(found), 'point')}")
        else:
            j.improve(f"add '{label.capitalize()}'")
    _related(reading, signals, j)
    sharing = signals.found("sharing_terms", reading.stated_text(besides="actions"))
    if sharing:
        j.credit(0.5, f"sharing mentioned ({quoted(sharing, 3)})")
    else:
        j.improve("say how the lessons are shared: a wiki page, a review session, an announcement")
    return j


def _related(reading: Reading, signals: Signals, j: Judgement) -> None:
    linked = [
        link.text
        for link in reading.doc.links
        if re.search(r"post-?mortem|incident|\bPM[-\d]", f"{link.text} {link.url}", re.I)
    ]
    mentioned = signals.found("related_terms", reading.stated_text())
    if linked or mentioned:
        j.credit(0.5, f"links to related incidents ({quoted(linked + mentioned, 3)})")
    else:
        j.improve("link related or earlier incidents, and say whether this one recurred")


def completeness_structure(reading: Reading, signals: Signals) -> Judgement:
    """Expected sections present, key facts (title, date, severity, services), no placeholders or empty sections.

    A section is present when it states something: one that holds only questions or 'not in the data'
    is an open item, not a section.
    """
    doc = reading.doc
    j = Judgement()
    present = _fields_stated(reading)
    expected = signals.phrases("expected_sections")
    have = [f for f in expected if f in present]
    sections = float(len(have))
    either = [f for f in signals.phrases("either_sections") if f in present]
    sections += 1.0 if either else 0.0
    stand_in = [f for f in signals.phrases("partial_sections") if f in present]
    if "root_cause" not in present and stand_in:
        sections += 0.5
        j.found(f"{stand_in[0].replace('_', ' ')} stand in for a root cause section")
    missing = [f.replace("_", " ") for f in expected if f not in present] + ([] if either else ["detection/response"])
    facts = _key_facts(doc, reading.stated_text(besides="actions"), signals)  # an action's P1 is not the severity
    ratio = (sections + 0.5 * len(facts)) / (len(expected) + 1 + 2)
    stated = f"key facts: {', '.join(facts)}" if facts else "no key facts (title, date, severity, services)"
    j.credit(4.0 * ratio, f"{len(have) + len(either[:1])} of {len(expected) + 1} expected sections; {stated}")
    if missing:
        j.improve(f"add the missing sections: {', '.join(missing)}")
    _open_analysis(reading, j)
    absent = [f for f in ("title", "date", "severity", "services") if f not in facts]
    if absent:
        j.improve(f"state the {', '.join(absent)} at the top")
    _leftovers(doc, signals, j)
    return j


OPEN_SHARE_CAPS = (
    (0.75, 3.5),
    (0.5, 4.0),
    (0.3, 4.5),
)  # share of the analysis still open -> the most completeness can score


def _open_analysis(reading: Reading, j: Judgement) -> None:
    """A document whose analysis is mostly open questions, or only restates the timeline, is a draft to finish,
    however many sections it has."""
    open_lines = reading.withheld_in("causes")
    explained = [s for s in reading.in_group("causes") if s.echo < ECHO]
    total = len(open_lines) + len(explained)
    share = len(open_lines) / total if total else 0.0
    cap = next((ceiling for floor, ceiling in OPEN_SHARE_CAPS if share >= floor), None)
    if cap is not None:
        j.cap(cap, f"{round(100 * share)}% of the analysis is open questions or hypotheses, beside what it explains")
        j.improve("answer the open questions of the analysis")


def _fields_stated(reading: Reading) -> set[str]:
    """Fields with a statement about this incident: a section of questions, of 'not in the data', or of text
    about another incident is not there."""
    present = {s.field for s in reading.statements if s.field and (s.group == "account" or s.weight > 0)}
    present |= set(reading.mentions)
    if reading.doc.sections_for("timeline") and any(row.timestamped for row in reading.timeline_rows):
        present.add("timeline")
    if reading.actions:
        present.add("action_items")
    return present


def _key_facts(doc: MarkdownPostmortem, stated: str, signals: Signals) -> list[str]:
    """Title, date, severity and services, each stated (a 'Severity: not stated' line states no severity)."""
    facts = []
    keys = " | ".join(_stated_facts(doc))
    if doc.facts.get("title") or any(s.level == 1 and s.title == doc.title for s in doc.sections):
        facts.append("title")
    if doc.incident_date():
        facts.append("date")
    if signals.found("severity_fact_keys", keys) or signals.occurs("severity_terms", stated):
        facts.append("severity")
    if signals.found("service_fact_keys", keys):
        facts.append("services")
    return facts


def _stated_facts(doc: MarkdownPostmortem) -> dict[str, str]:
    """The document's facts (``**Key:** value``) that state something: a value that asks, or says it is not known or
    not established, leaves its key unstated."""
    return {key: value for key, value in doc.facts.items() if not is_open(value)}


def _leftovers(doc: MarkdownPostmortem, signals: Signals, j: Judgement) -> None:
    placeholders = signals.found("placeholders", doc.text)
    if placeholders:
        j.credit(-0.5, f"template placeholders left in: {quoted(placeholders)}")
        j.improve("replace or remove the template placeholders")
    sections = doc.sections
    empty = [
        s.title
        for i, s in enumerate(sections)
        if s.level >= 1 and not s.text and (i + 1 == len(sections) or sections[i + 1].level <= s.level)
    ]
    if empty:
        j.credit(-0.25 * min(len(empty), 2), f"empty sections: {quoted(empty)}")
        j.improve("fill in or remove the empty sections")
