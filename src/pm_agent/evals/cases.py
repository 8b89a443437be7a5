"""Eval cases as data: one folder per incident, its input files and what a good draft must hold.

A case folder holds the incident's input files (any format ``pm-agent draft`` reads) and a
``case.json``::

    {"id": "dns-cname-removed", "kind": "dns", "title": "...",
     "inputs": ["timeline.md", "alertmanager.json"],
     "must_contain": {"times": ["13:02"], "services": ["auth-service"], "phrases": ["zone change 5531"]},
     "must_not_invent": ["7,500 logins"],
     "expected": {"duration_minutes": 53, "time_to_detect_minutes": 3}}

``must_not_invent`` lists figures that look plausible but are *not* in the input: a draft that
states one has made it up. ``expected`` holds the metrics a careful reader computes from the
input. A folder without ``case.json`` is still a case: its input files are drafted and scored,
with only the generic checks. The real incidents of ``../shared/data/fulltext`` become cases
too, read where they lie and never copied.

Anything wrong with a case is a :class:`CaseError`: the harness, not the product, failed.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from pm_agent.errors import InputError, PmAgentError
from pm_agent.ingest.folders import CASE_FILE, case_inputs, folder_files
from pm_agent.settings import CHECKOUT_DIR, running_from_checkout

CASE_KEYS = frozenset(
    {"id", "kind", "title", "inputs", "must_contain", "must_not_invent", "expected", "truth", "notes"}
)
TRUTH_KEYS = ("root_causes", "contributing_factors", "action_items", "lessons_learned")
FACT_KEYS = frozenset({"times", "services", "phrases"})
EXPECTED_METRICS = {
    "duration_minutes": "duration",
    "time_to_detect_minutes": "time_to_detect",
    "time_to_acknowledge_minutes": "time_to_acknowledge",
    "time_to_mitigate_minutes": "time_to_mitigate",
    "time_to_resolve_minutes": "time_to_resolve",
}
TIME_OF_DAY = re.compile(r"^\d{2}:\d{2}$")
REAL_SUFFIX = ".input.json"
CaseSource = Literal["project", "real", "user"]


class EvalError(PmAgentError):
    """The eval harness cannot run as asked (a bad suite name, a missing dataset, a broken case)."""


class CaseError(EvalError):
    """A case folder that cannot be used: bad ``case.json``, a missing input, an unknown key."""


@dataclass(frozen=True)
class RequiredFacts:
    """What a good draft of the case must state: times of day (UTC), services, key phrases."""

    times: tuple[str, ...] = ()
    services: tuple[str, ...] = ()
    phrases: tuple[str, ...] = ()


@dataclass(frozen=True)
class Truth:
    """What the team's own postmortem concluded: causes, factors, actions and lessons, as they wrote them.

    A draft sees only the incident data, never these; the truth-grounded metrics compare the two.
    ``stated`` holds the figures the document states (``time_to_detection: "8 minutes"``...).
    """

    root_causes: tuple[str, ...] = ()
    contributing_factors: tuple[str, ...] = ()
    action_items: tuple[str, ...] = ()
    lessons_learned: tuple[str, ...] = ()
    stated: dict[str, str] = field(default_factory=dict)

    @property
    def causes(self) -> tuple[str, ...]:
        """Root causes and contributing factors: every causal item the team wrote down."""
        return self.root_causes + self.contributing_factors

    def __bool__(self) -> bool:
        return bool(self.causes or self.action_items or self.lessons_learned)


@dataclass(frozen=True)
class EvalCase:
    """One incident to draft, with what its draft must contain and must not invent."""

    id: str
    kind: str
    title: str
    inputs: tuple[Path, ...]
    must_contain: RequiredFacts = field(default_factory=RequiredFacts)
    must_not_invent: tuple[str, ...] = ()
    expected: dict[str, float] = field(default_factory=dict)
    source: CaseSource = "project"
    truth: Truth = field(default_factory=Truth)


def default_cases_dir() -> Path | None:
    """``evals/cases`` of the source checkout, or None for an installed package."""
    folder = CHECKOUT_DIR / "evals" / "cases"
    return folder if running_from_checkout() and folder.is_dir() else None


def default_shared_data() -> Path:
    """``../shared/data`` beside the checkout (present on development machines and in CI only)."""
    return CHECKOUT_DIR.parent / "shared" / "data"


def load_cases(folder: Path, *, source: CaseSource = "project") -> list[EvalCase]:
    """The cases in ``folder``: one per sub-folder, or ``folder`` itself when it is a case."""
    folder = Path(folder)
    if not folder.is_dir():
        raise CaseError(f"{folder}: no such case folder")
    if _is_case_folder(folder):
        return [load_case(folder, source=source)]
    cases = [
        load_case(sub, source=source)
        for sub in sorted(folder.iterdir())
        if sub.is_dir() and not sub.name.startswith(".")
    ]
    if not cases:
        raise CaseError(f"{folder}: no cases (expected sub-folders with a {CASE_FILE} and input files)")
    duplicates = sorted({c.id for c in cases if sum(o.id == c.id for o in cases) > 1})
    if duplicates:
        raise CaseError(f"{folder}: case ids used twice: {', '.join(duplicates)}")
    return cases


def load_case(folder: Path, *, source: CaseSource = "project") -> EvalCase:
    """One case folder; without ``case.json`` its input files are the case."""
    folder = Path(folder)
    spec_file = folder / CASE_FILE
    if not spec_file.is_file():
        inputs = _input_files(folder)
        if not inputs:
            raise CaseError(f"{folder}: no {CASE_FILE} and no input files")
        return EvalCase(id=folder.name, kind="unlabelled", title=folder.name, inputs=tuple(inputs), source=source)
    spec = _read_json(spec_file)
    if not isinstance(spec, dict):
        raise CaseError(f"{spec_file}: expected a JSON object")
    unknown = sorted(set(spec) - CASE_KEYS)
    if unknown:
        raise CaseError(f"{spec_file}: unknown keys {unknown}; known: {sorted(CASE_KEYS)}")
    return EvalCase(
        id=_text(spec, "id", spec_file, default=folder.name),
        kind=_text(spec, "kind", spec_file, default="unlabelled"),
        title=_text(spec, "title", spec_file, default=folder.name),
        inputs=_inputs(spec.get("inputs"), folder, spec_file),
        must_contain=_facts(spec.get("must_contain") or {}, spec_file),
        must_not_invent=_strings(spec.get("must_not_invent") or [], "must_not_invent", spec_file),
        expected=_expected(spec.get("expected") or {}, spec_file),
        source=source,
        truth=read_truth(spec.get("truth") or {}, spec_file),
    )


def real_incident_cases(data_dir: Path) -> list[EvalCase]:
    """The real incidents of ``data_dir/fulltext`` (empty when absent): services and key times from each input."""
    folder = Path(data_dir) / "fulltext"
    if not folder.is_dir():
        return []
    return [_real_case(path) for path in sorted(folder.glob(f"*{REAL_SUFFIX}"))]


def _real_case(path: Path) -> EvalCase:
    data = _read_json(path)
    if not isinstance(data, dict):
        raise CaseError(f"{path}: expected a JSON object")
    truth_file = path.with_name(path.name.removesuffix(REAL_SUFFIX) + ".truth.json")
    truth = _read_json(truth_file) if truth_file.is_file() else {}
    if not isinstance(truth, dict):
        raise CaseError(f"{truth_file}: expected a JSON object")
    category = truth.get("category")
    services = tuple(s for s in data.get("services") or [] if isinstance(s, str))
    return EvalCase(
        id=path.name.removesuffix(REAL_SUFFIX),
        kind=str(category or "real incident"),
        title=str(data.get("title") or path.name),
        inputs=(path,),
        must_contain=RequiredFacts(services=services),
        expected=_expected_from_key_times(data),
        source="real",
        truth=read_truth(truth, truth_file),
    )


def read_truth(value: Any, where: Path) -> Truth:
    """A truth object (``root_causes``, ``contributing_factors``, ``action_items``, ``lessons_learned``, ``impact``)."""
    if not isinstance(value, dict):
        raise CaseError(f"{where}: 'truth' must be an object with {', '.join(TRUTH_KEYS)}")
    lists = {key: _strings(value.get(key) or [], f"truth.{key}", where) for key in TRUTH_KEYS}
    impact = value.get("impact") or {}
    if not isinstance(impact, dict):
        raise CaseError(f"{where}: 'truth.impact' must be an object")
    stated = {str(k): str(v) for k, v in impact.items() if isinstance(v, str | int | float) and not isinstance(v, bool)}
    return Truth(**lists, stated=stated)


def _expected_from_key_times(data: dict[str, Any]) -> dict[str, float]:
    """Duration and time to detect from the times the input itself states, when it states both ends."""
    times = {name: _moment(data.get(name)) for name in ("started_at", "detected_at", "resolved_at")}
    expected: dict[str, float] = {}
    if times["started_at"] and times["resolved_at"]:
        expected["duration_minutes"] = (times["resolved_at"] - times["started_at"]).total_seconds() / 60
    if times["started_at"] and times["detected_at"]:
        expected["time_to_detect_minutes"] = (times["detected_at"] - times["started_at"]).total_seconds() / 60
    return expected


def _moment(value: Any) -> dt.datetime | None:
    if not isinstance(value, str) or not value:
        return None
    try:
        moment = dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return moment if moment.tzinfo else None


def _is_case_folder(folder: Path) -> bool:
    """A folder with a ``case.json``, or with input files and no sub-folders."""
    if (folder / CASE_FILE).is_file():
        return True
    return bool(_input_files(folder)) and not any(p.is_dir() for p in folder.iterdir())


def _input_files(folder: Path) -> list[Path]:
    """The files a folder stands for as ``pm-agent draft`` input (:func:`pm_agent.ingest.folders.folder_files`)."""
    try:
        return folder_files(folder)
    except InputError as exc:
        raise CaseError(str(exc)) from None


def _read_json(path: Path) -> Any:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise CaseError(f"{path}: cannot read ({exc.strerror or exc})") from None
    except json.JSONDecodeError as exc:
        raise CaseError(f"{path}: malformed JSON at line {exc.lineno}, column {exc.colno}: {exc.msg}") from None


def _text(spec: dict[str, Any], key: str, where: Path, *, default: str) -> str:
    value = spec.get(key, default)
    if not isinstance(value, str) or not value.strip():
        raise CaseError(f"{where}: '{key}' must be a non-empty string")
    return value.strip()


def _inputs(value: Any, folder: Path, where: Path) -> tuple[Path, ...]:
    """The case's input files, named as ``pm-agent draft`` of its folder reads them
    (:func:`pm_agent.ingest.folders.case_inputs`), each required to be there."""
    try:
        listed = case_inputs(value, folder, str(where))
    except InputError as exc:
        raise CaseError(str(exc)) from None
    if listed is None:
        found = _input_files(folder)
        if not found:
            raise CaseError(f"{where}: no 'inputs' listed and no input files beside it")
        return tuple(found)
    missing = [str(p.name) for p in listed if not p.is_file()]
    if missing:
        raise CaseError(f"{where}: input files not found: {', '.join(missing)}")
    return tuple(listed)


def _facts(value: Any, where: Path) -> RequiredFacts:
    if not isinstance(value, dict):
        raise CaseError(f"{where}: 'must_contain' must be an object with times, services and phrases")
    unknown = sorted(set(value) - FACT_KEYS)
    if unknown:
        raise CaseError(f"{where}: unknown keys in 'must_contain': {unknown}; known: {sorted(FACT_KEYS)}")
    times = _strings(value.get("times") or [], "must_contain.times", where)
    bad = [t for t in times if not TIME_OF_DAY.match(t)]
    if bad:
        raise CaseError(f"{where}: must_contain.times must be HH:MM (UTC), got {bad}")
    return RequiredFacts(
        times=times,
        services=_strings(value.get("services") or [], "must_contain.services", where),
        phrases=_strings(value.get("phrases") or [], "must_contain.phrases", where),
    )


def _expected(value: Any, where: Path) -> dict[str, float]:
    if not isinstance(value, dict):
        raise CaseError(f"{where}: 'expected' must be an object such as {{\"duration_minutes\": 35}}")
    unknown = sorted(set(value) - set(EXPECTED_METRICS))
    if unknown:
        raise CaseError(f"{where}: unknown keys in 'expected': {unknown}; known: {sorted(EXPECTED_METRICS)}")
    out = {}
    for key, minutes in value.items():
        if isinstance(minutes, bool) or not isinstance(minutes, int | float) or minutes < 0:
            raise CaseError(f"{where}: expected.{key} must be a number of minutes, got {minutes!r}")
        out[key] = float(minutes)
    return out


def _strings(value: Any, key: str, where: Path) -> tuple[str, ...]:
    if not isinstance(value, list) or not all(isinstance(v, str) and v.strip() for v in value):
        raise CaseError(f"{where}: '{key}' must be a list of non-empty strings")
    return tuple(v.strip() for v in value)
