"""The incident memory: past incidents and postmortems, searchable and counted for patterns.

``Memory`` is the facade (see :mod:`pm_agent.memory.api`). Importing this package is cheap:
chromadb, onnxruntime, tokenizers and numpy load only when the memory is first used.
"""

from pm_agent.memory.api import IngestReport, Memory
from pm_agent.memory.records import MemoryRecord
from pm_agent.memory.retrieval import MemoryHit, RetrievalConfig

__all__ = ["IngestReport", "Memory", "MemoryHit", "MemoryRecord", "RetrievalConfig"]
