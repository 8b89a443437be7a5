"""Fishbone (Ishikawa) grouping and fault tree, rendered as Mermaid.

Causes come from the why-chain (each branch's evidenced cause and its systemic cause) and
from the contributing factors. They are grouped as People, Process, Technology and
Environment; People items say what people lacked ("on-call had no runbook for ..."), never
who was at fault. The fault tree puts the problem on top, an OR over the branches, and an
AND where an evidenced trigger needed a missing safeguard to become an incident.

Which group a cause or factor falls into, and the phrases that say what people lacked, are a table of
patterns and phrases: data, in ``pm_agent/data/fishbone.toml``, read once when this module loads.
"""

from __future__ import annotations

import re

from pm_agent.analysis.casing import sentence_case
from pm_agent.analysis.quoting import when
from pm_agent.data import table
from pm_agent.models import Fishbone, WhyBranch, WhyChain, WhyStep

LABEL_LIMIT = 80


def _re(pattern: str) -> re.Pattern[str]:
    return re.compile(pattern, re.IGNORECASE)


_TABLE = table("fishbone")
CATEGORIES: tuple[str, ...] = _TABLE["categories"]
CATEGORY_BY_KIND: dict[str, str] = dict(_TABLE["category_by_kind"])
PEOPLE_PHRASES: tuple[tuple[re.Pattern[str], str], ...] = tuple(
    (_re(rule["pattern"]), rule["phrase"]) for rule in _TABLE["people_phrase"]
)
FACTOR_CATEGORIES: tuple[tuple[re.Pattern[str], str], ...] = tuple(
    (_re(rule["pattern"]), rule["category"]) for rule in _TABLE["factor_category"]
)
BLAME_SWAPS: tuple[tuple[re.Pattern[str], str], ...] = tuple(
    (_re(rule["pattern"]), rule["replacement"]) for rule in _TABLE["blame_swap"]
)


def build_fishbone(chain: WhyChain, factors: list[str], fault_tree: bool = False) -> Fishbone:
    """Group causes and factors into People, Process, Technology, Environment."""
    groups: dict[str, list[str]] = {name: [] for name in CATEGORIES}
    for branch in chain.branches:
        for category, item in _branch_items(branch):
            _add(groups, category, item)
    for factor in factors:
        if factor and factor.strip():
            category, item = _factor_item(factor)
            _add(groups, category, item)
    return Fishbone(
        problem=chain.problem,
        categories=groups,
        mermaid=fishbone_mermaid(chain.problem, groups),
        fault_tree_mermaid=fault_tree_mermaid(chain) if fault_tree else None,
    )


def _add(groups: dict[str, list[str]], category: str, item: str) -> None:
    if item and item not in groups[category]:
        groups[category].append(item)


def _branch_items(branch: WhyBranch) -> list[tuple[str, str]]:
    items = []
    cause = immediate_cause(branch)
    if cause is not None and branch.label == "trigger":
        items.append(("Technology", _evidence_text(cause)))
    if branch.root_cause:
        items.append((CATEGORY_BY_KIND.get(branch.systemic_kind, "Process"), branch.root_cause))
    return items


def immediate_cause(branch: WhyBranch) -> WhyStep | None:
    """The evidenced step nearest the systemic cause: the trigger if known, else the first cited step. The trigger
    branch's last step (why it was not caught earlier: the safeguard) is a systemic item of its own, not this."""
    steps = branch.steps[:-1] if branch.label == "trigger" and len(branch.steps) > 1 else branch.steps
    evidenced = [step for step in steps if step.evidence and not step.hypothesis]
    return evidenced[1] if len(evidenced) > 1 and branch.label == "trigger" else (evidenced[0] if evidenced else None)


def _evidence_text(step: WhyStep) -> str:
    first = step.evidence[0]
    moment = when(first.at) if first.at else (first.time_text or "undated")
    return f"{first.excerpt} ({first.source}, {moment})"


def _factor_item(factor: str) -> tuple[str, str]:
    text = _without_blame(re.sub(r"^candidate:\s*", "", factor.strip(), flags=re.IGNORECASE))
    for pattern, phrase in PEOPLE_PHRASES:
        if pattern.search(text):
            return "People", pattern.sub(phrase, text)
    category = next((name for pattern, name in FACTOR_CATEGORIES if pattern.search(text)), "Technology")
    return category, sentence_case(text)


def _without_blame(text: str) -> str:
    """Blame words swapped for system-focused ones, outside quotations (quotes stay verbatim)."""
    pieces = re.split(r'("[^"]*")', text)
    for index in range(0, len(pieces), 2):
        for pattern, replacement in BLAME_SWAPS:
            pieces[index] = pattern.sub(replacement, pieces[index])
    return "".join(pieces)


# --- Mermaid --------------------------------------------------------------------------------

ESCAPES = {
    "#": "#35;",
    '"': "#quot;",
    "&": "#38;",
    "<": "#lt;",
    ">": "#gt;",
    "[": "#91;",
    "]": "#93;",
    "{": "#123;",
    "}": "#125;",
    "(": "#40;",
    ")": "#41;",
    "|": "#124;",
    ";": "#59;",
    "`": "#96;",
}
ESCAPE_RE = re.compile("[" + re.escape("".join(ESCAPES)) + "]")


def mermaid_label(text: str, limit: int = LABEL_LIMIT) -> str:
    """``text`` on one line, shortened at a word, with every character Mermaid could misread escaped."""
    flat = " ".join(text.split())
    if len(flat) > limit:
        cut = flat[:limit]
        flat = (cut[: cut.rfind(" ")] if " " in cut else cut).rstrip(" ,;:") + "…"
    return '"' + ESCAPE_RE.sub(lambda m: ESCAPES[m.group()], flat) + '"'


def fishbone_mermaid(problem: str, groups: dict[str, list[str]]) -> str:
    """A left-to-right flowchart: items point to their category, categories to the problem."""
    lines = ["flowchart LR", f"    problem[{mermaid_label(problem)}]"]
    for index, name in enumerate(CATEGORIES):
        if not groups.get(name):
            continue
        node = f"c{index}"
        lines.append(f"    {node}[{mermaid_label(name)}] --> problem")
        for number, item in enumerate(groups[name], start=1):
            lines.append(f"    {node}_{number}[{mermaid_label(item)}] --> {node}")
    return "\n".join(lines)


def fault_tree_mermaid(chain: WhyChain) -> str:
    """A top-down fault tree: problem, an OR over branches, an AND of trigger and missing safeguard."""
    lines = ["flowchart TB", f"    top[{mermaid_label(chain.problem)}]", '    top --- or0{{"OR"}}']
    for index, branch in enumerate(chain.branches, start=1):
        node = f"b{index}"
        end = branch.root_cause or f"open: {branch.root_cause_question}"
        root = f"{mermaid_label(branch.label + ': ' + end)}"
        cause = immediate_cause(branch) if branch.label == "trigger" else None
        if cause is None:
            lines.append(f"    or0 --- {node}[{root}]")
            continue
        lines.append(f'    or0 --- {node}{{{{"AND"}}}}')
        lines.append(f"    {node} --- {node}_event[{mermaid_label(_evidence_text(cause))}]")
        lines.append(f"    {node} --- {node}_gap[{root}]")
    return "\n".join(lines)
