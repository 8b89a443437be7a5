"""Blameless language: detect blame and rewrite it toward the system, keeping every fact.

Rules, decided before the labelled set (evals/datasets/blameless.jsonl) was written:

* Blame needs a person as its target: a known given name, @handle, he/she/I/we/you, someone, or
  a role with an article ("the on-call engineer", "a careless engineer"). The same verbs about a
  system are neutral: "the health check should have returned 200", "the cache failed to warm".
  "They" is not a target (in incident prose it is as often pods or replicas as people), and a
  capitalised word that is not a known name is taken as a system (Kafka, Jenkins, Ops).
* Counterfactuals: should/could have, failed/forgot/neglected to, didn't bother, ignored,
  overlooked, "if Bob had ...". "We should have ..." counts (a team is people). Outcomes of an
  attempt do not ("we failed to reproduce it", "she failed to log in"), nor do plain negated facts
  ("Bob did not run the check") or "missed the page" (what happened), nor "should have been paged"
  (passive: the gap is the paging). "Overlooked"/"ignored" do count: they assert inattention.
  Prescriptive "should" without "have" is guidance, not blame.
* People as causes: a person, or a person's change, as the subject or agent of harm ("Bob's change
  caused", "caused by Alice", "Dave broke prod", "Bob pushed X, which caused the outage", "because
  Sofia raised the limit" when the sentence reports a failure). A named person doing a neutral
  action is not blame ("Alice restarted the pod"), nor is a temporal link ("the outage started
  when Bob deployed"), nor "our deploy caused the outage" ("our" is the organisation).
* Role blame accompanies any of the above when the person is named by role; "any engineer"
  (generic) is hindsight, not role blame.
* Hindsight words (obviously, clearly, of course, just, simply) count only when aimed at a
  person's action or perception. "We simply lacked an alert" is neutral: it names a system gap.
* "human error", "operator error", PEBKAC are blame unless the text argues against the label
  ("human error is not a root cause").

Added with the rewrite set (evals/datasets/blameless_rewrites.jsonl, labelled before the change):

* Idioms aimed at a person are blame: "made a mistake", "screwed/messed up", "botched", "goofed",
  "dropped the ball", "asleep at the wheel", "if only X had", "had X done ...", "mistakes were
  made by X", and a person as the agent of a passive in a sentence that reports harm ("pushed by
  Bob at 14:02, taking down checkout"). The same words about a system are not ("our monitoring
  dropped the ball").
* Systemic statements are not blame: "nobody was responsible for testing this procedure" (a
  finding about ownership), "appointing an incident manager could have helped" and "a second
  reviewer could have caught it" (a person who was not there, proposed as a change).

A rewrite keeps what happened: the person goes and the action stays ("Bob pushed the bad config"
-> "the bad config was pushed"). Facts (see :func:`fact_tokens`) are never removed: a final step
re-attaches any fact an edit would have lost. Every rewrite is then checked
(:mod:`pm_agent.analysis.blameless.checks`); when it would still blame, read worse than the original,
or drop a word of what happened, the sentence is left as written and its findings say
``rewritten=False`` with advice instead.
"""

from __future__ import annotations

import re
from collections import Counter
from functools import lru_cache

from pm_agent.analysis.blameless.checks import lost_words, rewrite_problems
from pm_agent.analysis.blameless.clauses import Guarded, Hit
from pm_agent.analysis.blameless.facts import fact_tokens
from pm_agent.analysis.blameless.grammar import LINE_LEAD, capitalise, tidy
from pm_agent.analysis.blameless.lexicon import is_person
from pm_agent.analysis.blameless.rules_cause import person_as_cause_hits
from pm_agent.analysis.blameless.rules_counterfactual import counterfactual_hits
from pm_agent.analysis.blameless.rules_idioms import idiom_hits
from pm_agent.analysis.blameless.rules_words import UNGUARDED_NEEDS, character_hits, hindsight_hits, human_error_hits
from pm_agent.models import BlameFinding, BlamelessReport
from pm_agent.textscan.words import fold, literal_pattern

__all__ = ["detect_blame", "fact_tokens", "is_blameful", "rewrite_blameless"]

