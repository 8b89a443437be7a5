"""Leave-one-out retrieval evaluation: does search put incidents of the same kind first?

The recipe of ``shared/data/README.md``: take the rows whose ``<label>_basis`` is
``source label`` (curated labels), store them in a fresh memory, query with each one's
title and summary, rank all the others, and count how many of the top k share its label
(precision@k), whether any does (hit@k), and the reciprocal rank of the first that does (MRR).

The label is read only to score the ranking: records are built without it (see
:mod:`pm_agent.memory.records`), and cause categories come from the text alone.
"""

from __future__ import annotations

import json
import tempfile
from dataclasses import replace
from pathlib import Path

from pydantic import BaseModel, Field

from pm_agent.embeddings.embedders import Embedder
from pm_agent.errors import InputError
from pm_agent.memory.causes import with_causes
from pm_agent.memory.retrieval import RetrievalConfig
from pm_agent.memory.sources import record_from_object
from pm_agent.settings import Settings

DEFAULT_BASIS = "source label"


class VariantScores(BaseModel):
    """The scores of one ranking variant."""

    variant: str
    precision_at_k: float
    hit_at_k: float
    mrr: float


class RetrievalEvaluation(BaseModel):
    """Leave-one-out scores over the labelled rows of one file."""

    incidents_file: str
    label_field: str
    basis: str | None
    k: int
    queries: int
    ranked_among: int
    embedder: str
    results: list[VariantScores] = Field(default_factory=list)

    def markdown(self) -> str:
        lines = [
            f"Leave-one-out retrieval: {self.queries} queries ranked among {self.ranked_among - 1} other rows of "
            f"{self.incidents_file} (label {self.label_field}, basis {self.basis or 'any'}, embedder {self.embedder})",
            "",
            f"| variant | P@{self.k} | hit@{self.k} | MRR |",
            "| --- | --- | --- | --- |",
        ]
        lines += [f"| {r.variant} | {r.precision_at_k:.3f} | {r.hit_at_k:.3f} | {r.mrr:.3f} |" for r in self.results]
        return "\n".join(lines)


def ablation_variants(base: RetrievalConfig) -> dict[str, RetrievalConfig]:
    """The full ranking and what it is made of, to see which component helps."""
    no_boosts = replace(base, cause_boost=0.0, service_boost=0.0, factor_boost=0.0)
    return {
        "dense only": replace(no_boosts, use_lexical=False),
        "BM25 only": replace(no_boosts, use_dense=False),
        "dense + BM25 (RRF)": no_boosts,
        "hybrid + cause/service boosts": base,
    }


def read_rows(path: Path) -> list[dict]:
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except OSError as exc:
        raise InputError(f"cannot read: {exc.strerror}", source=str(path)) from None
    return [json.loads(line) for line in lines if line.strip()]


def labelled_rows(rows: list[dict], label_field: str, basis: str | None) -> list[dict]:
    """Rows with a label (and, when ``basis`` is given, whose ``<label>_basis`` is that)."""
    basis_field = f"{label_field}_basis"
    return [row for row in rows if row.get(label_field) and (basis is None or row.get(basis_field) == basis)]


def evaluate_retrieval(
    path: str | Path,
    *,
    label_field: str = "category_primary",
    basis: str | None = DEFAULT_BASIS,
    k: int = 5,
    embedder: Embedder | None = None,
    settings: Settings | None = None,
    ablation: bool = False,
    config: RetrievalConfig | None = None,
    among_all: bool = False,
) -> RetrievalEvaluation:
    """Score the memory's ranking on a labelled JSON Lines file (see the module docstring).

    By default the queries are ranked among the other curated rows only (the recipe behind the
    reference figures, where a random ranking scores about 0.16); ``among_all`` ranks them among
    every row of the file, a row of another basis counting as relevant when its label matches.
    """
    from pm_agent.memory.api import Memory

    path = Path(path)
    every = read_rows(path)
    rows = labelled_rows(every, label_field, basis)
    if len(rows) < 2:
        raise InputError(f"fewer than two rows with a {label_field!r} label to evaluate", source=str(path))
    corpus = every if among_all else rows
    records = [with_causes(record_from_object(row, f"{path}:{n}")) for n, row in enumerate(corpus, 1)]
    labels = {record.id: row.get(label_field) for record, row in zip(records, corpus, strict=True)}
    queries = [record for record, row in zip(records, corpus, strict=True) if not among_all or row in rows]
    base = config or RetrievalConfig()
    variants = ablation_variants(base) if ablation else {"hybrid + cause/service boosts": base}
    with tempfile.TemporaryDirectory(prefix="pm-agent-eval-") as scratch:
        settings = (settings or Settings()).model_copy(update={"memory_dir": Path(scratch), "chroma_url": None})
        memory = Memory(settings, embedder=embedder)
        memory.ingest_records(records)
        results = [_score(memory, name, cfg, queries, len(records), labels, k) for name, cfg in variants.items()]
    return RetrievalEvaluation(
        incidents_file=str(path),
        label_field=label_field,
        basis=basis,
        k=k,
        queries=len(queries),
        ranked_among=len(records),
        embedder=memory.embedder.name,
        results=results,
    )


def _score(
    memory, name: str, config: RetrievalConfig, queries, corpus_size: int, labels: dict, k: int
) -> VariantScores:
    memory.config = replace(config, candidates=max(config.candidates, corpus_size))
    precision = hits = reciprocal = 0.0
    for record in queries:
        query = f"{record.title}\n{record.summary}"
        ranked = memory.search(query_text=query, k=corpus_size, exclude={record.id})
        relevant = [labels.get(hit.id) == labels[record.id] for hit in ranked]
        precision += sum(relevant[:k]) / k
        hits += any(relevant[:k])
        reciprocal += next((1 / n for n, good in enumerate(relevant, 1) if good), 0.0)
    count = len(queries)
    return VariantScores(
        variant=name,
        precision_at_k=round(precision / count, 4),
        hit_at_k=round(hits / count, 4),
        mrr=round(reciprocal / count, 4),
    )
