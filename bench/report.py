"""``docs/benchmarks.md`` from the results of ``bench/run.py``: one table per section, with how to read it.

Pure rendering: every figure comes from the results dictionary (also written as JSON); nothing
here measures or adds a number. Ratios are printed beside the absolute figures they come from.
"""

from __future__ import annotations

from pathlib import Path

from growth import describe

# Install size and time need fresh venvs and the registry, so they are measured by hand (the file says how and
# when) and appended as they are: nothing in this script measures them.
INSTALL_MEASUREMENTS = Path(__file__).with_name("install_measurements.md")

HAND_WRITTEN = "<!-- Written by hand below this line: bench/run.py keeps it word for word. -->"
"""The marker ending the rendered page: notes measured by hand go under it, and every render keeps them."""

SHORT_TITLES = {"drafting": "Drafting", "engines": "Engines", "memory": "Memory"}
SECTION_TITLES = {
    "startup": "Server start (MCP over stdio)",
    "drafting": "Drafting",
    "engines": "5 Whys, blameless rewrite, rubric scoring",
    "memory": "Incident memory: ingest and search, pm-agent's embedder beside chromadb's default",
    "retrieval": "Retrieval quality beside TF-IDF and BM25",
}


def table(headers: list[str], rows: list[list]) -> list[str]:
    """A Markdown table; columns whose every cell is a figure are right-aligned."""
    aligns = ["---:" if rows and all(_figure(row[n]) for row in rows) else "---" for n in range(len(headers))]
    lines = ["| " + " | ".join(headers) + " |", "|" + "|".join(aligns) + "|"]
    lines += ["| " + " | ".join(str(cell) for cell in row) + " |" for row in rows]
    return lines


def _figure(cell) -> bool:
    """True for a number, a ratio (2.5×), a share (40%), a size step (1,000 → 10,000) or an empty cell."""
    text = str(cell).replace(",", "").replace("×", "").replace("%", "").replace("→", " ").strip()
    return all(_is_number(part) for part in text.split()) if text else True


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def ratio(a: float, b: float) -> str:
    return f"{a / b:.2f}×" if b else "n/a"


def render(results: dict, by_hand: str = "") -> str:
    """The page: the sections measured in the run, the install notes, then the marker and ``by_hand`` under it
    as it is (what the last page held there: :func:`written_by_hand`)."""
    lines = [
        "# Benchmarks",
        "",
        (
            f"Written by `python bench/run.py{results['command_flags']}` on {results['machine']['date']}; "
            "do not edit by hand, rerun it (notes measured by hand go at the end, under a marker every run "
            "keeps word for word). Every other figure was measured in that one run on the machine described "
            "here; figures from another machine or another load are not comparable. Timings are medians of "
            "several runs unless a row says otherwise; ratios stand beside the figures they compare. The raw results are in [`benchmarks.json`](benchmarks.json). "
            f"Measuring took {results['seconds'] / 60:.1f} minutes."
        ),
        "",
    ]
    lines += machine(results["machine"], results.get("load_average_at_end"))
    for number, (key, title) in enumerate(SECTION_TITLES.items(), 1):
        lines += ["", f"## {number}. {title}", ""]
        section = results["sections"].get(key)
        if section is None:
            lines.append("Not measured in this run.")
        elif "skipped" in section:
            lines.append(f"Skipped: {section['skipped']}.")
        else:
            lines += RENDERERS[key](section)
            lines += ["", measured(section, results["machine"]["date"])]
    lines += ["", f"## {len(SECTION_TITLES) + 1}. How each cost grows with size", ""]
    lines += growth(results["sections"])
    if INSTALL_MEASUREMENTS.is_file():
        lines += ["", INSTALL_MEASUREMENTS.read_text(encoding="utf-8").rstrip()]
    lines += ["", HAND_WRITTEN]
    return "\n".join(lines) + "\n" + by_hand


def written_by_hand(page: str) -> str:
    """What ``page`` holds under the :data:`HAND_WRITTEN` marker, exactly as written; "" for a page without it."""
    _, marker, under = page.partition(HAND_WRITTEN)
    return under.removeprefix("\n") if marker else ""


def measured(section: dict, date: str) -> str:
    """When and how long: sections kept from an earlier run (``--only``) say so."""
    when = "" if section["measured_at"] == date else f", on {section['measured_at']} (an earlier run)"
    return f"_This section took {section['seconds']:.0f} s with the {section['profile']} profile{when}._"


