"""bench/run.py's plumbing: a tiny real run writes every section as a table, and its helpers compute right.

The smoke run measures for real (a real server over stdio, real drafting, the real memory with the
MiniLM model where installed) with sizes too small to mean anything; these tests check the shape
of what it writes, never a timing.
"""

from __future__ import annotations

import itertools
import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
BENCH = REPO / "bench"
DOCS = REPO / "docs"
sys.path.insert(0, str(BENCH))

from baselines import bm25_scorer, leave_one_out, random_expectation, tfidf_scorer
from growth import describe, growth_steps
from report import HAND_WRITTEN

from pm_agent.embeddings.model_files import find_model_files

INCIDENTS = REPO.parent / "shared" / "data" / "incidents.jsonl"
OURS, THEIRS = "pm-agent MiniLM", "chromadb default EF"
HEADINGS = [
    "# Benchmarks",
    "## Machine",
    "## 1. Server start (MCP over stdio)",
    "## 2. Drafting",
    "## 3. 5 Whys, blameless rewrite, rubric scoring",
    "## 4. Incident memory: ingest and search, pm-agent's embedder beside chromadb's default",
    "## 5. Retrieval quality beside TF-IDF and BM25",
    "## 6. How each cost grows with size",
    "## 7. Installing pm-agent (measured by hand, not by `bench/run.py`)",
]
TABLE_HEADERS = {
    "startup": ["| measure | median s | × the SDK import floor |"],
    "drafting": [
        "| events | median s | ms per 1,000 events | peak MB | size × previous | time × previous |",
        "| input | events | kept after folding | median s | peak MB |",
    ],
    "engines": [
        "| engine | input | calls per second | ms per call |",
        "| events N | 5 Whys ms | draft Markdown KB | rubric ms | sentences | rewrite ms |",
    ],
    "memory": [
        ("| embedder | incidents | runs | median incidents/s | each run | share of the cores | × chromadb default |"),
        "| store vectors | stored | written | seconds | incidents/s |",
        (
            "| stored | query embedder | store vectors | searches | first search ms | "
            "first search from the cache ms | p50 ms | p95 ms | p50 × pm-agent's |"
        ),
    ],
    "retrieval": ["| ranking | P@5 | hit@5 | MRR | P@5 × TF-IDF | P@5 × BM25 |"],
    "growth": ["| cost | sizes | size × | cost × | exponent | shape |"],
    "install": [
        ("| Install | Embedding the memory gets | Venv size | Distributions | Wall clock (runs) | CPU time (runs) |"),
        "| Part | Size | pm-agent uses it? |",
    ],
}


