"""Starting a sentence with the data's words: the first letter is raised only where it begins an ordinary word.

A draft sentence that restates an event or a factor begins with the data's own first word. "restarted the pods" reads
right as "Restarted the pods"; an identifier does not: "orders_v2", "ledger.sync_jobs", "kubectl", "psql" and "iOS"
name one thing, spelled as the system spells it, and stay as written.
"""

from __future__ import annotations

import re

# The first word, all of it up to a space ("ledger.sync_jobs", "deploy/api"), without the punctuation after it.
_FIRST_WORD_RE = re.compile(r"\s*(?P<word>\S+?)[,;:.!?)\]'\"]*(?:\s|$)")
# A word with no vowel is an abbreviation or a command: "psql", "npm", "ssh", "grpc".
_VOWEL_RE = re.compile(r"[aeiouy]")
# Three or more consonants that end no English word end a command or a file name: "kubectl", "systemctl", "mysql",
# "etcdctl". English ends words in these (after a plural "s"): "watch", "night", "month", "first", "world", "attempt".
_FINAL_CONSONANTS_RE = re.compile(r"[b-df-hj-np-tv-xz]{3,}$")
_ENGLISH_ENDINGS = (
    "tch", "ght", "nch", "rch", "lch", "sch", "nth", "rth", "lth", "dth", "pth", "xth", "fth", "ngth", "rst", "nst",
    "rld", "mpt", "nct", "rsh", "cht",
)  # fmt: skip
# A prefix joined by a hyphen still makes one word ("re-ran", "auto-scaled"), unlike a name ("ledger-api").
_PREFIX_RE = re.compile(r"^(?:re|pre|post|non|un|co|de|auto|self|mis|sub|over|under|multi|anti|semi|cross)-")


def is_ordinary_word(word: str) -> bool:
    """True for "restarted", "re-ran", "queue"; false for "orders_v2", "v5.2.0", "kubectl", "psql", "iOS", "PayFast"."""
    word = _PREFIX_RE.sub("", word)
    if not (word.isalpha() and word.isascii() and word.islower()):
        return False
    if not _VOWEL_RE.search(word):
        return False
    stem = word[:-1] if word.endswith("s") else word
    cluster = _FINAL_CONSONANTS_RE.search(stem)
    return cluster is None or cluster.group(0).endswith(_ENGLISH_ENDINGS)


def sentence_case(text: str) -> str:
    """``text`` with its first letter raised when its first word is an ordinary word; else exactly as given."""
    match = _FIRST_WORD_RE.match(text)
    if not match or not is_ordinary_word(match["word"]):
        return text
    start = match.start("word")
    return text[:start] + text[start].upper() + text[start + 1 :]
