"""False tags of the event vocabulary: words that look like a tag's word but, read in place, say something else."""

from __future__ import annotations

import datetime as dt

import pytest

from pm_agent.analysis.blameless.rewrite import is_blameful, rewrite_blameless
from pm_agent.analysis.evidence import read_incident
from pm_agent.analysis.tagging import tags_of
from pm_agent.models import BlamelessReport, Incident, TimelineEvent


@pytest.mark.parametrize(
    "text",
    [
        "queue depth 2,503 messages across 8 consumers",
        "p50 response time 500 ms, heap at 512 MB on each node",
        "upload-api holds 1,500 open sockets; mean payload 5.04 kB",
        "replication delay 0.503 s on the read replica",
    ],
)
def test_a_number_with_a_separator_a_decimal_point_or_a_unit_is_a_quantity_not_an_http_error(text):
    assert "symptom" not in tags_of(text, "metric")


@pytest.mark.parametrize(
    "text",
    [
        "the storefront returns 503 to 4% of requests",
        "500s on checkout since 10:02",
        "HTTP 502 Bad Gateway from the edge",
        "404 for every product image",
        "checkout answered a 500 to every caller",
        "error 503 from the payment gateway",
        "status 500 on every upload since the flag flip",
        "the api returns 504 Gateway Timeout under load",
        "users see 500 errors on login",
        "search returning 502",
        "the billing api kept sending status 503 messages to the workers",
        "each worker that got a 401 started a fresh login",
        "another round of 502 incidents on the storefront",
    ],
)
def test_an_http_status_code_is_still_a_symptom(text):
    assert "symptom" in tags_of(text, "chat")


@pytest.mark.parametrize(
    "text",
    [
        "about 500 users moved to the annual plan this morning",
        "503 customers opted in to the beta on Monday",
        "500 requests were retried by the mobile client",
        "the nightly export returned 500 rows for the March report",
        "a 400 line patch to the billing module went out at noon",
    ],
)
def test_a_count_of_things_is_no_http_status(text):
    """A status code needs what makes it one: HTTP, a status or error word, a verb of answering, a plural "500s";
    a number followed by the things it counts is a count."""
    assert "symptom" not in tags_of(text, "chat")


def test_a_count_of_people_after_a_persons_change_ties_no_person_to_harm():
    text = "The session cache was purged by Priya, which led to 500 users signing in again."
    assert not is_blameful(text)


def test_a_limit_the_system_is_at_is_an_observation_and_a_finding_without_any_error_word():
    said = "sftp-proxy-2 is at 131,072 open files, the ulimit; sftp-proxy-5 is above 120,000"
    reading = read_incident(
        Incident(
            id="made-up-sftp",
            title="Uploads refused",
            events=[
                TimelineEvent(at=dt.datetime(2026, 3, 9, 14, 0, tzinfo=dt.UTC), source="alert", text="Uploads refused"),
                TimelineEvent(at=dt.datetime(2026, 3, 9, 14, 6, tzinfo=dt.UTC), source="chat", text=said),
            ],
        )
    )
    assert {"limit_reached", "observation"} <= tags_of(said, "chat")
    assert [t.text for t in reading.findings] == [said]


@pytest.mark.parametrize(
    ("text", "not_tagged"),
    [
        ("push-relay pods at 40% CPU on every node", "change"),
        ("deploy-bot posted the nightly build summary", "change"),
        ("notification-worker queue depth is 300", "communication"),
        ("mailer-gateway connection count flat at 40", "communication"),
        ("alert-router memory at 2 GB", "alert"),
        ("the rollout-controller logs a config diff every minute", "change"),
    ],
)
def test_a_word_inside_a_hyphenated_name_sets_off_no_tag(text, not_tagged):
    assert not_tagged not in tags_of(text, "chat")


@pytest.mark.parametrize(
    ("text", "tag"),
    [
        ("re-pushed the routing table to the edge", "change"),
        ("orders-db pods crash-looping on the new node pool", "symptom"),
        ("ingest pods OOM-killed twice in ten minutes", "symptom"),
        ("CPU-saturated nodes in the eu pool", "symptom"),
        ("deploy-bot deployed build 77 to staging", "change"),
    ],
)
def test_a_hyphenated_word_or_a_name_beside_the_word_still_tags(text, tag):
    assert tag in tags_of(text, "chat")


