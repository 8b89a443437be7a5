"""Readable text for the memory's results: search hits, stored records, tracked actions, ingest, stats, reindex.

The CLI prints these and the MCP tools return them as their text content, so both show the same words
for the same result. (The patterns report is Markdown of its own: :mod:`pm_agent.render.patterns`.)
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from pm_agent.memory.actions import TrackedAction
    from pm_agent.memory.api import IngestReport, ReindexReport
    from pm_agent.memory.records import MemoryRecord
    from pm_agent.memory.retrieval import MemoryHit

NO_HITS = "No related incidents in the memory."


def hits_text(hits: Sequence[MemoryHit]) -> str:
    """Search hits best first, as a Markdown list: title, date, the stored id to ask for, the score, and
    one line per reason it matched.

    The score keeps four decimals: fused ranks give scores near 1/60, where three would tie hits
    that rank apart.
    """
    if not hits:
        return NO_HITS
    lines = []
    for number, hit in enumerate(hits, 1):
        date = f" ({hit.date})" if hit.date else ""
        lines.append(f"{number}. {hit.title}{date}  [{hit.source_id or hit.id}, score {hit.score:.4f}]")
        lines += [f"   - {reason}" for reason in hit.why]
    return "\n".join(lines)


def remembered_text(record: MemoryRecord) -> str:
    """What was stored: the record's id, its cause categories and the ids of its actions."""
    actions = ", ".join(item.id for item in record.action_items) or "none"
    causes = ", ".join(record.causes) or "none recognised"
    return (
        f"Remembered {record.title} ({record.source_id}) as {record.id}. "
        f"Cause categories: {causes}. Actions: {actions}."
    )


def tracked_actions_text(tracked: Sequence[TrackedAction]) -> str:
    """Remembered action items, one line each, overdue ones marked."""
    if not tracked:
        return "No action items to show."
    lines = []
    for action in tracked:
        due = action.due.isoformat() if action.due else "no due date"
        flag = " OVERDUE" if action.overdue else ""
        issue = ""
        if action.tracker_url:
            state = f" ({action.tracker_state} in the tracker)" if action.tracker_state == "closed" else ""
            issue = f" | issue: {action.tracker_url}{state}"
        lines.append(
            f"{action.id} [{action.status}{flag}] {action.title} | owner: {action.owner or 'to assign'} "
            f"| due: {due} | from {action.incident_id}{issue}"
        )
    return "\n".join(lines)


def action_done_text(action: TrackedAction) -> str:
    """One action item marked done: its id first, as ``actions list`` shows it."""
    return f"{action.id} done: {action.title} ({action.incident_id})"


def ingest_text(report: IngestReport, location: str, records: int) -> str:
    """What an ingest added and skipped, with the embedding used and the memory it went to."""
    repeated = f", {report.repeated_in_input} repeated in the input" if report.repeated_in_input else ""
    return (
        f"{report.added} added, {report.already_stored} already stored{repeated}"
        f" ({report.read} read from {report.files} files; embedding: {report.embedder}; "
        f"memory: {location}, {records} records)"
    )


def stats_text(stats: Mapping[str, Any]) -> str:
    """``key: value`` lines of the memory's stats, the unknown ones left out."""
    return "\n".join(f"{key}: {value}" for key, value in stats.items() if value is not None)


def empty_memory_text(location: str, how_to_fill: str) -> str:
    """What every read of a memory that holds nothing yet answers: where it is, and how to fill it.

    ``how_to_fill`` comes from the front end, which alone knows its own way (the CLI names a command, the
    MCP server a tool), so both say the same sentence around it.
    """
    return f"The memory at {location} holds no incidents yet; {how_to_fill}."


def reindex_text(report: ReindexReport, location: str, how_to_fill: str) -> str:
    """What a reindex did; for a memory that holds nothing, that there was nothing to do and how to fill it."""
    if report.previous_embedder is None:
        return f"Nothing to re-embed. {empty_memory_text(location, how_to_fill)}"
    return (
        f"{report.records} records embedded again with {report.embedder} (they held {report.previous_embedder} vectors)"
    )