def machine(facts: dict, load_at_end: float | None) -> list[str]:
    versions = ", ".join(f"{name} {version}" for name, version in facts["versions"].items())
    rows = [
        ["CPU", f"{facts['cpu']} ({facts['cpu_count']} logical CPUs)"],
        ["RAM", f"{facts['ram_gb']} GB"],
        ["Python", f"{facts['python']} on {facts['platform']}"],
        ["Packages", versions],
        ["Load average (1 min) at start / end", f"{facts['load_average_at_start']} / {load_at_end}"],
    ]
    lines = ["## Machine", ""] + ["| | |", "|---|---|"] + [f"| {a} | {b} |" for a, b in rows]
    return lines + [
        "",
        (
            "A load average above the CPU count means other work shared the cores during the run: "
            "absolute timings are then slower than on an idle machine, while the ratios of figures "
            "measured side by side hold better."
        ),
    ]


def startup(section: dict) -> list[str]:
    floor = section["sdk_import_floor_s"]
    rows = [
        ["`initialize` answered", section["initialize_s"], ratio(section["initialize_s"], floor)],
        [
            f"`initialize` + `tools/list` answered ({section['tools']} tools)",
            section["tools_list_s"],
            ratio(section["tools_list_s"], floor),
        ],
        ["bare `import mcp.server.mcpserver` (the floor)", floor, "1.00×"],
    ]
    return (
        [
            (
                "How to read this: seconds from launching `pm-agent serve` (a new Python process) to each reply, "
                f"as a desktop client sees it; median of {section['runs']} starts. The ratio compares with the bare "
                "import of the MCP SDK's server module, which any server built on the SDK pays. "
                f"All starts (s): {' '.join(str(s) for s in section['all_tools_list_s'])}."
            ),
            "",
        ]
        + table(["measure", "median s", "× the SDK import floor"], rows)
        + typescript_client(section.get("typescript_client"))
    )


def typescript_client(client: dict | None) -> list[str]:
    """The official TypeScript client's start, when it was measured."""
    if not client:
        return []
    if "skipped" in client:
        return ["", f"TypeScript client: skipped ({client['skipped']})."]
    rows = [
        ["spawn + `initialize` + `tools/list`, median s", client["median_s"]],
        ["CPU per start, client + server (s)", client["cpu_per_start_s"]],
        ["`tools/list` answer (bytes)", f"{client['tools_list_bytes']:,}"],
    ]
    return [
        "",
        (
            f"The official TypeScript client (`@modelcontextprotocol/sdk` {client['sdk']}, `bench/bench_ts_client.py`) "
            "spawning the server over stdio, timed by the client; goal 1.5 s, and `tools/list` under 25 KB. "
            f"All starts (s): {' '.join(str(s) for s in client['all_s'])}."
        ),
        "",
    ] + table(["measure", "value"], rows)


def drafting(section: dict) -> list[str]:
    rows, previous = [], None
    for row in section["rows"]:
        step = ratio(row["median_s"], previous["median_s"]) if previous else ""
        size_step = f"{row['events'] / previous['events']:.0f}×" if previous else ""
        rows.append(
            [
                f"{row['events']:,}",
                f"{row['median_s']:.3f}",
                f"{row['ms_per_1k_events']:.0f}",
                f"{row['peak_mb']:.1f}",
                size_step,
                step,
            ]
        )
        previous = row
    lines = [
        (
            "How to read this: what `pm-agent draft` does after reading its input, on synthetic incidents "
            "(`bench/bench_draft.py`): draft, render to Markdown, and score the draft with the rubric. "
            f"Median of {section['runs']} runs; peak memory is the Python heap's peak (tracemalloc) during one "
            "draft. The last two columns say how much the size and the time grew from the row above."
        ),
        "",
    ] + table(["events", "median s", "ms per 1,000 events", "peak MB", "size × previous", "time × previous"], rows)
    if section.get("hostile"):
        lines += [
            "",
            (
                "Hostile inputs, end to end (read, fold duplicates, draft, render, score), median of "
                f"{min(section['runs'], 3)} runs: every event given twice a second apart (JSON), and one "
                "text line repeated. Folding them was quadratic before (16,000 events: 29 s)."
            ),
            "",
        ]
        lines += table(
            ["input", "events", "kept after folding", "median s", "peak MB"],
            [
                [
                    row["case"],
                    f"{row['events']:,}",
                    f"{row['kept']:,}",
                    f"{row['median_s']:.3f}",
                    f"{row['peak_mb']:.1f}",
                ]
                for row in section["hostile"]
            ],
        )
    return lines