@pytest.mark.parametrize(
    "text",
    [
        "Spring sale newsletter mailed to every subscriber on the list",
        "Launch announcement email sent to all trial accounts",
        "the promo links land on signup; every signup queues a welcome email",
    ],
)
def test_a_marketing_or_product_email_is_no_communication_about_the_incident(text):
    assert "communication" not in tags_of(text, "chat")


@pytest.mark.parametrize(
    "text",
    [
        "Emailed the affected merchants about the delayed payouts",
        "Status page updated with the outage details",
        "Mail sent to the affected customers explaining the outage",
        "Customers were notified of the maintenance window overrun",
        "Sent an incident update email to all tenants",
    ],
)
def test_telling_people_about_the_incident_is_communication(text):
    assert "communication" in tags_of(text, "chat")


@pytest.mark.parametrize(
    "text",
    [
        "Status page updated: we are looking into slow card payments",
        "Updated the status page with the next ETA",
        "Posted an update to customers on the status page",
        "Merchants were updated on the payout delay by email",
        "statuspage update posted, monitoring the fix",
        "Tenants updated via the status page",
        "update for tenants: refunds go out tomorrow",
    ],
)
def test_an_update_that_tells_people_is_communication_not_a_change(text):
    tags = tags_of(text, "chat")
    assert "change" not in tags and "communication" in tags


def test_a_message_headed_update_is_no_change():
    """ "Update:" heads a message to the incident channel: news of the response, not a change to the system."""
    assert "change" not in tags_of("Update: still working through the queue backlog", "chat")


@pytest.mark.parametrize(
    "text",
    [
        "Updated the nginx config on the edge nodes",
        "helm chart for payments updated to 4.2",
        "status-api updated to 3.1 across the fleet",
        "an update to the kernel was applied on node-7",
        "updated the customers table schema",
        "users updated to the new SDK overnight",
    ],
)
def test_an_update_to_the_system_is_still_a_change(text):
    assert "change" in tags_of(text, "chat")


@pytest.mark.parametrize(
    "text",
    [
        "Verbose debug logging turned off on the api nodes; disk at 61%",
        "billing-api 7.1 shipped with debug mode left on",
    ],
)
def test_switching_debug_logging_is_not_investigating(text):
    assert "investigation" not in tags_of(text, "deploy")


def test_debugging_something_is_investigating():
    assert "investigation" in tags_of("debugging the token refresh on a staging pod", "chat")


def test_a_change_that_cleans_up_stale_things_is_a_change_not_a_symptom():
    tags = tags_of("Cleanup job 88 ran on the artifact store: expired snapshots and orphaned blobs deleted", "deploy")
    assert "symptom" not in tags and "change" in tags
    assert "symptom" not in tags_of("Removed stale DNS entries for the retired mail hosts", "deploy")
    assert "symptom" in tags_of("stale prices shown on the product page for 20 minutes", "chat")


@pytest.mark.parametrize(
    "text",
    [
        "ack. checkout-api throwing 502s. orders-db failed over at 03:14 and has looked fine since",
        "the primary queue broker failed over to broker-b; the new leader is healthy",
    ],
)
def test_a_failover_the_system_did_by_itself_is_no_step_taken(text):
    tags = tags_of(text, "chat")
    assert "failover" in tags and "mitigation" not in tags


@pytest.mark.parametrize(
    "text",
    [
        "we failed over orders-db to the replica in eu-west-2",
        "Failed over orders-db to the standby manually",
        "orders-db failed over to the standby at 03:20 by the on-call",
    ],
)
def test_a_failover_someone_ran_is_a_step(text):
    assert {"failover", "mitigation"} <= tags_of(text, "chat")


@pytest.mark.parametrize(
    "text",
    ["New token issued for the ci-runner service account", "re-issued the TLS certificate for the admin host"],
)
def test_a_credential_issued_anew_is_a_change(text):
    assert "change" in tags_of(text, "note")


