"""Redaction against a labelled corpus: secrets in realistic context, and look-alikes beside them.

``fixtures/secrets_corpus.jsonl`` holds one sample a line. A secret sample has ``text`` with
``⟪SECRET⟫`` where the secret goes and the secret cut in two (``secret``), joined at run time so
that no scanner trips on the file; every secret is synthetic and plainly fake. A look-alike has
``"secret": null`` and must come back byte for byte.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

from pm_agent.guards.redaction import redact

CORPUS = Path(__file__).parent / "fixtures" / "secrets_corpus.jsonl"
MARK = "⟪SECRET⟫"
PLACEHOLDER = re.compile(r"\[REDACTED:[a-z0-9-]+\]")


def samples() -> list[dict]:
    return [json.loads(line) for line in CORPUS.read_text(encoding="utf-8").splitlines() if line.strip()]


def secrets() -> list[tuple[str, str, str, str]]:
    """(id, kind, text with the secret in place, the secret)."""
    out = []
    for sample in samples():
        if sample["secret"] is not None:
            secret = "".join(sample["secret"])
            out.append((sample["id"], sample["kind"], sample["text"].replace(MARK, secret), secret))
    return out


def look_alikes() -> list[tuple[str, str]]:
    return [(sample["id"], sample["text"]) for sample in samples() if sample["secret"] is None]


def survives(secret: str, redacted: str, context: str) -> bool:
    """Whether any eight characters of ``secret`` (not found in its context anyway) are still there."""
    rest = PLACEHOLDER.sub("", redacted)
    width = min(8, len(secret))
    pieces = {secret[i : i + width] for i in range(len(secret) - width + 1)}
    return any(piece in rest and piece not in context for piece in pieces)


def test_the_corpus_holds_at_least_eighty_secrets_and_eighty_look_alikes():
    assert len(secrets()) >= 80
    assert len(look_alikes()) >= 80
    assert len({kind for _, kind, _, _ in secrets()}) >= 50


def test_at_least_95_percent_of_the_secrets_are_caught_and_none_survives_whole():
    missed, whole = [], []
    for ident, _, text, secret in secrets():
        redacted = redact(text).text
        context = text.replace(secret, " ")
        if survives(secret, redacted, context):
            missed.append(ident)
        if secret in redacted:
            whole.append(ident)
    caught = 1 - len(missed) / len(secrets())
    assert caught >= 0.95, f"caught {caught:.0%}; missed {missed}"
    assert whole == []


def test_each_caught_secret_is_named_by_the_kind_it_is_labelled_with():
    wrong = {}
    for ident, kind, text, _ in secrets():
        kinds = [finding.kind for finding in redact(text).findings]
        if kind not in kinds:
            wrong[ident] = (kind, kinds)
    assert wrong == {}


def test_no_look_alike_is_changed():
    changed = {ident: redact(text).text for ident, text in look_alikes() if redact(text).text != text}
    assert changed == {}