WHY: dict[str, str] = {
    "person_as_cause": "Naming a person as the cause ends the analysis at them and hides what let the action do harm.",
    "counterfactual": "It describes what a person did not do instead of what happened and why it made sense then.",
    "character_judgement": "Judging someone's character explains nothing about the system and discourages reporting.",
    "human_error": "'Human error' is a label, not a cause: it stops the inquiry where the systemic question starts.",
    "hindsight": "Hindsight makes the outcome look obvious; it was not obvious to the people in the situation.",
    "role_blame": "Pointing at a role singles out whoever held it and hides the process that put them there.",
}
# What to change when a sentence is flagged rather than rewritten.
ADVICE: dict[str, str] = {
    "person_as_cause": 'make the action or the change the subject ("the config was pushed at 14:02") and say what '
    "let it do harm.",
    "counterfactual": "say what happened and what the process did or did not prompt, not what a person should have "
    "done.",
    "character_judgement": "drop the judgement; describe the action and the conditions around it.",
    "human_error": "name the step and what allowed it without a safeguard instead of the label.",
    "hindsight": "describe what was visible at the time, not what is obvious now.",
    "role_blame": "describe the step rather than the role that took it.",
}
_RULES = (hindsight_hits, character_hits, human_error_hits, counterfactual_hits, person_as_cause_hits, idiom_hits)
_MAX_EDITS_PER_SENTENCE = 12
_SENTENCE_END = re.compile(r"[.!?]+[\"'”’)\]]*(?=\s|$)|\n")
_ABBREVIATION = re.compile(r"(?i)\b(?:e\.g|i\.e|etc|vs|approx|cf|mr|ms|mrs|dr|no)\.$")
_LINE_PREFIX = re.compile(rf"^{LINE_LEAD}[\"'“‘(]?")
_UNGUARDED = re.compile(literal_pattern(UNGUARDED_NEEDS))
_VOCATIVE = re.compile(r"(?:^|(?<=\s))(?P<who>@[\w.-]*\w|[A-Z][a-z]+),?\s+$")


def detect_blame(text: str) -> list[BlameFinding]:
    """Find blame language in ``text``; spans index into ``text`` (``text[f.start:f.end] == f.text``).

    Each finding carries the rewritten sentence as its suggestion, or, when no rewrite keeps every
    fact and reads as a sentence, advice on what to change and ``rewritten=False``.
    """
    findings: list[BlameFinding] = []
    for start, end in _sentences(text):
        sentence = text[start:end]
        hits = _hits(sentence)
        if not hits:
            continue
        rewrite = _checked_rewrite(sentence)
        for hit in hits:
            findings.append(
                BlameFinding(
                    start=start + hit.start,
                    end=start + hit.end,
                    text=sentence[hit.start : hit.end],
                    category=hit.category,
                    why=WHY[hit.category],
                    suggestion=rewrite if rewrite is not None else f"Left as written: {ADVICE[hit.category]}",
                    rewritten=rewrite is not None,
                )
            )
    return findings


def rewrite_blameless(text: str) -> BlamelessReport:
    """Return the findings and ``text`` rewritten without them, every fact preserved.

    Sentences without blame, and everything between sentences, come back byte for byte; so does a
    blameful sentence that no rewrite can fix without losing a fact or its grammar (its findings
    say ``rewritten=False`` and what to change).
    """
    pieces: list[str] = []
    cursor = 0
    for start, end in _sentences(text):
        sentence = text[start:end]
        pieces.append(text[cursor:start])
        rewrite = _checked_rewrite(sentence) if _hits(sentence) else None
        pieces.append(sentence if rewrite is None else rewrite)
        cursor = end
    pieces.append(text[cursor:])
    return BlamelessReport(original=text, rewritten="".join(pieces), findings=detect_blame(text))


def is_blameful(text: str) -> bool:
    """True when ``text`` holds any blame language."""
    return any(_hits(text[start:end]) for start, end in _sentences(text))


@lru_cache(maxsize=64)
def _sentences(text: str) -> tuple[tuple[int, int], ...]:
    """(start, end) of each sentence or line, without surrounding whitespace (cached: the rewrite,
    its findings and ``is_blameful`` each split the same text)."""
    spans: list[tuple[int, int]] = []
    start = 0
    for match in _SENTENCE_END.finditer(text):
        if match.group() != "\n" and _ABBREVIATION.search(text[start : match.end()]):
            continue
        end = match.start() if match.group() == "\n" else match.end()
        spans.append((start, end))
        start = match.end()
    spans.append((start, len(text)))
    return tuple(_strip_span(text, s, e) for s, e in spans if text[s:e].strip())


