"""The memory's view of the cause classifier: categories for a text, never an exception.

:func:`pm_agent.analysis.causes.categories.classify_causes` belongs to the analysis engines; the memory
stores its labels as metadata and boosts search hits that share them. Until the engine is
available (it raises NotImplementedError in early builds) records simply carry no category.
"""

from __future__ import annotations

from pm_agent.memory.records import MemoryRecord

MAX_CATEGORIES = 3  # the strongest few: weak keyword matches only blur the boost


def causes_of(text: str) -> list[str]:
    """Cause categories of ``text``, strongest first; [] when the classifier is not available."""
    from pm_agent.analysis.causes import categories as causes

    try:
        return list(causes.classify_causes(text))[:MAX_CATEGORIES]
    except NotImplementedError:
        return []


def with_causes(record: MemoryRecord) -> MemoryRecord:
    """The record with its cause categories, from its own text only."""
    return record.model_copy(update={"causes": causes_of(record.text())})