def engines(section: dict) -> list[str]:
    typical = [
        [row["engine"], row["input"], f"{row['per_second']:,.1f}", f"{1000 / row['per_second']:.2f}"]
        for row in section["typical"]
    ]
    by_size = [
        [
            f"{row['size']:,}",
            f"{row['whys_s'] * 1000:.1f}",
            f"{row['markdown_kb']}",
            f"{row['rubric_s'] * 1000:.1f}",
            f"{row['sentences']:,}",
            f"{row['rewrite_s'] * 1000:.2f}",
        ]
        for row in section["by_size"]
    ]
    return (
        [
            (
                "How to read this: calls per second of each offline engine on typical inputs (the project's "
                "own eval cases and datasets), median of "
                f"{section['runs']} passes over the inputs; then the time of one call as the input grows "
                "(synthetic incidents of N events for the 5 Whys and, drafted and rendered, for the rubric; "
                "the blameless dataset's first N/10 sentences, cycled, for the rewrite: the mix of blameful and "
                "plain sentences differs between sizes)."
            ),
            "",
        ]
        + table(["engine", "input", "calls per second", "ms per call"], typical)
        + [""]
        + table(["events N", "5 Whys ms", "draft Markdown KB", "rubric ms", "sentences", "rewrite ms"], by_size)
    )


def memory(section: dict) -> list[str]:
    from memory_scale import OURS, THEIRS

    theirs = next(row for row in section["ingest"] if row["embedder"] == THEIRS)
    ingest_rows = [
        [
            row["embedder"],
            f"{row['incidents']:,}",
            row["runs"],
            row["per_second"],
            " ".join(str(r) for r in row["all_per_second"]),
            f"{row['cpu_share']:.0%}",
            ratio(row["per_second"], theirs["per_second"]) if row["incidents"] == theirs["incidents"] else "",
        ]
        for row in section["ingest"]
    ]
    write_rows = [
        [
            row["store_vectors"],
            f"{row['from']:,} → {row['to']:,}",
            f"{row['written']:,}",
            row["seconds"],
            row["per_second"],
        ]
        for row in section["writes"]
    ]
    own_p50 = {
        row["stored"]: row["p50_ms"]
        for row in section["search"]
        if row["query_embedder"] == OURS and row["store_vectors"] == OURS
    }
    search_rows = [
        [
            f"{row['stored']:,}",
            row["query_embedder"],
            row["store_vectors"],
            row["searches"],
            row["first_ms"],
            "" if row.get("first_cached_ms") is None else row["first_cached_ms"],
            row["p50_ms"],
            row["p95_ms"],
            ratio(row["p50_ms"], own_p50[row["stored"]]) if row["stored"] in own_p50 else "n/a",
        ]
        for row in section["search"]
    ]
    agreement = section["embedder_agreement"]
    pool, top = section["pool"], max(section["sizes"])
    return [
        (
            f"How to read this: **ingest** is end to end (`Memory.ingest_paths` of a JSON Lines file of {pool:,} "
            "distinct synthetic incidents made from varied templates: read, classify causes, embed, write to the "
            "embedded Chroma store), into an empty memory, once per run. chromadb's default embedding function, "
            f"the slower of the two, ingests only the first {section['chroma_pool']:,} of them, and pm-agent's embedder "
            "is timed on that same sample too: the last column divides the rates on the same sample. "
            "Both embedders run the same all-MiniLM-L6-v2 ONNX file: pm-agent's computes each text alone at its own length (int8 products, fused attention), "
            "and chromadb's default embedding function pads every text to 256 tokens. "
            "*Share of the cores* is the process's CPU time over wall time times the CPU count: below 100% the "
            "machine was busy with other work or the run waited on I/O."
        ),
        "",
        *table(
            [
                "embedder",
                "incidents",
                "runs",
                "median incidents/s",
                "each run",
                "share of the cores",
                "× chromadb default",
            ],
            ingest_rows,
        ),
        "",
        (
            f"How to read this: to reach {top:,} stored incidents without embedding {top:,} texts, the memory is grown "
            f"from the ingested ones ({pool:,} for pm-agent's store, {section['chroma_pool']:,} for chromadb's "
            "default's) with recurrences of them: each a distinct document (own id, date and an "
            "occurrence note) whose vector is that embedder's real vector of the pool text plus Gaussian noise "
            f"(cosine about {section['noise_cosine']} to it) and whose cause categories are the pool incident's. "
            "These rows time only the writes (`Memory.ingest_records` with those vectors: Chroma, metadata), "
            "not embedding; each is one timing (the largest takes minutes), not a median."
        ),
        "",
        *table(["store vectors", "stored", "written", "seconds", "incidents/s"], write_rows),
        "",
        (
            f"How to read this: `Memory.search` end to end (query embedding, Chroma HNSW query, BM25, fusion, "
            f"boosts; k = 5) over the {section['queries']} plain-language queries of `bench/bench_memory.py` in turn, in a freshly opened memory at "
            "each size. *First search* (one measurement) includes building the lexical index and catalog from the "
            "store, which the first process after a change to the store pays once; it then writes them to the "
            "memory's lexical index cache, and *first search from the cache* is a later process's first search, "
            "which loads them from there (pm-agent's rows only). p50 and p95 are over the searches after the first. "
            "The last column is the p50 over pm-agent's own p50 at the same size. "
            f"chromadb's default embedding function builds its own store only up to {section['chroma_store_max']:,} "
            f"stored; above that its queries run against pm-agent's store. The two embedders' vectors of the "
            f"{agreement['texts']:,} pool texts agree to cosine {agreement['mean']:.6f} on average "
            f"(minimum {agreement['min']:.6f}), and the rows where chromadb's queries run on both stores at one "
            "size show whether the store's origin matters."
        ),
        "",
        *table(
            [
                "stored",
                "query embedder",
                "store vectors",
                "searches",
                "first search ms",
                "first search from the cache ms",
                "p50 ms",
                "p95 ms",
                "p50 × pm-agent's",
            ],
            search_rows,
        ),
    ]


