"""The lexical index cache: a new process searches without re-reading every record, and never from a stale index."""

from __future__ import annotations

import json

import pytest
from memory_support import PLAIN_ROWS, POSTMORTEM, memory_at

from pm_agent.memory import index_cache
from pm_agent.memory.records import record_from_plain
from pm_agent.memory.store import ChromaStore

QUERY = "DNS lookups failing, resolver cache empty"


def hits_of(memory, query: str = QUERY) -> list[tuple[str, float, list[str], list[str]]]:
    """The whole of each hit that the lexical index and the catalog decide."""
    return [(hit.source_id, round(hit.score, 6), hit.matched_terms, hit.why) for hit in memory.search(query, k=4)]


def ingested(directory, rows=PLAIN_ROWS):
    memory = memory_at(directory)
    memory.ingest_records([record_from_plain(row) for row in rows])
    return memory


def test_a_new_process_searches_from_the_cache_with_the_same_results(tmp_path, monkeypatch):
    first = ingested(tmp_path / "memory")
    expected = hits_of(first)  # builds the index from the store and writes the cache
    first.close()

    def refuse(self, *args):
        raise AssertionError("the records were read back from the store")

    monkeypatch.setattr(ChromaStore, "all_items", refuse)
    again = memory_at(tmp_path / "memory")

    assert hits_of(again) == expected
    assert (tmp_path / "memory" / index_cache.CACHE_FILE).is_file()


def test_records_another_process_added_make_the_cache_stale(tmp_path):
    first = ingested(tmp_path / "memory", PLAIN_ROWS[1:])
    assert "dns-ttl-2025-01" not in [hit[0] for hit in hits_of(first)]
    first.close()
    other = ingested(tmp_path / "memory", PLAIN_ROWS[:1])
    other.close()

    later = memory_at(tmp_path / "memory")

    assert hits_of(later)[0][0] == "dns-ttl-2025-01"
    cache = json.loads((tmp_path / "memory" / index_cache.CACHE_FILE).read_text(encoding="utf-8"))
    assert sorted(fields["source_id"] for fields in cache["catalog"].values()) == sorted(
        row["id"] for row in PLAIN_ROWS
    )
    assert sorted(cache["lexical"]["ids"]) == sorted(cache["catalog"])


def test_a_postmortem_replaced_by_a_new_version_is_never_served_from_the_cache(tmp_path):
    memory = ingested(tmp_path / "memory")
    memory.remember(POSTMORTEM)
    memory.search(QUERY)  # the cache now holds the first version
    memory.close()
    revised = POSTMORTEM.model_copy(update={"title": "Orders API pool exhausted: pool size pushed from 80 to 20"})
    writer = memory_at(tmp_path / "memory")
    writer.remember(revised)  # same number of records, one id replaced
    writer.close()

    later = memory_at(tmp_path / "memory")
    (hit,) = later.search("orders API connection pool exhausted", k=1)

    assert hit.title == revised.title


@pytest.mark.parametrize(
    "damage",
    [
        pytest.param("{not json", id="not JSON"),
        pytest.param(
            json.dumps({"version": 2, "fingerprint": "0" * 64, "catalog": {}, "lexical": {"ids": []}}),
            id="another set of ids",
        ),
        pytest.param("term frequencies", id="a term frequency that is not a number, under the right fingerprint"),
        pytest.param("postings", id="postings that point past the documents, under the right fingerprint"),
    ],
)
def test_a_damaged_or_foreign_cache_is_ignored_rebuilt_and_rewritten(tmp_path, damage):
    first = ingested(tmp_path / "memory")
    expected = hits_of(first)
    first.close()
    cache = tmp_path / "memory" / index_cache.CACHE_FILE
    if damage in ("term frequencies", "postings"):
        data = json.loads(cache.read_text(encoding="utf-8"))
        indexes, frequencies = data["lexical"]["postings"]["dns"]
        if damage == "term frequencies":
            frequencies[0] = "many"
        else:
            indexes[-1] = len(data["lexical"]["ids"]) + 5
        damage = json.dumps(data)
    cache.write_text(damage, encoding="utf-8")

    assert hits_of(memory_at(tmp_path / "memory")) == expected
    assert json.loads(cache.read_text(encoding="utf-8"))["version"] == index_cache.CACHE_VERSION


def test_the_fingerprint_is_the_set_of_ids_whatever_their_order():
    assert index_cache.fingerprint(["b", "a", "c"]) == index_cache.fingerprint(["c", "b", "a"])
    assert index_cache.fingerprint(["a", "b"]) != index_cache.fingerprint(["a", "b", "c"])
