"""Hybrid ranking: dense and BM25 candidates fused by reciprocal rank, then boosted and explained.

Reciprocal-rank fusion (Cormack et al., 2009) adds ``weight / (k + rank)`` from each ranked
list, so neither score scale has to be calibrated against the other. Hits that share the
query's services or cause categories are then boosted: two incidents with the same cause
are what a reviewer means by "related", even when their wording differs. A shared category
counts more the higher it stands in both lists (``1 / ((1 + i)(1 + j))`` for positions i, j).

Each hit says why it matched: shared categories, services, contributing factors, the
rarest shared terms, and the dense similarity.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from pydantic import Field

from pm_agent.memory.bm25 import LexicalHit, analyse
from pm_agent.models import RelatedIncident

SHOWN_TERMS = 5
FACTOR_OVERLAP = 0.5  # Jaccard of index terms above which two factor texts count as the same


@dataclass(frozen=True)
class RetrievalConfig:
    """The ranking's knobs; the defaults are the ones the retrieval evaluation settled on."""

    rrf_k: int = 20
    dense_weight: float = 1.0
    lexical_weight: float = 1.0
    cause_boost: float = 0.05
    service_boost: float = 0.02
    factor_boost: float = 0.01
    candidates: int = 100
    use_dense: bool = True
    use_lexical: bool = True


@dataclass(frozen=True)
class Profile:
    """What is compared beyond text: services, cause categories (strongest first), factors."""

    services: tuple[str, ...] = ()
    causes: tuple[str, ...] = ()
    factors: tuple[str, ...] = ()


@dataclass(frozen=True)
class CatalogEntry:
    """The few facts about a stored record that ranking and explanations need."""

    id: str
    title: str
    kind: str
    source_id: str
    date: dt.date | None = None
    profile: Profile = field(default_factory=Profile)


class MemoryHit(RelatedIncident):
    """A related incident with the evidence behind its rank."""

    kind: str = "incident"
    source_id: str = ""
    services: list[str] = Field(default_factory=list)
    causes: list[str] = Field(default_factory=list)
    dense_rank: int | None = None
    lexical_rank: int | None = None
    matched_terms: list[str] = Field(default_factory=list)

    def as_related(self) -> RelatedIncident:
        """The plain :class:`RelatedIncident` a postmortem carries."""
        return RelatedIncident(
            id=self.id,
            title=self.title,
            score=self.score,
            why=self.why,
            date=self.date,
            incident_id=self.source_id or None,
        )


def rank(
    dense: Sequence[tuple[str, float]],
    lexical: Sequence[LexicalHit],
    query: Profile,
    catalog: Mapping[str, CatalogEntry],
    config: RetrievalConfig,
    k: int,
) -> list[MemoryHit]:
    """The ``k`` best hits from the two candidate lists (ids missing from the catalog are skipped)."""
    scores: dict[str, float] = {}
    dense_rank = {item_id: n for n, (item_id, _) in enumerate(dense, 1)}
    lexical_rank = {hit.doc_id: n for n, hit in enumerate(lexical, 1)}
    for ranks, weight in ((dense_rank, config.dense_weight), (lexical_rank, config.lexical_weight)):
        for item_id, position in ranks.items():
            scores[item_id] = scores.get(item_id, 0.0) + weight / (config.rrf_k + position)
    similarity = dict(dense)
    terms = {hit.doc_id: hit.terms for hit in lexical}
    scored = []
    for item_id, fused in scores.items():
        entry = catalog.get(item_id)
        if entry is not None:
            boost, why = _boosts(query, entry.profile, config)
            scored.append((round(fused + boost, 6), item_id, entry, why))
    scored.sort(key=lambda item: (-item[0], item[1]))
    return [
        MemoryHit(
            id=item_id,
            title=entry.title,
            score=score,
            why=why + _text_reasons(terms.get(item_id, []), similarity.get(item_id)),
            date=entry.date,
            kind=entry.kind,
            source_id=entry.source_id,
            services=list(entry.profile.services),
            causes=list(entry.profile.causes),
            dense_rank=dense_rank.get(item_id),
            lexical_rank=lexical_rank.get(item_id),
            matched_terms=terms.get(item_id, [])[:SHOWN_TERMS],
        )
        for score, item_id, entry, why in scored[:k]
    ]


def _boosts(query: Profile, candidate: Profile, config: RetrievalConfig) -> tuple[float, list[str]]:
    why: list[str] = []
    boost = 0.0
    shared_causes = [c for c in query.causes if c in candidate.causes]
    if shared_causes:
        closeness = sum(1 / ((1 + query.causes.index(c)) * (1 + candidate.causes.index(c))) for c in shared_causes)
        boost += config.cause_boost * closeness
        why.append(f"shared cause categories: {', '.join(shared_causes)}")
    shared_services = _shared_names(query.services, candidate.services)
    if shared_services:
        boost += config.service_boost * len(shared_services)
        why.append(f"shared services: {', '.join(shared_services)}")
    shared_factors = shared_factor_texts(query.factors, candidate.factors)
    if shared_factors:
        boost += config.factor_boost * len(shared_factors)
        why.append(f"shared contributing factors: {'; '.join(shared_factors)}")
    return boost, why


def _text_reasons(terms: Sequence[str], similarity: float | None) -> list[str]:
    why = []
    if terms:
        why.append(f"shared terms: {', '.join(terms[:SHOWN_TERMS])}")
    if similarity is not None:
        why.append(f"similar description (cosine {similarity:.2f})")
    return why


def _shared_names(ours: Sequence[str], theirs: Sequence[str]) -> list[str]:
    lowered = {name.casefold() for name in theirs}
    return [name for name in ours if name.casefold() in lowered]


def shared_factor_texts(ours: Sequence[str], theirs: Sequence[str]) -> list[str]:
    """Our factors that some factor of theirs states in mostly the same words."""
    their_terms = [set(analyse(text)) for text in theirs]
    shared = []
    for text in ours:
        terms = set(analyse(text))
        if terms and any(len(terms & other) / len(terms | other) >= FACTOR_OVERLAP for other in their_terms if other):
            shared.append(text)
    return shared
