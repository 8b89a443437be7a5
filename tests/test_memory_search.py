"""Searching the memory: hybrid ranking, boosts, explanations, search by incident, remembering postmortems."""

from __future__ import annotations

import datetime as dt

from memory_support import POSTMORTEM, memory_at, write_inputs

from pm_agent.memory.bm25 import BM25Index, analyse
from pm_agent.memory.retrieval import CatalogEntry, Profile, RetrievalConfig, rank
from pm_agent.models import ActionItem, Incident, RelatedIncident


def loaded_memory(tmp_path):
    memory = memory_at(tmp_path / "memory")
    memory.ingest_paths(list(write_inputs(tmp_path / "in").values()))
    return memory


def test_a_text_query_finds_the_incidents_about_the_same_thing_first(tmp_path):
    memory = loaded_memory(tmp_path)

    hits = memory.search("DNS lookups failing, resolver cache empty", k=3)

    assert [hit.source_id for hit in hits[:2]] == ["dns-ttl-2025-01", "dns-resolver-2025-02"]
    assert len(hits) == 3
    assert hits[0].score >= hits[1].score >= hits[2].score


def test_each_hit_says_why_it_matched(tmp_path):
    memory = loaded_memory(tmp_path)

    (hit,) = memory.search("resolver cache emptied after a DNS TTL configuration change", k=1)

    assert hit.source_id == "dns-ttl-2025-01"
    assert hit.title == "Checkout: DNS records expired after a TTL change"
    assert hit.date == dt.date(2025, 1, 10)
    assert {"dns", "ttl", "resolver", "cache"} <= set(hit.matched_terms)
    assert hit.why[0].startswith("shared cause categories: ")
    assert hit.why[1].startswith("shared terms: ")
    assert hit.why[2].startswith("similar description (cosine 0.")
    assert hit.dense_rank == 1 and hit.lexical_rank == 1


def test_searching_by_an_incident_never_returns_that_incident(tmp_path):
    memory = loaded_memory(tmp_path)

    hits = memory.search(incident=POSTMORTEM.incident_id, k=10)

    assert POSTMORTEM.incident_id not in [hit.source_id for hit in hits]
    assert len(hits) == memory.count() - 1


def test_an_incident_sharing_services_and_factors_is_explained_and_boosted(tmp_path):
    memory = loaded_memory(tmp_path)
    new_incident = Incident(
        id="pool-again-2025-06",
        title="Orders API timeouts after pool size change",
        services=["orders-api"],
        notes="The config change skipped canary review and the pool ran dry.",
    )

    hits = memory.search(incident=new_incident, k=2)

    assert hits[0].source_id == POSTMORTEM.incident_id
    assert "shared services: orders-api" in hits[0].why
    assert "shared contributing factors: The config change skipped canary review" not in hits[0].why  # no factors given
    postmortem_hits = memory.search(incident=POSTMORTEM.model_copy(update={"incident_id": "copy"}), k=3)
    queue = next(hit for hit in postmortem_hits if hit.source_id == "queue-stall")
    assert "shared contributing factors: The config change skipped canary review" in queue.why


def test_hits_convert_to_the_related_incidents_a_postmortem_carries(tmp_path):
    memory = loaded_memory(tmp_path)

    (hit,) = memory.search("certificate expired", k=1)

    assert hit.as_related() == RelatedIncident(
        id=hit.id, title=hit.title, score=hit.score, why=hit.why, date=hit.date, incident_id="cert-expiry-2024-08"
    )
    assert hit.as_related().shown_id == "cert-expiry-2024-08"


def test_an_empty_memory_finds_nothing(tmp_path):
    assert memory_at(tmp_path / "memory").search("anything at all", k=5) == []