def _strip_span(text: str, start: int, end: int) -> tuple[int, int]:
    piece = text[start:end]
    return start + len(piece) - len(piece.lstrip()), end - (len(piece) - len(piece.rstrip()))


@lru_cache(maxsize=4096)
def _hits(sentence: str) -> tuple[Hit, ...]:
    """All hits in one sentence, one per category and span (the widest wins).

    Cached: detection, suggestions and the rewrite all ask about the same sentences.
    """
    if not _may_blame(sentence):
        return ()
    hits = [hit for rule in _RULES for hit in rule(sentence)]
    hits.sort(key=lambda h: (h.start, -(h.end - h.start)))
    kept: list[Hit] = []
    for hit in hits:
        if not any(k.category == hit.category and k.start < hit.end and hit.start < k.end for k in kept):
            kept.append(hit)
    return tuple(sorted(kept, key=lambda h: (h.start, h.end, h.category)))


def _may_blame(sentence: str) -> bool:
    """False when no rule can find anything in ``sentence``: one quick test instead of every rule.

    Every rule reports only matches of a :class:`Guarded` pattern, which needs one of its trigger
    words and the words its pattern needs, or of the few unguarded patterns, which need a word of
    ``UNGUARDED_NEEDS``. Those match case-insensitively, so the words are looked for in the folded
    sentence (see :func:`fold`), where every case variant of an ASCII letter is that letter.
    A trigger word is a whole word of the lowercased sentence, or the start of one; first comes a
    cruder test that most sentences fail: does any of the words occur at all, even inside another.
    """
    folded = fold(sentence)
    words = _rule_words(len(Guarded._every))
    if words is not None and words.search(folded) is None:
        return False
    return Guarded.any_may_match(sentence) or _UNGUARDED.search(folded) is not None


@lru_cache(maxsize=2)
def _rule_words(guards: int) -> re.Pattern[str] | None:
    """Every trigger word of the first ``guards`` guarded patterns and every unguarded word, found
    anywhere (None if one is not plain ASCII: then the test is skipped)."""
    words = {key.strip() for guard in Guarded._every[:guards] for key in guard.needs} | set(UNGUARDED_NEEDS)
    if not all(word and word.isascii() for word in words):
        return None
    return re.compile(literal_pattern(words))


@lru_cache(maxsize=4096)
def _checked_rewrite(sentence: str) -> str | None:
    """The sentence rewritten, or None when the rewrite would still blame, lose a word of what
    happened, or read worse than the original (see :mod:`pm_agent.analysis.blameless.checks`)."""
    rewrite = _rewrite_sentence(sentence)
    if rewrite == sentence or _hits(rewrite) or rewrite_problems(sentence, rewrite) or lost_words(sentence, rewrite):
        return None
    return rewrite


def _rewrite_sentence(sentence: str) -> str:
    """Apply one edit at a time (hindsight and judgement words first) until no blame is left."""
    for _ in range(_MAX_EDITS_PER_SENTENCE):
        editable = [hit for hit in _hits(sentence) if hit.edit]
        if not editable:
            break
        hit = min(editable, key=lambda h: (h.priority, h.start))
        assert hit.edit is not None
        sentence = _apply(sentence, *hit.edit)
    return sentence


def _apply(sentence: str, start: int, end: int, replacement: str) -> str:
    """Replace ``sentence[start:end]``, capitalising at the sentence start and keeping every fact.

    A person addressed just before a rewritten "you ..." goes with it ("@sam you should have ...").
    """
    vocative = _VOCATIVE.search(sentence, 0, start) if re.match(r"[Yy]ou\b", sentence[start:]) else None
    if vocative and is_person(vocative["who"]):
        start = vocative.start()
    replacement = _keep_facts(sentence[start:end], replacement)
    body_start = _LINE_PREFIX.match(sentence).end()  # type: ignore[union-attr]
    before, after = sentence[:start], sentence[end:]
    if start <= body_start:
        if replacement.strip():
            replacement = capitalise(replacement.lstrip())
        else:
            after = capitalise(after.lstrip())
    return tidy(before + replacement + after)


def _keep_facts(old: str, new: str) -> str:
    """Re-attach, in brackets, any fact an edit would drop (e.g. a service named inside a role)."""
    wanted = Counter(fact_tokens(old))
    if not wanted:
        return new
    missing = wanted - Counter(fact_tokens(new))
    return f"{new} ({', '.join(missing.elements())})" if missing else new
