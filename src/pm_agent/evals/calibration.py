"""The rubric suite: does ``pm-agent score`` rank postmortems the way a careful reader would?

Three checks, each on documents nobody tuned the rubric to read:

- **metamorphic pairs**: every document must score above each of its degraded copies (actions
  removed or replaced by actions about other systems, root cause replaced by an unrelated
  incident's, timeline removed, impact figures dropped, blame written in; see
  :mod:`pm_agent.evals.calibration_variants`). The copies are built here, from the project's own
  calibration postmortems (``evals/calibration/docs``) and, where present, the published
  postmortems of ``../shared/data/fulltext``;
- **expected orderings** (``evals/calibration/orderings.json``): hand-made pairs such as a
  thorough postmortem above a thin one, aligned actions above misaligned ones;
- **published above draft**: each team's published postmortem must outscore pm-agent's offline
  draft of the same incident, made from the incident data only, and an evidence-only draft of it
  (its timeline quoted, its causes asked, not stated).
"""

from __future__ import annotations

import hashlib
import json
import statistics
import time
from dataclasses import dataclass
from pathlib import Path

from pm_agent.analysis.rubric.reading import read
from pm_agent.analysis.rubric.scorer import score_markdown
from pm_agent.backends import OfflineBackend
from pm_agent.evals.calibration_variants import DEGRADATIONS
from pm_agent.evals.cases import EvalError
from pm_agent.evals.context import RunContext
from pm_agent.evals.results import CaseResult, Column, SuiteResult
from pm_agent.markdown.document import parse_markdown
from pm_agent.models import Incident
from pm_agent.service import PostmortemService
from pm_agent.settings import CHECKOUT_DIR, running_from_checkout

TITLE = "Rubric: calibration (metamorphic pairs, expected orderings, published vs draft)"
DONORS = 6  # other documents each document takes actions or a root cause from
RELATED = 0.2  # documents sharing more of their account than this are about the same system: not a donor


@dataclass(frozen=True)
class Doc:
    """A calibration document: where it comes from, its name and its Markdown."""

    source: str
    name: str
    markdown: str

    @property
    def key(self) -> str:
        return f"{self.source}: {self.name}"


@dataclass(frozen=True)
class Pair:
    """A document against one degraded copy of it."""

    doc: Doc
    kind: str
    donor: str | None
    original: float
    degraded: float

    @property
    def held(self) -> bool:
        return self.original > self.degraded


def default_calibration_dir() -> Path | None:
    """``evals/calibration`` of the source checkout, or None for an installed package."""
    folder = CHECKOUT_DIR / "evals" / "calibration"
    return folder if running_from_checkout() and folder.is_dir() else None


def run_rubric_calibration(ctx: RunContext) -> SuiteResult:
    """Metamorphic pairs on the shipped and shared documents, expected orderings, published vs draft."""
    folder = default_calibration_dir()
    if folder is None:
        return SuiteResult.skipped("rubric", TITLE, "evals/calibration ships with the source checkout only")
    shipped = load_docs(folder / "docs", "shipped")
    shared = load_docs(Path(ctx.shared_data) / "fulltext", "shared")
    started = time.perf_counter()
    scores = {doc.key: score_markdown(doc.markdown).weighted_average for doc in shipped + shared}
    per_doc_ms = 1000 * (time.perf_counter() - started) / len(scores)
    pairs = metamorphic_pairs(shipped + shared, scores)
    held, failed = check_orderings(folder)
    drafts = published_vs_drafts(Path(ctx.shared_data) / "fulltext", scores) if shared else {}
    rows = [_row(doc, scores[doc.key], pairs, drafts.get(doc.name)) for doc in shipped + shared]
    notes = [
        f"{len(shipped)} shipped documents, {len(shared)} shared; {len(pairs)} metamorphic pairs "
        f"(donors: up to {DONORS} other documents about other systems); {len(held)} of {len(held) + len(failed)} "
        f"expected orderings hold; scoring took {per_doc_ms:.0f} ms per document."
    ]
    if not shared:
        notes.append(
            f"{ctx.shared_data / 'fulltext'} is not present: published-vs-draft and the shared pairs are skipped."
        )
    return SuiteResult(
        name="rubric",
        title=TITLE,
        columns=_columns(bool(shared)),
        cases=rows,
        metrics=_metrics(pairs, held, failed, drafts),
        failures=failed,
        notes=notes,
        tracked=("pairs", "orderings", "published_above_draft"),
        headline_name="document score",
        row_name="Document",
    )