def test_remember_stores_a_postmortem_and_a_newer_version_replaces_it_keeping_ids_and_done_actions(tmp_path):
    memory = memory_at(tmp_path / "memory")
    first = memory.remember(POSTMORTEM)
    memory.mark_action_done(first.action_items[0].id)
    revised = POSTMORTEM.model_copy(
        update={
            "summary": POSTMORTEM.summary + " Reviewed on 2025-03-10.",
            "action_items": [*POSTMORTEM.action_items, ActionItem(title="Load-test the pool at 2x peak", owner="Ana")],
        }
    )

    second = memory.remember(revised)

    assert second.id == first.id
    assert second.summary == revised.summary
    assert memory.count() == 1
    assert [(a.id, a.title, a.status) for a in memory.get_postmortem(POSTMORTEM.incident_id).action_items] == [
        (f"{first.id}.a1", "Add a canary stage for configuration pushes", "done"),
        (f"{first.id}.a2", "Alert when the connection pool is over 90% used", "in_progress"),
        (f"{first.id}.a3", "Document the pool sizing rule", "done"),
        (f"{first.id}.a4", "Load-test the pool at 2x peak", "open"),
    ]
    assert memory.search(incident=POSTMORTEM.incident_id, k=5) == []


def test_remembering_the_same_postmortem_twice_changes_nothing(tmp_path):
    memory = memory_at(tmp_path / "memory")

    first = memory.remember(POSTMORTEM)
    second = memory.remember(POSTMORTEM)

    assert first == second and memory.count() == 1


def test_a_memory_opened_by_another_process_sees_new_records(tmp_path):
    reader = memory_at(tmp_path / "memory")
    assert reader.search("certificate expired", k=1) == []

    loaded_memory(tmp_path)

    assert reader.search("certificate expired", k=1)[0].source_id == "cert-expiry-2024-08"


def test_bm25_ranks_by_rare_shared_terms_and_excludes_on_request():
    index = BM25Index()
    index.add(
        [
            ("a", "database failover took the primary down"),
            ("b", "database replica lag after failover of the primary database"),
            ("c", "certificate expired on the load balancer"),
        ]
    )

    hits = index.search("database failover", k=5)
    without_b = index.search("database failover", k=5, exclude={"b"})

    assert [hit.doc_id for hit in hits] == ["b", "a"]
    assert hits[0].terms == ["database", "failover"]  # equally rare: in query order
    assert [hit.doc_id for hit in without_b] == ["a"]
    assert index.search("kubernetes", k=5) == []


def test_analysis_drops_stopwords_and_folds_plurals():
    assert analyse("The outages were caused by expired certificates and timeouts") == [
        "expired",
        "certificate",
        "timeout",
    ]


def test_reciprocal_rank_fusion_adds_both_lists_and_boosts_shared_causes():
    catalog = {
        item: CatalogEntry(id=item, title=item.upper(), kind="incident", source_id=item, profile=profile)
        for item, profile in {
            "x": Profile(causes=("network",)),
            "y": Profile(causes=("config", "network"), services=("api",)),
            "z": Profile(),
        }.items()
    }
    config = RetrievalConfig(rrf_k=10, cause_boost=0.05, service_boost=0.02)
    dense = [("x", 0.9), ("y", 0.8), ("z", 0.1)]
    lexical = BM25Index()
    lexical.add([("y", "api config"), ("x", "config")])

    query = Profile(causes=("config",), services=("API",))
    hits = rank(dense, lexical.search("api config", k=5), query, catalog, config, k=3)

    assert [(hit.id, hit.score) for hit in hits] == [
        ("y", round(1 / 12 + 1 / 11 + 0.05 + 0.02, 6)),
        ("x", round(1 / 11 + 1 / 12, 6)),
        ("z", round(1 / 13, 6)),
    ]
    assert hits[0].why[:2] == ["shared cause categories: config", "shared services: API"]


def test_related_incidents_for_a_draft_come_from_the_memory_or_are_empty(tmp_path):
    never_created = memory_at(tmp_path / "nothing-here")
    memory = loaded_memory(tmp_path)
    incident = Incident(id="new", title="DNS resolver cache emptied after a TTL change", services=["checkout"])

    assert never_created.related_for(incident) == []
    assert not (tmp_path / "nothing-here").exists()
    related = memory.related_for(incident, k=2)
    assert [type(r) for r in related] == [RelatedIncident, RelatedIncident]
    assert related[0].title == "Checkout: DNS records expired after a TTL change"
    assert "shared services: checkout" in related[0].why