@pytest.mark.parametrize(
    "text",
    [
        "Because Omar raised the ulimit to 65,536 the node kept serving.",
        "The pool size was raised by Priya, which led to 1,500 open connections.",
    ],
)
def test_a_number_that_only_looks_like_a_server_error_ties_no_person_to_harm(text):
    assert rewrite_blameless(text) == BlamelessReport(original=text, rewritten=text, findings=[])


def test_a_server_error_after_a_persons_change_is_still_harm():
    assert is_blameful("The pool size was lowered by Priya, which led to 503 errors.")


@pytest.mark.parametrize(
    ("text", "tag"),
    [
        ("checkout error-rate above 5% for ten minutes", "symptom"),
        ("5xx-rate up on the edge since 14:02", "symptom"),
        ("api-errors spiking on every pod", "symptom"),
        ("High-latency on search: p99 at 4 s", "symptom"),
        ("error_rate above 5% on checkout", "symptom"),
    ],
)
def test_a_joined_measure_of_the_failure_is_no_name_and_still_tags(text, tag):
    """A joined word is a name when it ends in what names a component (a worker, a relay, a bot, a gateway) or
    carries a number ("ws-gw-4"); "error-rate" and "api-errors" are measures of the failure, not names."""
    assert tag in tags_of(text, "chat")


@pytest.mark.parametrize("text", ["ledger-api is timing out on every write", "the card check times out after 30 s"])
def test_a_call_timing_out_is_a_symptom(text):
    assert "symptom" in tags_of(text, "chat")


@pytest.mark.parametrize(
    ("text", "not_tagged"),
    [
        # "down" as the particle of a step or a judgement, not a service down
        ("Scaling the batch pool down to 4 workers to free addresses", "symptom"),
        ("asked the owners to scale down their staging deployments", "symptom"),
        ("queue wait went down to normal after the consumers caught up", "symptom"),
        ("the drop in sign-ups was put down to the bank holiday", "symptom"),
        ("downstream consumers now read the new topic", "symptom"),
        ("the download links now point at the mirror", "symptom"),
        # joining a table or a cluster is nobody joining the response
        ("the nightly report joined invoices to accounts on a stale key", "declaration"),
        ("the replacement brokers never joined the cluster", "declaration"),
        # a system ignoring something is no sign dismissed, nor noise
        ("a parser bug caused the retry header to be ignored", "dismissed"),
        ("a parser bug caused the retry header to be ignored", "noise"),
        # a leaked credential is no resource growing
        ("the deploy token was leaked in a public build log", "growth"),
        # recovery as a topic is not the impact stopping
        ("the replica entered a crash-recovery loop", "recovery"),
        ("recovery times were longer in the two largest regions", "recovery"),
        # a planned event or a tool's plan is no follow-up decided
        ("the brownout began during planned maintenance on the storage tier", "followup"),
        ("Terraform planned to destroy the audit bucket and create a new one", "followup"),
        # trying to find something is no finding
        ("hard to find which tenant sends the oversized batches", "finding"),
        # passengers checked in, code checked in: no investigation
        ("two passengers checked in with the wrong title", "investigation"),
    ],
)
def test_an_ordinary_word_that_only_looks_like_a_tag_sets_off_none(text, not_tagged):
    assert not_tagged not in tags_of(text, "note")


@pytest.mark.parametrize(
    ("text", "tag"),
    [
        ("checkout is down for every shopper", "symptom"),
        ("the gateway went down at 14:02", "symptom"),
        ("the schema change caused 15 minutes of downtime", "symptom"),
        ("the new template is breaking every refund invoice", "symptom"),
        ("Priya joined the bridge", "declaration"),
        ("the disk alert was ignored over the weekend", "dismissed"),
        ("worker memory leaking about 40 MB an hour", "growth"),
        ("heap use creeping up after every deploy; put down to caching", "growth"),
        ("recovery confirmed on all shards", "recovery"),
        ("a canary stage is planned for the config pipeline", "followup"),
        ("found the cause: the token cache never expires", "finding"),
        ("checked the pgbouncer pool stats on both hosts", "investigation"),
    ],
)
def test_the_same_words_used_for_what_they_tag_still_tag(text, tag):
    assert tag in tags_of(text, "note")
