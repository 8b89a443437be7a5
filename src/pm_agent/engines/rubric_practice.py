"""The practice criteria of the rubric: blameless tone, follow-through, learning, completeness.

Like :mod:`pm_agent.engines.rubric_criteria`, each function returns a :class:`Judgement` whose
evidence and advice explain its score. Blame is found by the project's blameless detector; while
that detector is unavailable the rubric's own phrase list stands in, and the evidence says so.
"""

from __future__ import annotations

import re
from functools import lru_cache

from pm_agent.engines.rubric_criteria import ABSENCE_RE
from pm_agent.engines.rubric_text import Judgement, Signals, plural, quoted, words
from pm_agent.markdown_doc import MarkdownPostmortem
from pm_agent.prefilter import QuickPattern, quick

SHORT_TEXT_WORDS = 100
_SEVERE_BLAME = {"human_error", "character_judgement", "person_as_cause"}
_METRIC_VALUE = (
    r"[^.\n]{0,40}?(?<![\w:])\d+(?:[.,]\d+)?\+?\s?(?:minutes?|mins?|hours?|hrs?|h|m|seconds?|secs?|s|days?|d)\b"
)


def blameless_tone(doc: MarkdownPostmortem, signals: Signals) -> Judgement:
    """Start from 5 and subtract for each blame finding; a text too short to judge scores 1."""
    text = doc.text
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
        from pm_agent.engines.blameless import detect_blame

        return [(f.text, f.category, f.suggestion) for f in detect_blame(text)], "blameless detector"
    except NotImplementedError:
        spans = [m.group(0) for m in re.finditer(_phrase_re(signals), text)]
        advice = "describe the conditions and decisions that made this reasonable at the time, not the person"
        return [(span, "blame phrase", advice) for span in spans], "rubric's blame phrase list (detector not available)"


def _phrase_re(signals: Signals) -> re.Pattern[str]:
    phrases = sorted(signals.phrases("fallback_blame_phrases"), key=len, reverse=True)
    return re.compile(r"(?<!\w)(?:" + "|".join(re.escape(p) for p in phrases) + r")(?!\w)", re.I)


def timeliness_follow_through(doc: MarkdownPostmortem, signals: Signals) -> Judgement:
    """Detection and recovery metrics, due dates and tracked status on actions, a recorded review."""
    j = Judgement()
    detection = _metric(doc, signals.phrases("detection_metric_terms"))
    recovery = _metric(doc, signals.phrases("recovery_metric_terms"))
    for name, found in (("detection", detection), ("recovery", recovery)):
        if found:
            j.credit(1.0, f"{name} time stated: '{found}'")
        else:
            j.improve(f"state the time to {'detect' if name == 'detection' else 'recover'} (minutes from start)")
    if not (detection or recovery) and sum(r.timestamped for r in doc.timeline_rows()) >= 2:
        j.credit(0.5, "detection and recovery times could be derived from the timeline, but are not stated")
    _tracking(doc, j)
    _review(doc, signals, j)
    return j


def _metric(doc: MarkdownPostmortem, terms: list[str]) -> str | None:
    """A stated metric: a fact whose key names it, or the term followed closely by a duration."""
    for key, value in doc.facts.items():
        if any(re.search(rf"(?<!\w){re.escape(t)}(?!\w)", key, re.I) for t in terms) and re.search(r"\d", value):
            return f"{key}: {value}"
    match = _metric_pattern(tuple(terms)).search(doc.text)
    return " ".join(match.group(0).split()) if match else None


@lru_cache(maxsize=32)
def _metric_pattern(terms: tuple[str, ...]) -> QuickPattern:
    """A term, then a duration close after it (tried only where a term occurs: drafts are long)."""
    alternation = "|".join(re.escape(t) for t in sorted(terms, key=len, reverse=True))
    return quick(rf"(?<!\w)(?:{alternation})(?!\w){_METRIC_VALUE}", re.I, shared=False)


def _tracking(doc: MarkdownPostmortem, j: Judgement) -> None:
    actions = doc.action_items()
    if not actions:
        j.improve("add action items with due dates and a tracked status or ticket")
        return
    n = len(actions)
    dated = sum(1 for a in actions if a.due)
    tracked = sum(1 for a in actions if a.status or a.ticket)
    j.credit(1.0 * dated / n, f"{dated} of {n} actions have a due date")
    if dated < n:
        j.improve("give every action a due date")
    if tracked:
        j.credit(0.5 if tracked * 2 >= n else 0.25, f"{tracked} of {n} actions have a status or ticket")
    if tracked < n:
        j.improve("track every action: a ticket link or a status (open / in progress / done)")