def retrieval(section: dict) -> list[str]:
    rows_by_name = {row["ranking"]: row for row in section["rows"]}
    tfidf = rows_by_name["baseline: TF-IDF cosine"]["precision_at_5"]
    bm25 = rows_by_name["baseline: BM25 (Okapi)"]["precision_at_5"]
    rows = [
        [
            row["ranking"],
            f"{row['precision_at_5']:.3f}",
            f"{row['hit_at_5']:.3f}",
            f"{row['mrr']:.3f}",
            ratio(row["precision_at_5"], tfidf),
            ratio(row["precision_at_5"], bm25),
        ]
        for row in section["rows"]
    ]
    return [
        (
            "How to read this: leave-one-out on the real incidents of `../shared/data/incidents.jsonl` whose "
            f"`category_primary_basis` is `source label` ({section['queries']} queries, each ranked among the "
            f"{section['ranked_among']} others): P@5 is the share of the top 5 with the query's category, hit@5 "
            "whether any of them has it, MRR the mean reciprocal rank of the first that has it. pm-agent's rows "
            f"are `pm_agent.evals.leave_one_out` (embedder {section['embedder']}), its full ranking and the "
            "parts it is made of; the baselines, written in `bench/baselines.py` independently of pm-agent's "
            "ranking code, rank the same documents for the same queries: TF-IDF cosine and Okapi BM25 as "
            "scikit-learn and rank_bm25 define them by default, and the expected score of a random ranking."
        ),
        "",
    ] + table(["ranking", "P@5", "hit@5", "MRR", "P@5 × TF-IDF", "P@5 × BM25"], rows)


def growth(sections: dict) -> list[str]:
    rows = []
    for key, title in SECTION_TITLES.items():
        section = sections.get(key) or {}
        for cost, steps in (section.get("growth") or {}).items():
            for step in steps:
                rows.append(
                    [
                        f"{SHORT_TITLES.get(key, title)}: {cost}",
                        f"{step['from']:,.0f} → {step['to']:,.0f}",
                        f"{step['size_ratio']}×",
                        f"{step['cost_ratio']}×",
                        step["exponent"],
                        step["shape"] + (" (bend)" if step["bend"] else ""),
                    ]
                )
    if not rows:
        return ["Not measured in this run."]
    summary = [
        f"- {SHORT_TITLES.get(key, title)}, {cost}: {describe(steps)}."
        for key, title in SECTION_TITLES.items()
        for cost, steps in ((sections.get(key) or {}).get("growth") or {}).items()
    ]
    return (
        [
            (
                "How to read this: for each pair of successive sizes, how many times the size and the cost grew, "
                "and the exponent that implies (log of the cost ratio over log of the size ratio): 1 is linear, "
                "0 flat, above 1 super-linear. Flat and sub-linear: below 0.2 and below 0.85; linear: 0.85 to "
                "1.15 (room for this machine's 30-40% drift); *bend* marks a super-linear step or an exponent "
                "more than 0.3 above the step before it. Costs are the section's median times (search: p50/p95 "
                "and first search; writes: seconds per incident written)."
            ),
            "",
        ]
        + table(["cost", "sizes", "size ×", "cost ×", "exponent", "shape"], rows)
        + [""]
        + summary
    )


RENDERERS = {"startup": startup, "drafting": drafting, "engines": engines, "memory": memory, "retrieval": retrieval}