def load_docs(folder: Path, source: str) -> list[Doc]:
    """The Markdown postmortems of ``folder`` (none when it is absent)."""
    if not folder.is_dir():
        return []
    return [Doc(source, p.stem, p.read_text(encoding="utf-8")) for p in sorted(folder.glob("*.md"))]


def metamorphic_pairs(docs: list[Doc], scores: dict[str, float]) -> list[Pair]:
    """Every document against each of its degraded copies; a copy identical to its document is left out."""
    pairs: list[Pair] = []
    accounts = {doc.key: _account(doc.markdown) for doc in docs}
    for doc in docs:
        donors = donors_for(doc, docs, accounts)
        for kind, (degrade, takes_donor, _) in DEGRADATIONS.items():
            for donor in donors if takes_donor else [None]:
                copy = degrade(doc.markdown, donor.markdown if donor else None)
                if copy != doc.markdown:
                    degraded = score_markdown(copy).weighted_average
                    pairs.append(Pair(doc, kind, donor.key if donor else None, scores[doc.key], degraded))
    return pairs


def donors_for(doc: Doc, docs: list[Doc], accounts: dict[str, dict[str, float]]) -> list[Doc]:
    """Up to ``DONORS`` other documents about other systems, in a fixed pseudo-random order."""
    mine = accounts[doc.key]
    others = [d for d in docs if d.key != doc.key and _overlap(mine, accounts[d.key]) < RELATED]
    return sorted(others, key=lambda d: hashlib.sha256(f"{doc.key}|{d.key}".encode()).hexdigest())[:DONORS]


def check_orderings(folder: Path) -> tuple[list[CaseResult], list[CaseResult]]:
    """Each expected ordering of ``orderings.json`` as a row: held ones and failed ones."""
    path = folder / "orderings.json"
    try:
        spec = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as exc:
        raise EvalError(f"{path}: cannot read the expected orderings ({exc})") from None
    held: list[CaseResult] = []
    failed: list[CaseResult] = []
    for entry in spec.get("orderings", []):
        better, worse = (
            score_markdown((folder / entry[k]).read_text(encoding="utf-8")).weighted_average
            for k in ("better", "worse")
        )
        row = CaseResult(
            case_id=f"{entry['better']} > {entry['worse']}",
            title=entry.get("why", ""),
            headline=round(better - worse, 2),
            passed=better > worse,
            scores={"better": better, "worse": worse},
            reasons=[] if better > worse else [f"{better:.2f} is not above {worse:.2f}: {entry.get('why', '')}"],
        )
        (held if row.passed else failed).append(row)
    return held, failed


def published_vs_drafts(folder: Path, scores: dict[str, float]) -> dict[str, tuple[float, float, float]]:
    """Per shared case: the published score, the offline draft's, and an evidence-only draft's."""
    service = PostmortemService()
    found = {}
    for path in sorted(folder.glob("*.input.json")):
        name = path.name.removesuffix(".input.json")
        if f"shared: {name}" not in scores:
            continue
        incident, data = _incident_and_data(service, path)
        draft = service.render(service.draft(incident, score=False, use_memory=False, backend=OfflineBackend()))
        evidence = evidence_draft(data)
        found[name] = (
            scores[f"shared: {name}"],
            score_markdown(draft).weighted_average,
            score_markdown(evidence).weighted_average,
        )
    return found


def _incident_and_data(service: PostmortemService, path: Path) -> tuple[Incident, dict]:
    """The incident the service reads from ``path`` and the file's JSON, from one read of the file."""
    try:
        text = path.read_bytes().decode("utf-8")
    except UnicodeDecodeError:
        service.load([str(path)])  # not UTF-8: the loader refuses it, in its own words
        raise
    return service.load_text(text, name=str(path)), json.loads(text)


