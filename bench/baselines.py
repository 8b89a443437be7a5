"""Retrieval quality: pm-agent's search next to TF-IDF cosine, BM25 and random baselines, one protocol.

The protocol is ``pm_agent.evals.leave_one_out``'s: the rows of ``incidents.jsonl`` whose
``category_primary_basis`` is ``source label``, each turned into a record exactly as pm-agent
stores it; each record's ``title\\nsummary`` is the query, every other record is ranked, and the
top 5 are scored against the query's ``category_primary`` (P@5, hit@5, MRR).

The baselines index the same documents (``record.text()``, what pm-agent embeds and indexes) and
share nothing with pm-agent's ranking code: their tokenizer is scikit-learn's default
(``\\b\\w\\w+\\b``, lower-cased, no stopwords, no stemming), TF-IDF is scikit-learn's
``TfidfVectorizer`` default (raw counts, smoothed idf ln((1+n)/(1+df))+1, L2-normalised, cosine),
and BM25 is Okapi BM25 with k1 = 1.5, b = 0.75 and the non-negative idf ln(1+(n-df+0.5)/(df+0.5))
(``rank_bm25``/Lucene's). Random is the expected score of a uniformly random ranking, computed.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np

TOKEN = re.compile(r"\b\w\w+\b")
K = 5


def tokens(text: str) -> list[str]:
    return TOKEN.findall(text.lower())


def protocol_records(path: Path, label_field: str = "category_primary", basis: str = "source label"):
    """The labelled records and their labels, built as ``evaluate_retrieval`` builds them."""
    from pm_agent.evals.leave_one_out import labelled_rows, read_rows
    from pm_agent.memory.causes import with_causes
    from pm_agent.memory.sources import record_from_object

    rows = labelled_rows(read_rows(path), label_field, basis)
    records = [with_causes(record_from_object(row, f"{path}:{n}")) for n, row in enumerate(rows, 1)]
    return records, [row[label_field] for row in rows]


def tfidf_scorer(documents: Sequence[str]) -> Callable[[str], np.ndarray]:
    """Cosine similarity of a query's TF-IDF vector with each document's."""
    vocabulary: dict[str, int] = {}
    counts = [Counter(tokens(doc)) for doc in documents]
    for count in counts:
        for term in count:
            vocabulary.setdefault(term, len(vocabulary))
    df = np.zeros(len(vocabulary))
    for count in counts:
        df[[vocabulary[t] for t in count]] += 1
    idf = np.log((1 + len(documents)) / (1 + df)) + 1

    def vector(count: Counter) -> np.ndarray:
        out = np.zeros(len(vocabulary))
        for term, n in count.items():
            if term in vocabulary:
                out[vocabulary[term]] = n * idf[vocabulary[term]]
        norm = np.linalg.norm(out)
        return out / norm if norm else out

    matrix = np.array([vector(count) for count in counts])
    return lambda query: matrix @ vector(Counter(tokens(query)))


def bm25_scorer(documents: Sequence[str], k1: float = 1.5, b: float = 0.75) -> Callable[[str], np.ndarray]:
    """Okapi BM25 score of a query against each document."""
    counts = [Counter(tokens(doc)) for doc in documents]
    lengths = np.array([sum(count.values()) for count in counts], dtype=float)
    df = Counter(term for count in counts for term in count)
    n = len(documents)
    idf = {term: math.log(1 + (n - d + 0.5) / (d + 0.5)) for term, d in df.items()}
    norm = k1 * (1 - b + b * lengths / lengths.mean())

    def score(query: str) -> np.ndarray:
        out = np.zeros(n)
        for term in set(tokens(query)):
            if term not in idf:
                continue
            tf = np.array([count.get(term, 0) for count in counts], dtype=float)
            out += idf[term] * tf * (k1 + 1) / (tf + norm)
        return out

    return score


def leave_one_out(score: Callable[[str], np.ndarray], queries: Sequence[str], labels: Sequence[str]) -> dict:
    """P@5, hit@5 and MRR of ranking every other record by ``score`` (ties: file order)."""
    precision = hits = reciprocal = 0.0
    for index, query in enumerate(queries):
        scores = score(query)
        order = [i for i in sorted(range(len(labels)), key=lambda i: -scores[i]) if i != index]
        relevant = [labels[i] == labels[index] for i in order]
        precision += sum(relevant[:K]) / K
        hits += any(relevant[:K])
        reciprocal += next((1 / rank for rank, good in enumerate(relevant, 1) if good), 0.0)
    count = len(queries)
    return {
        "precision_at_5": round(precision / count, 4),
        "hit_at_5": round(hits / count, 4),
        "mrr": round(reciprocal / count, 4),
    }


def random_expectation(labels: Sequence[str]) -> dict:
    """The expected P@5, hit@5 and MRR of a uniformly random ranking of the others (exact, not sampled)."""
    precision = hits = reciprocal = 0.0
    others = len(labels) - 1
    top = min(K, others)
    for label in labels:
        relevant = sum(other == label for other in labels) - 1
        if not relevant:
            continue
        precision += top * relevant / others / K
        hits += 1 - math.comb(others - relevant, top) / math.comb(others, top)
        # the first relevant one is at rank r with probability C(others - r, relevant - 1) / C(others, relevant)
        first_at = (math.comb(others - r, relevant - 1) / r for r in range(1, others - relevant + 2))
        reciprocal += sum(first_at) / math.comb(others, relevant)
    count = len(labels)
    return {
        "precision_at_5": round(precision / count, 4),
        "hit_at_5": round(hits / count, 4),
        "mrr": round(reciprocal / count, 4),
    }


def retrieval(path: Path, embedder) -> dict:
    """Every ranking on one set of records: pm-agent's variants, then the baselines."""
    from pm_agent.evals.leave_one_out import evaluate_retrieval

    evaluation = evaluate_retrieval(path, embedder=embedder, ablation=True)
    rows = [
        {"ranking": f"pm-agent: {r.variant}", "precision_at_5": r.precision_at_k, "hit_at_5": r.hit_at_k, "mrr": r.mrr}
        for r in evaluation.results
    ]
    records, labels = protocol_records(path)
    documents = [record.text() for record in records]
    queries = [f"{record.title}\n{record.summary}" for record in records]
    rows.append({"ranking": "baseline: TF-IDF cosine", **leave_one_out(tfidf_scorer(documents), queries, labels)})
    rows.append({"ranking": "baseline: BM25 (Okapi)", **leave_one_out(bm25_scorer(documents), queries, labels)})
    rows.append({"ranking": "baseline: random (expected)", **random_expectation(labels)})
    return {
        "queries": evaluation.queries,
        "ranked_among": evaluation.ranked_among - 1,
        "embedder": evaluation.embedder,
        "rows": rows,
    }
