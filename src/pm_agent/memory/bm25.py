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
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

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
    """Okapi BM25 over whole documents; ``k1`` and ``b`` as in Robertson and Zaragoza (2009)."""

    def __init__(self, k1: float = 1.2, b: float = 0.75) -> None:
        self.k1 = k1
        self.b = b
        self.doc_ids: list[str] = []
        self._position: dict[str, int] = {}
        self._term_counts: list[Mapping[str, int]] = []
        self._lengths: list[int] = []
        self._postings: dict[str, list[int]] = {}  # term -> indexes of the documents holding it
        self._frequencies: dict[str, list[int]] = {}  # term -> how often each of those holds it
        self._compiled = None  # term -> (doc indexes, weights), built lazily

    def __len__(self) -> int:
        return len(self.doc_ids)

    def __contains__(self, doc_id: str) -> bool:
        return doc_id in self._position

    def add(self, items: Iterable[tuple[str, str]]) -> None:
        """Index ``(doc_id, text)`` pairs; a doc_id already present is left as it is."""
        self.add_counts((doc_id, Counter(analyse(text))) for doc_id, text in items if doc_id not in self._position)

    def add_counts(self, items: Iterable[tuple[str, Mapping[str, int]]]) -> None:
        """Index documents already analysed, as ``(doc_id, term counts)`` (from :meth:`term_counts`)."""
        for doc_id, counts in items:
            if doc_id in self._position:
                continue
            index = len(self.doc_ids)
            self._position[doc_id] = index
            self.doc_ids.append(doc_id)
            self._term_counts.append(counts)
            self._lengths.append(sum(counts.values()))
            for term, count in counts.items():
                self._postings.setdefault(term, []).append(index)
                self._frequencies.setdefault(term, []).append(count)
            self._compiled = None

    def term_counts(self, doc_id: str) -> Mapping[str, int]:
        """The analysed terms of an indexed document and how often each occurs (not to be changed)."""
        return self._term_counts[self._position[doc_id]]

    def search(self, query: str, k: int, exclude: set[str] | frozenset[str] = frozenset()) -> list[LexicalHit]:
        """The ``k`` best documents for ``query`` (those with a positive score only)."""
        import numpy as np

        terms = list(dict.fromkeys(analyse(query)))
        compiled = self._compile()
        scores = np.zeros(len(self.doc_ids), dtype=np.float32)
        for term in terms:
            if term in compiled:
                indexes, weights = compiled[term]
                scores[indexes] += weights
        for doc_id in exclude:
            if doc_id in self._position:
                scores[self._position[doc_id]] = 0.0
        candidates = np.flatnonzero(scores > 0)
        if len(candidates) > k:
            candidates = candidates[np.argpartition(-scores[candidates], k - 1)[:k]]
        ranked = sorted(candidates.tolist(), key=lambda i: (-scores[i], i))
        return [LexicalHit(self.doc_ids[i], float(scores[i]), self._matched_terms(i, terms)) for i in ranked]

    def _matched_terms(self, index: int, terms: Sequence[str]) -> list[str]:
        counts = self._term_counts[index]
        matched = [term for term in terms if term in counts]
        return sorted(matched, key=lambda term: -self._idf(term))

    def _idf(self, term: str) -> float:
        frequency = len(self._postings.get(term, ()))
        return math.log(1 + (len(self.doc_ids) - frequency + 0.5) / (frequency + 0.5))

    def compile(self) -> None:
        """Weigh every term now rather than at the first search (a bad term count fails here)."""
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