def evidence_draft(data: dict) -> str:
    """An honest draft from incident data alone: the facts, the timeline with each event quoted, and the
    causes asked as questions, never stated. What an evidence-first drafting engine can write at best."""
    services = ", ".join(data.get("services") or []) or "not stated"
    events = [e for e in data.get("events") or [] if isinstance(e, dict)]
    rows = [
        f'| {e.get("at") or e.get("time_text") or "time unknown"} | {e.get("source", "")} | "{e.get("text", "")}" |'
        for e in events
    ]
    return "\n".join(
        [
            f"# Postmortem draft: {data.get('title', 'incident')}",
            "",
            f"**Date:** {(data.get('started_at') or '')[:10] or 'not stated'}",
            f"**Severity:** {data.get('severity') or 'not stated'}",
            f"**Services:** {services}",
            "",
            "## Summary",
            "",
            f"{data.get('title', '')}. Started at {data.get('started_at') or 'an unknown time'}, "
            f"resolved at {data.get('resolved_at') or 'an unknown time'}.",
            "",
            "## Timeline",
            "",
            "| Time | Source | Event |",
            "|---|---|---|",
            *rows,
            "",
            "## Root cause",
            "",
            "Open: the data records these events but does not state a cause.",
            "",
            "- What changed before the first failure, and how did it produce the failure?",
            "- Why did the safeguards in place not catch it?",
            "",
            "## Open questions",
            "",
            "- How many users were affected, and for how long?",
            "- Which actions will prevent a recurrence?",
            "",
        ]
    )


def _row(doc: Doc, score: float, pairs: list[Pair], drafts: tuple[float, float, float] | None) -> CaseResult:
    mine = [p for p in pairs if p.doc.key == doc.key]
    values: dict[str, float | None] = {"draft": None, "evidence_draft": None}
    reasons = [
        f"{p.kind}{f' (from {p.donor})' if p.donor else ''}: copy scores {p.degraded:.2f}, not below {p.original:.2f}"
        for p in mine
        if not p.held
    ]
    if drafts:
        values["draft"], values["evidence_draft"] = drafts[1], drafts[2]
        reasons += [
            f"{label} scores {value:.2f}, not below the published {score:.2f}"
            for label, value in (("offline draft", drafts[1]), ("evidence-only draft", drafts[2]))
            if value >= score
        ]
    for kind in DEGRADATIONS:
        of_kind = [p.held for p in mine if p.kind == kind]
        values[kind] = round(sum(of_kind) / len(of_kind), 3) if of_kind else None
    return CaseResult(
        case_id=doc.key, title=doc.name, scores=values, headline=score, passed=not reasons, reasons=reasons
    )


def _columns(with_drafts: bool) -> list[Column]:
    """The score is the row's headline; beside it the drafts of the same incident, then each degradation's
    share of copies scored below the document."""
    columns = []
    if with_drafts:
        columns += [Column("draft", "Offline draft", "score"), Column("evidence_draft", "Evidence-only draft", "score")]
    return columns + [Column(kind, label, "rate") for kind, (_, _, label) in DEGRADATIONS.items()]


def _metrics(
    pairs: list[Pair], held: list[CaseResult], failed: list[CaseResult], drafts: dict[str, tuple[float, float, float]]
) -> dict[str, float]:
    metrics = {"pairs": _share([p.held for p in pairs])}
    for kind in DEGRADATIONS:
        metrics[f"pairs.{kind}"] = _share([p.held for p in pairs if p.kind == kind])
    for source in ("shipped", "shared"):
        of_source = [p.held for p in pairs if p.doc.source == source]
        if of_source:
            metrics[f"pairs.{source}"] = _share(of_source)
    metrics["orderings"] = _share([True] * len(held) + [False] * len(failed))
    if drafts:
        metrics["published_above_draft"] = _share([pub > draft for pub, draft, _ in drafts.values()])
        metrics["published_above_evidence_draft"] = _share([pub > ev for pub, _, ev in drafts.values()])
        metrics["published_mean"] = round(statistics.fmean(v[0] for v in drafts.values()), 3)
        metrics["draft_mean"] = round(statistics.fmean(v[1] for v in drafts.values()), 3)
    return metrics


def _share(flags: list[bool]) -> float:
    return round(sum(flags) / len(flags), 3) if flags else 0.0


def _account(markdown: str) -> dict[str, float]:
    """The specific terms of a document's account (title, summary, timeline, impact): what system it is about."""
    found: dict[str, float] = {}
    for statement in read(parse_markdown(markdown)).in_group("account"):
        for term, weight in statement.terms.specific.items():
            found[term] = max(found.get(term, 0.0), weight)
    return found


def _overlap(a: dict[str, float], b: dict[str, float]) -> float:
    smaller = min(sum(a.values()), sum(b.values()))
    return sum(min(a[t], b[t]) for t in a.keys() & b.keys()) / smaller if smaller else 0.0
