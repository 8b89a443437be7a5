"""The lexical side of retrieval: an Okapi BM25 index kept in memory beside the vector store.

Chroma's sparse (BM25/SPLADE) index exists only on Chroma's hosted service, not in the
embedded client or ``chroma run``, so the memory keeps its own. The index is rebuilt from
the stored documents when a memory is opened and updated as records are added; it scores a
query against every document with a few numpy scatter-adds (one per query term), which
stays in the low milliseconds at tens of thousands of documents.

numpy is imported on first use only.
"""

from __future__ import annotations

import functools
import math
import re
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

TOKEN = re.compile(r"[a-z0-9]+(?:['\-.][a-z0-9]+)*")

# Common English words and words every incident text shares ("outage", "incident"): they
# carry no signal about what kind of failure it was.
STOPWORDS = frozenset(
    """a about above after again against all also am an and any are as at be because been before being
    below between both but by can could did do does doing down during each few for from further had has
    have having he her here hers him his how i if in into is it its itself just me more most my no nor
    not now of off on once only or other our ours out over own same she should so some such than that
    the their theirs them then there these they this those through to too under until up very was we
    were what when where which while who whom why will with would you your yours us one two via per
    incident incidents outage outages postmortem post-mortem mortem post issue issues problem problems
    caused cause causing due result resulted resulting led leading lead""".split()
)


@functools.lru_cache(maxsize=1 << 16)
def stem(word: str) -> str:
    """Fold plurals only (``timeouts`` -> ``timeout``).

    Stronger suffix stripping (``-ing``, ``-ation``) measured worse on the retrieval
    evaluation: it merges words such as "configuration" and "configured" that the dense
    side already relates, while making the shown matched terms unreadable.
    """
    if len(word) > 4 and word.endswith("s") and not word.endswith(("ss", "us", "is")) and word.isalpha():
        return word[:-3] + "y" if word.endswith("ies") else word[:-1]
    return word


def analyse(text: str) -> list[str]:
    """The index terms of ``text``: lower-cased words without stopwords, plurals folded."""
    return [term for word in TOKEN.findall(text.lower()) if (term := _term(word))]


@functools.lru_cache(maxsize=1 << 16)
def _term(word: str) -> str:
    """The index term of one lower-cased word, or "" for a stopword (memoised: words repeat a lot)."""
    return "" if word in STOPWORDS or len(word) < 2 else stem(word)


@dataclass
class LexicalHit:
    """One document's BM25 score and the query terms that earned it (strongest first)."""

    doc_id: str
    score: float
    terms: list[str]