def run_bench(out_dir: Path, *extra: str) -> dict:
    subprocess.run(
        [sys.executable, str(BENCH / "run.py"), "--smoke", "--out-dir", str(out_dir), *extra],
        check=True,
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=600,
    )
    return json.loads((out_dir / "benchmarks.json").read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def smoke(tmp_path_factory) -> Path:
    out_dir = tmp_path_factory.mktemp("bench")
    run_bench(out_dir)
    return out_dir


def sections_of(markdown: str) -> dict[str, str]:
    """The Markdown's text under each numbered heading, keyed like the JSON's sections."""
    keys = ["startup", "drafting", "engines", "memory", "retrieval", "growth", "install"]
    parts = markdown.split("\n## ")[2:]
    return dict(zip(keys, parts, strict=True))


def test_a_smoke_run_writes_every_section_with_its_tables_and_how_to_read_them(smoke):
    markdown = (smoke / "benchmarks.md").read_text(encoding="utf-8")
    assert [line for line in markdown.splitlines() if line.startswith("#")] == HEADINGS
    for key, text in sections_of(markdown).items():
        expected = TABLE_HEADERS[key]
        if (key == "memory" and find_model_files() is None) or (key == "retrieval" and not INCIDENTS.is_file()):
            assert text.splitlines()[2].startswith("Skipped: "), key
            continue
        assert [
            line
            for line in text.splitlines()
            if line.startswith("| ") and line.endswith("|") and "---" not in line and line in expected
        ] == expected, key
        assert "How to read this:" in text, key


def test_a_smoke_run_records_every_size_it_was_asked_for(smoke):
    results = json.loads((smoke / "benchmarks.json").read_text(encoding="utf-8"))
    sections = results["sections"]
    assert list(sections) == ["startup", "drafting", "engines", "memory", "retrieval"]
    assert {s["profile"] for s in sections.values()} == {"smoke"}
    assert sections["startup"]["runs"] == 1 and sections["startup"]["tools"] > 0
    assert [row["events"] for row in sections["drafting"]["rows"]] == [20, 200]
    assert [(row["events"], row["kept"]) for row in sections["drafting"]["hostile"]] == [(200, 100), (200, 1)]
    assert [row["engine"] for row in sections["engines"]["typical"]] == [
        "5 Whys",
        "blameless rewrite",
        "rubric scoring",
    ]
    assert [(row["size"], row["sentences"]) for row in sections["engines"]["by_size"]] == [(20, 2), (200, 20)]
    assert list(sections["drafting"]["growth"]) == ["draft time", "peak memory"]
    assert [len(steps) for steps in sections["engines"]["growth"].values()] == [1, 1, 1]
    assert set(results["machine"]) >= {"date", "cpu", "cpu_count", "ram_gb", "python", "versions"}
    assert set(results["machine"]["versions"]) == {"pm-agent", "chromadb", "onnxruntime", "mcp", "numpy", "tokenizers"}


@pytest.mark.skipif(find_model_files() is None, reason="the MiniLM model files are not installed")
def test_the_memory_section_compares_both_embedders_at_every_size(smoke):
    memory = json.loads((smoke / "benchmarks.json").read_text(encoding="utf-8"))["sections"]["memory"]
    assert [(r["embedder"], r["incidents"]) for r in memory["ingest"]] == [(THEIRS, 8), (OURS, 8), (OURS, 20)]
    assert [(r["store_vectors"], r["from"], r["to"], r["written"]) for r in memory["writes"]] == [
        (THEIRS, 8, 20, 12),
        (THEIRS, 20, 60, 40),
        (OURS, 20, 60, 40),
    ]
    assert [(r["stored"], r["query_embedder"], r["store_vectors"]) for r in memory["search"]] == [
        (20, THEIRS, THEIRS),
        (60, THEIRS, THEIRS),
        (20, OURS, OURS),
        (20, THEIRS, OURS),
        (60, OURS, OURS),
        (60, THEIRS, OURS),
    ]
    assert [row["first_cached_ms"] is not None for row in memory["search"]] == [False, False, True, False, True, False]
    assert memory["embedder_agreement"]["texts"] == 8
    assert memory["embedder_agreement"]["min"] > 0.99  # the same model file: the same vectors


@pytest.mark.shared_data
@pytest.mark.skipif(not INCIDENTS.is_file(), reason="../shared/data is not present")
def test_the_retrieval_section_ranks_pm_agent_beside_the_baselines_on_the_same_queries(smoke):
    retrieval = json.loads((smoke / "benchmarks.json").read_text(encoding="utf-8"))["sections"]["retrieval"]
    assert [row["ranking"] for row in retrieval["rows"]] == [
        "pm-agent: dense only",
        "pm-agent: BM25 only",
        "pm-agent: dense + BM25 (RRF)",
        "pm-agent: hybrid + cause/service boosts",
        "baseline: TF-IDF cosine",
        "baseline: BM25 (Okapi)",
        "baseline: random (expected)",
    ]
    assert retrieval["ranked_among"] == retrieval["queries"] - 1


def render_only(out_dir: Path) -> str:
    subprocess.run(
        [sys.executable, str(BENCH / "run.py"), "--render-only", "--out-dir", str(out_dir)],
        check=True,
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=60,
    )
    return (out_dir / "benchmarks.md").read_text(encoding="utf-8")


BY_HAND = """
## 8. A cache we tried (measured by hand, not by `bench/run.py`)

Two runs on a quiet laptop, *before* and *after*:

| measure | before s | after s |
|---|---:|---:|
| parse 1,000 lines | 0.40 | 0.31 |

"""
BY_HAND += "A line ending in a Markdown hard break:  \nand no blank line at the end."


def test_a_rendered_page_ends_with_the_marker_under_which_notes_are_written_by_hand(smoke):
    markdown = (smoke / "benchmarks.md").read_text(encoding="utf-8")
    assert markdown.endswith(f"\n\n{HAND_WRITTEN}\n")
    assert markdown.count(HAND_WRITTEN) == 1


def test_rendering_again_rewrites_the_measured_part_and_keeps_what_is_written_by_hand_word_for_word(smoke, tmp_path):
    shutil.copy(smoke / "benchmarks.json", tmp_path / "benchmarks.json")
    stale = f"# Benchmarks\n\nFigures of an older run.\n\n{HAND_WRITTEN}\n{BY_HAND}"
    (tmp_path / "benchmarks.md").write_text(stale, encoding="utf-8")

    markdown = render_only(tmp_path)

    assert markdown == (smoke / "benchmarks.md").read_text(encoding="utf-8") + BY_HAND


def test_rendering_the_docs_page_again_keeps_its_hand_written_sections_word_for_word(tmp_path):
    for name in ("benchmarks.json", "benchmarks.md"):
        shutil.copy(DOCS / name, tmp_path / name)
    page = (DOCS / "benchmarks.md").read_text(encoding="utf-8")
    by_hand = page[page.index(HAND_WRITTEN) :]

    markdown = render_only(tmp_path)

    assert markdown.endswith(by_hand)
    assert [line for line in by_hand.splitlines() if line.startswith("## ")] == [
        "## 8. One text-matching fast path (measured by hand, not by `bench/run.py`)",
        "## 9. The re-cut and the analysis fixes of stop 22 (measured by hand, not by `bench/run.py`)",
        "## 10. Tags and blame rules behind the words their patterns hold (measured by hand, not by `bench/run.py`)",
    ]


def test_rerunning_one_section_keeps_the_others_from_the_last_run(smoke, tmp_path):
    shutil.copytree(smoke, tmp_path, dirs_exist_ok=True)
    with (tmp_path / "benchmarks.md").open("a", encoding="utf-8") as page:
        page.write(BY_HAND)
    before = json.loads((smoke / "benchmarks.json").read_text(encoding="utf-8"))
    after = run_bench(tmp_path, "--only", "drafting")
    assert {k: v for k, v in after["sections"].items() if k != "drafting"} == {
        k: v for k, v in before["sections"].items() if k != "drafting"
    }
    assert [row["events"] for row in after["sections"]["drafting"]["rows"]] == [20, 200]
    markdown = (tmp_path / "benchmarks.md").read_text(encoding="utf-8")
    assert "`python bench/run.py --smoke --only drafting`" in markdown
    assert markdown.endswith(f"\n{HAND_WRITTEN}\n{BY_HAND}")


def test_smoke_sizes_are_refused_without_an_output_folder_so_docs_keep_real_figures():
    done = subprocess.run(
        [sys.executable, str(BENCH / "run.py"), "--smoke"],
        check=False,
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 2
    assert "--smoke measures nothing worth keeping: give --out-dir" in done.stderr


def test_rendering_again_from_the_json_gives_the_same_markdown(smoke, tmp_path):
    shutil.copy(smoke / "benchmarks.json", tmp_path / "benchmarks.json")
    assert render_only(tmp_path) == (smoke / "benchmarks.md").read_text(encoding="utf-8")


# --- the helpers ----------------------------------------------------------------------------


def test_ten_times_the_size_for_ten_times_the_cost_is_linear_and_a_steeper_step_is_a_bend():
    steps = growth_steps([(100, 1.0), (1_000, 10.0), (10_000, 400.0)])
    assert steps == [
        {
            "from": 100,
            "to": 1_000,
            "size_ratio": 10.0,
            "cost_ratio": 10.0,
            "exponent": 1.0,
            "shape": "linear",
            "bend": False,
        },
        {
            "from": 1_000,
            "to": 10_000,
            "size_ratio": 10.0,
            "cost_ratio": 40.0,
            "exponent": 1.6,
            "shape": "super-linear",
            "bend": True,
        },
    ]
    assert describe(steps) == "linear then super-linear; bends between 1,000 to 10,000"
    assert describe(growth_steps([(10, 5.0), (100, 5.0)])) == "flat"


def test_the_random_baseline_is_the_average_over_every_possible_ranking():
    labels = ["db", "db", "net", "db", "net", "dns", "db"]
    brute = {"precision_at_5": 0.0, "hit_at_5": 0.0, "mrr": 0.0}
    for index, label in enumerate(labels):
        others = [other for n, other in enumerate(labels) if n != index]
        orders = list(itertools.permutations(others))
        for order in orders:
            relevant = [other == label for other in order]
            brute["precision_at_5"] += sum(relevant[:5]) / 5 / len(orders) / len(labels)
            brute["hit_at_5"] += any(relevant[:5]) / len(orders) / len(labels)
            brute["mrr"] += next((1 / r for r, good in enumerate(relevant, 1) if good), 0) / len(orders) / len(labels)
    assert random_expectation(labels) == {key: round(value, 4) for key, value in brute.items()}


def test_tfidf_and_bm25_rank_the_document_sharing_the_rare_words_first():
    documents = [
        "disk full on the database primary",
        "certificate expired on the gateway",
        "the database replica lagged behind",
        "bgp route leak on the edge",
    ]
    for scorer in (tfidf_scorer(documents), bm25_scorer(documents)):
        scores = scorer("expired certificate")
        assert max(range(len(documents)), key=lambda i: scores[i]) == 1
    # each database incident finds the other first; the certificate and BGP ones have no match
    assert leave_one_out(tfidf_scorer(documents), documents, ["db", "tls", "db", "net"]) == {
        "precision_at_5": 0.1,
        "hit_at_5": 0.5,
        "mrr": 0.5,
    }


def test_the_typescript_client_bench_skips_cleanly_without_the_npm_package(tmp_path):
    run = subprocess.run(
        [sys.executable, str(REPO / "bench" / "bench_ts_client.py"), "--sdk-dir", str(tmp_path)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert (run.returncode, run.stdout) == (
        0,
        f"skipped: @modelcontextprotocol/sdk is not installed in {tmp_path} (npm install it there, outside the repo)\n",
    )
