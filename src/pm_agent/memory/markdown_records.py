"""Any team's Markdown postmortem as a :class:`MemoryRecord`, through :mod:`pm_agent.markdown.document`.

Sections are mapped to fields by the shared Markdown reader (``## Root Cause``,
``**What happened?**``, action tables...); this module only picks what the memory keeps.
A category the document states about itself is not used: cause categories always come
from the classifier over the text, as for every other format.
"""

from __future__ import annotations

from pathlib import Path

from pm_agent.ingest.timeparse import minutes_in_text
from pm_agent.markdown.document import MarkdownPostmortem, parse_markdown
from pm_agent.markdown.entries import ActionEntry, parse_date
from pm_agent.memory.records import MemoryRecord, content_id, with_action_ids
from pm_agent.models import ActionItem

SUMMARY_FIELDS = ("summary", "impact", "trigger")
BODY_FIELDS = ("impact", "trigger", "detection", "response", "what_went_wrong", "lessons", "timeline")
ID_FACTS = ("id", "incident id", "incident")
SEVERITY_FACTS = ("severity", "sev", "priority")
SERVICE_FACTS = ("services", "affected services", "service", "components", "affected components", "systems")
RESOLVE_FACTS = ("time to resolve", "time to resolution", "time to recovery", "time to restore", "duration")


def record_from_markdown(text: str, source: str) -> MemoryRecord:
    """A postmortem record from Markdown; its id hashes the text (line endings normalised)."""
    normalised = "\n".join(line.rstrip() for line in text.replace("\r\n", "\n").split("\n")).strip()
    doc = parse_markdown(normalised)
    root_causes = doc.items("root_cause") or _paragraphs(doc.field("root_cause"))
    record = MemoryRecord(
        id=content_id("postmortem", {"markdown": normalised}),
        kind="postmortem",
        source_id=_fact(doc, ID_FACTS) or Path(source.split(":")[0]).stem,
        title=doc.title or Path(source).stem,
        summary=_summary(doc),
        date=doc.incident_date(),
        severity=_fact(doc, SEVERITY_FACTS),
        services=[name.strip() for name in (_fact(doc, SERVICE_FACTS) or "").split(",") if name.strip()],
        root_causes=root_causes,
        contributing_factors=doc.items("contributing_factors"),
        action_items=[_action(entry) for entry in doc.action_items()],
        resolve_minutes=minutes_in_text(_fact(doc, RESOLVE_FACTS)),
        source=source,
        body="\n".join(text for name in BODY_FIELDS if (text := doc.field(name))),
    )
    return with_action_ids(record)


def _summary(doc: MarkdownPostmortem) -> str:
    for text in [doc.field(name) for name in SUMMARY_FIELDS] + [doc.preamble(), doc.text]:
        if text.strip():
            return " ".join(text.split())[:1200]
    return ""


def _paragraphs(text: str) -> list[str]:
    return [part.strip() for part in text.split("\n\n") if part.strip()]


def _fact(doc: MarkdownPostmortem, keys: tuple[str, ...]) -> str | None:
    return next((doc.facts[key].strip() for key in keys if doc.facts.get(key, "").strip()), None)


def _action(entry: ActionEntry) -> ActionItem:
    return ActionItem(
        title=entry.text,
        owner=entry.owner,
        due=parse_date(entry.due or ""),
        status=entry.status or "open",
        done_when=entry.done_when or "",
    )