class BM25Index:
    """Okapi BM25 over whole documents; ``k1`` and ``b`` as in Robertson and Zaragoza (2009).

    Held as postings only (per term: the documents holding it, in the order they were added,
    and how often each holds it), so that :meth:`export` and :meth:`restore` carry it between
    processes as plain lists, with no per-document work on the way back.
    """

    def __init__(self, k1: float = 1.2, b: float = 0.75) -> None:
        self.k1 = k1
        self.b = b
        self.doc_ids: list[str] = []
        self._position: dict[str, int] = {}
        self._lengths: list[int] = []
        self._postings: dict[str, list[int]] = {}  # term -> indexes of the documents holding it, ascending
        self._frequencies: dict[str, list[int]] = {}  # term -> how often each of those holds it
        self._compiled = None  # term -> (doc indexes, weights), built lazily

    def __len__(self) -> int:
        return len(self.doc_ids)

    def __contains__(self, doc_id: str) -> bool:
        return doc_id in self._position

    def add(self, items: Iterable[tuple[str, str]]) -> None:
        """Index ``(doc_id, text)`` pairs; a doc_id already present is left as it is."""
        for doc_id, text in items:
            if doc_id in self._position:
                continue
            counts = Counter(analyse(text))
            index = len(self.doc_ids)
            self._position[doc_id] = index
            self.doc_ids.append(doc_id)
            self._lengths.append(sum(counts.values()))
            for term, count in counts.items():
                self._postings.setdefault(term, []).append(index)
                self._frequencies.setdefault(term, []).append(count)
            self._compiled = None

    def export(self) -> dict[str, Any]:
        """The index as plain lists and dicts (JSON-ready), for :meth:`restore`."""
        return {
            "ids": self.doc_ids,
            "lengths": self._lengths,
            "postings": {term: [indexes, self._frequencies[term]] for term, indexes in self._postings.items()},
        }

    @classmethod
    def restore(cls, data: Mapping[str, Any], k1: float = 1.2, b: float = 0.75) -> BM25Index:
        """The index :meth:`export` gave; ValueError or TypeError when ``data`` is not one."""
        index = cls(k1, b)
        ids, lengths, postings = list(data["ids"]), list(data["lengths"]), data["postings"]
        if len(ids) != len(lengths) or len(set(ids)) != len(ids) or not isinstance(postings, Mapping):
            raise ValueError("the exported index does not hold one length per document")
        for term, (indexes, frequencies) in postings.items():
            if len(indexes) != len(frequencies) or (indexes and not 0 <= indexes[0] <= indexes[-1] < len(ids)):
                raise ValueError(f"the postings of {term!r} do not fit the documents")
            index._postings[term], index._frequencies[term] = indexes, frequencies
        index.doc_ids, index._lengths = ids, lengths
        index._position = {doc_id: n for n, doc_id in enumerate(ids)}
        index.compile()  # checks every number now: a bad one fails here, not at a search
        return index

    def search(self, query: str, k: int, exclude: set[str] | frozenset[str] = frozenset()) -> list[LexicalHit]:
        """The ``k`` best documents for ``query`` (those with a positive score only)."""
        import numpy as np

        terms = [term for term in dict.fromkeys(analyse(query)) if term in self._postings]
        compiled = self._compile()
        scores = np.zeros(len(self.doc_ids), dtype=np.float32)
        for term in terms:
            indexes, weights = compiled[term]
            scores[indexes] += weights
        for doc_id in exclude:
            if doc_id in self._position:
                scores[self._position[doc_id]] = 0.0
        candidates = np.flatnonzero(scores > 0)
        if len(candidates) > k:
            candidates = candidates[np.argpartition(-scores[candidates], k - 1)[:k]]
        ranked = sorted(candidates.tolist(), key=lambda i: (-scores[i], i))
        by_weight = sorted(terms, key=lambda term: -self._idf(term))
        return [
            LexicalHit(self.doc_ids[i], float(scores[i]), [t for t in by_weight if self._holds(t, i)]) for i in ranked
        ]

    def _holds(self, term: str, index: int) -> bool:
        """Whether document ``index`` holds ``term`` (its postings are ascending)."""
        import numpy as np

        indexes = self._compile()[term][0]
        at = int(np.searchsorted(indexes, index))
        return at < len(indexes) and int(indexes[at]) == index

    def _idf(self, term: str) -> float:
        frequency = len(self._postings.get(term, ()))
        return math.log(1 + (len(self.doc_ids) - frequency + 0.5) / (frequency + 0.5))

    def compile(self) -> None:
        """Weigh every term now rather than at the first search (a bad number fails here)."""
        self._compile()

    def _compile(self):
        """Per term: the documents holding it and their BM25 weights (idf times saturated tf)."""
        if self._compiled is not None:
            return self._compiled
        import numpy as np

        lengths = np.asarray(self._lengths, dtype=np.float64)
        average = lengths.mean() if len(lengths) else 1.0
        norms = self.k1 * (1 - self.b + self.b * lengths / average)
        compiled = {}
        for term, positions in self._postings.items():
            indexes = np.asarray(positions, dtype=np.int64)
            frequencies = np.asarray(self._frequencies[term], dtype=np.float64)
            weights = self._idf(term) * frequencies * (self.k1 + 1) / (frequencies + norms[indexes])
            compiled[term] = (indexes, weights.astype(np.float32))
        self._compiled = compiled
        return compiled