def _review(doc: MarkdownPostmortem, signals: Signals, j: Judgement) -> None:
    titles = "\n".join([*(s.title for s in doc.sections), *doc.facts])
    found = signals.found("review_sections", titles) + signals.found("review_phrases", doc.text)
    if found:
        j.credit(0.5, f"review recorded ({quoted(found, 2)})")
    else:
        j.improve("record the review: its date and attendees, and when actions will be checked")


def learning_sharing(doc: MarkdownPostmortem, signals: Signals) -> Judgement:
    """Lessons (specific, not generic), what went well and wrong, related incidents, sharing."""
    j = Judgement()
    lessons = doc.items("lessons") or _sentences(doc.field("lessons"))
    if lessons:
        j.credit(1.0 if len(lessons) < 3 else 1.5, f"{plural(len(lessons), 'lesson')} learned")
        generic = signals.found("generic_lessons", "\n".join(lessons))
        if generic:
            j.credit(-0.5, f"generic lessons: {quoted(generic)}")
            j.improve("replace generic lessons ('be more careful') with what the organisation now knows "
                      "about its system")
    else:
        j.improve("add a Lessons learned section: what the organisation now knows that it did not before")
    for field, label in (("what_went_well", "what went well"), ("what_went_wrong", "what went wrong")):
        found = doc.items(field) or _sentences(doc.field(field))
        if found:
            j.credit(0.75, f"{label}: {plural(len(found), 'point')}")
        else:
            j.improve(f"add '{label.capitalize()}'")
    _related(doc, signals, j)
    sharing = signals.found("sharing_terms", doc.text)
    if sharing:
        j.credit(0.5, f"sharing mentioned ({quoted(sharing, 3)})")
    else:
        j.improve("say how the lessons are shared: a wiki page, a review session, an announcement")
    return j


def _related(doc: MarkdownPostmortem, signals: Signals, j: Judgement) -> None:
    linked = [link.text for link in doc.links
              if re.search(r"post-?mortem|incident|\bPM[-\d]", f"{link.text} {link.url}", re.I)]
    mentioned = signals.found("related_terms", doc.text)
    if linked or mentioned:
        j.credit(0.5, f"links to related incidents ({quoted(linked + mentioned, 3)})")
    else:
        j.improve("link related or earlier incidents, and say whether this one recurred")


def _sentences(text: str) -> list[str]:
    return [s for s in re.split(r"(?<=[.!?])\s+|\n+", text) if len(s.split()) >= 3]


def completeness_structure(doc: MarkdownPostmortem, signals: Signals) -> Judgement:
    """Expected sections present, key facts (title, date, severity, services), no placeholders or empty sections."""
    j = Judgement()
    present = set(doc.fields_present())
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
    facts = _key_facts(doc, signals)
    ratio = (sections + 0.5 * len(facts)) / (len(expected) + 1 + 2)
    stated = f"key facts: {', '.join(facts)}" if facts else "no key facts (title, date, severity, services)"
    j.credit(4.0 * ratio, f"{len(have) + len(either[:1])} of {len(expected) + 1} expected sections; {stated}")
    if missing:
        j.improve(f"add the missing sections: {', '.join(missing)}")
    absent = [f for f in ("title", "date", "severity", "services") if f not in facts]
    if absent:
        j.improve(f"state the {', '.join(absent)} at the top")
    _leftovers(doc, signals, j)
    return j


def _key_facts(doc: MarkdownPostmortem, signals: Signals) -> list[str]:
    facts = []
    keys = " | ".join(k for k, v in doc.facts.items() if not ABSENCE_RE.search(v))
    if doc.facts.get("title") or any(s.level == 1 and s.title == doc.title for s in doc.sections):
        facts.append("title")
    if doc.incident_date():
        facts.append("date")
    if signals.found("severity_fact_keys", keys) or signals.occurs("severity_terms", doc.text):
        facts.append("severity")
    if signals.found("service_fact_keys", keys):
        facts.append("services")
    return facts


def _leftovers(doc: MarkdownPostmortem, signals: Signals, j: Judgement) -> None:
    placeholders = signals.found("placeholders", doc.text)
    if placeholders:
        j.credit(-0.5, f"template placeholders left in: {quoted(placeholders)}")
        j.improve("replace or remove the template placeholders")
    sections = doc.sections
    empty = [s.title for i, s in enumerate(sections)
             if s.level >= 1 and not s.text and (i + 1 == len(sections) or sections[i + 1].level <= s.level)]
    if empty:
        j.credit(-0.25 * min(len(empty), 2), f"empty sections: {quoted(empty)}")
        j.improve("fill in or remove the empty sections")
