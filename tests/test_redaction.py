"""Redaction: every secret format is replaced by a placeholder naming it, and ordinary incident text
(times, figures, versions, addresses, SHAs, ids) survives byte for byte.

Every sample is made up. Formats secret scanners flag are assembled from parts at run time, so no
scanner trips on this file.
"""

from __future__ import annotations

import datetime as dt
import json

import pytest

from pm_agent.guards.redaction import (
    Finding,
    describe,
    redact,
    redact_document,
    redact_model,
    redact_records,
)
from pm_agent.models import Incident, TimelineEvent

A36 = "A1b2C3d4E5f6G7h8I9j0K1l2M3n4O5p6Q7r8"  # 36 letters and digits, plainly fake
AKIA = "AK" + "IA" + "FAKE0EXAMPLE0KEY"
ASIA = "AS" + "IA" + "FAKE1EXAMPLE1KEY"
AWS_SECRET = "fake" + "/" + "K7MDENG" + "+" + "bPxRfiCYEXAMPLEKEYfake00000"  # 40 characters
GCP = "AI" + "za" + "SyFAKE-fake_fake0123456789abcdefghi"  # AIza + 35
GHP = "gh" + "p_" + A36
GHO = "gh" + "o_" + A36
GHU = "gh" + "u_" + A36
GHS = "gh" + "s_" + A36
GHR = "gh" + "r_" + A36
GITHUB_PAT = "github" + "_pat_" + "11FAKE0000" + "_" + "abcdefghijklmnopqrstuvwxyz0123456789"
XOXB = "xo" + "xb-" + "000000000000-000000000000-" + "fakeFAKEfakeFAKEfake0000"
XOXP = "xo" + "xp-" + "000000000000-000000000000-000000000000-" + "fakefakefakefakefakefakefake0000"
XOXA = "xo" + "xa-" + "2-000000000000-" + "fakefakefake0000"
XAPP = "xa" + "pp-" + "1-A000FAKE-000000000000-" + "fakefakefakefake"
SLACK_HOOK_PATH = "T00000000/B00000000/" + "XXXXfakeXXXXfakeXXXXfake"
STRIPE_LIVE = "sk" + "_live_" + "FAKEfakeFAKEfake00000000"
STRIPE_TEST = "sk" + "_test_" + "FAKEfakeFAKEfake00000000"
RESTRICTED = "rk" + "_live_" + "FAKEfakeFAKEfake00000000"
JWT = (
    "ey"
    + "JhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9"
    + ".ey"
    + "JzdWIiOiJmYWtlIiwibmFtZSI6IkZha2UifQ"
    + ".fakeSignature0fake_Signature-00"
)
PD_KEY = "y_FakeFake" + "00FakeFake"
PD_ROUTING = "fake0000fake0000fake0000fake0000"
AZURE_KEY = "FAKEfakeFAKEfake" + "0000000000000000" + "FAKEfakeFAKE+/=="
SAS_SIG = "FAKEfake0000FAKE" + "fake%2B0000%3D"
OPAQUE = "abc123" + "def456ghi789jkl0mn"
BEGIN_RSA = "-----BEGIN RSA " + "PRIVATE KEY-----"
END_RSA = "-----END RSA " + "PRIVATE KEY-----"
BEGIN_OPENSSH = "-----BEGIN OPENSSH " + "PRIVATE KEY-----"
END_OPENSSH = "-----END OPENSSH " + "PRIVATE KEY-----"
BEGIN_PKCS8 = "-----BEGIN " + "PRIVATE KEY-----"
END_PKCS8 = "-----END " + "PRIVATE KEY-----"


def r(kind: str) -> str:
    return f"[REDACTED:{kind}]"


# (text, redacted text): each one a line as it would appear in a chat log, an alert or a config paste.
SECRETS = [
    (f"14:02 found {AKIA} in the deploy log", f"14:02 found {r('aws-access-key')} in the deploy log"),
    (f"session creds {ASIA} expired at 14:10", f"session creds {r('aws-access-key')} expired at 14:10"),
    (f"aws_secret_access_key = {AWS_SECRET}", f"aws_secret_access_key = {r('aws-secret-key')}"),
    (f"AWS_SECRET_ACCESS_KEY={AWS_SECRET} make deploy", f"AWS_SECRET_ACCESS_KEY={r('aws-secret-key')} make deploy"),
    (f'{{"aws_secret_access_key": "{AWS_SECRET}"}}', f'{{"aws_secret_access_key": "{r("aws-secret-key")}"}}'),
    (f"maps key {GCP} hit its quota", f"maps key {r('gcp-api-key')} hit its quota"),
    (
        f"DefaultEndpointsProtocol=https;AccountName=fakeacct;AccountKey={AZURE_KEY};EndpointSuffix=core.windows.net",
        f"DefaultEndpointsProtocol=https;AccountName=fakeacct;AccountKey={r('azure-key')};EndpointSuffix=core.windows.net",
    ),
    (
        f"Endpoint=sb://fake.servicebus.windows.net/;SharedAccessKeyName=send;SharedAccessKey={AZURE_KEY}",
        f"Endpoint=sb://fake.servicebus.windows.net/;SharedAccessKeyName=send;SharedAccessKey={r('azure-key')}",
    ),
    (
        f"https://fake.blob.core.windows.net/logs?sv=2022-11-02&se=2024-03-02&sig={SAS_SIG}",
        f"https://fake.blob.core.windows.net/logs?sv=2022-11-02&se=2024-03-02&sig={r('azure-sas-signature')}",
    ),
    (f"CI used {GHP} to push", f"CI used {r('github-token')} to push"),
    (f"oauth token {GHO} revoked", f"oauth token {r('github-token')} revoked"),
    (f"user-to-server {GHU}.", f"user-to-server {r('github-token')}."),
    (f"app installation {GHS} rate limited", f"app installation {r('github-token')} rate limited"),
    (f"refresh {GHR}", f"refresh {r('github-token')}"),
    (f"fine-grained {GITHUB_PAT} leaked in #ops", f"fine-grained {r('github-token')} leaked in #ops"),
    (f"bot token {XOXB} posted the alert", f"bot token {r('slack-token')} posted the alert"),
    (f"user token {XOXP}", f"user token {r('slack-token')}"),
    (f"legacy {XOXA}", f"legacy {r('slack-token')}"),
    (f"socket mode {XAPP}", f"socket mode {r('slack-token')}"),
    (
        f"alerts go to https://hooks.slack.com/services/{SLACK_HOOK_PATH} now",
        f"alerts go to https://hooks.slack.com/services/{r('slack-webhook')} now",
    ),
    (f"Authorization: Token token={PD_KEY}", f"Authorization: Token token={r('pagerduty-key')}"),
    (
        f"curl -H 'Authorization: Token token={PD_KEY}' pd",
        f"curl -H 'Authorization: Token token={r('pagerduty-key')}' pd",
    ),
    (f'"routing_key": "{PD_ROUTING}"', f'"routing_key": "{r("pagerduty-key")}"'),
    (f"integration_key={PD_ROUTING}", f"integration_key={r('pagerduty-key')}"),
    (f"charge failed with {STRIPE_LIVE}", f"charge failed with {r('stripe-key')}"),
    (f"staging used {STRIPE_TEST}", f"staging used {r('stripe-key')}"),
    (f"restricted {RESTRICTED}", f"restricted {r('stripe-key')}"),
    (f"cookie session={JWT}; Path=/", f"cookie session={r('jwt')}; Path=/"),
    (f"Authorization: Bearer {OPAQUE}", f"Authorization: Bearer {r('bearer-token')}"),
    (
        f"authorization: bearer {OPAQUE} rejected with 401",
        f"authorization: bearer {r('bearer-token')} rejected with 401",
    ),
    (f"Authorization: Bearer {JWT}", f"Authorization: Bearer {r('jwt')}"),
    ("Authorization: Basic ZmFrZTpmYWtlcGFzcw==", f"Authorization: Basic {r('basic-auth')}"),
    (f"{BEGIN_RSA}\nMIIEfakeFAKEfake\nfakeFAKE0000==\n{END_RSA}\nthen rotated", f"{r('private-key')}\nthen rotated"),
    (f"key: {BEGIN_OPENSSH}\\nb3BlbnNzaC1mYWtl\\n{END_OPENSSH}\\n", f"key: {r('private-key')}\\n"),
    (
        f"{BEGIN_PKCS8}\nMIIEfake\n{END_PKCS8} and {BEGIN_PKCS8}\nMIIEfake\n{END_PKCS8}",
        f"{r('private-key')} and {r('private-key')}",
    ),
    (f"pasted {BEGIN_RSA}\nMIIEfake cut off here\n\n14:05 next line", f"pasted {r('private-key')}\n\n14:05 next line"),
    (
        "postgres://app:Fake-pass-0@db.internal:5432/orders",
        f"postgres://app:{r('url-password')}@db.internal:5432/orders",
    ),
    ("redis://:fakepass00@cache-1:6379/0", f"redis://:{r('url-password')}@cache-1:6379/0"),
    ("amqp://svc:p@ss:word@mq.internal/vhost", f"amqp://svc:{r('url-password')}@mq.internal/vhost"),
    (
        "https://deploy:fakepass@git.example.org/repo.git",
        f"https://deploy:{r('url-password')}@git.example.org/repo.git",
    ),
    (
        "Server=tcp:db.example.net,1433;Database=orders;User Id=app;Password={Fake;Pass0};Encrypt=True",
        f"Server=tcp:db.example.net,1433;Database=orders;User Id=app;Password={{{r('password')}}};Encrypt=True",
    ),
    (
        "host=db dbname=orders user=app password=fake0pass sslmode=require",
        f"host=db dbname=orders user=app password={r('password')} sslmode=require",
    ),
    ("Data Source=db;Uid=app;Pwd=fakePwd0;", f"Data Source=db;Uid=app;Pwd={r('password')};"),
    ('{"user": "app", "password": "fake pass 0"}', f'{{"user": "app", "password": "{r("password")}"}}'),
    ("DB_PASSWORD: fake0pass", f"DB_PASSWORD: {r('password')}"),
    ("client_secret=fakeSecret0000", f"client_secret={r('secret')}"),
    ("GET /v1/orders?api_key=fake0key0000&limit=50", f"GET /v1/orders?api_key={r('api-key')}&limit=50"),
    ("X-API-Key: 'fake0key0000'", f"X-API-Key: '{r('api-key')}'"),
    ("callback?access_token=fake0token0000&state=1", f"callback?access_token={r('token')}&state=1"),
    (
        "escalate to dana.ortiz@example.com and ops-oncall@corp.example.co.uk",
        f"escalate to {r('email')} and {r('email')}",
    ),
    ("<sam+pager@example.io> acked", f"<{r('email')}> acked"),
]

# Lines that must come back byte for byte.
SURVIVORS = [
    "2024-03-01T14:02:11Z checkout-api returned 502s",
    "2024-03-01T14:02:11.123+01:00 p99 latency 1840 ms",
    "14:02 alert fired; 14:05 acked; 14:47 resolved",
    "outage lasted 1h 3m (63 minutes), 45s to detect",
    "error rate 12.5% against an SLO of 99.95%",
    "3,412 requests failed; 1200 users affected; $18,400 refunded",
    "HTTP 502, 503 and 504 from the edge; 401 count 0",
    "rolled back from v2.14.3 to v2.14.2 (build 2.14.3-rc.1+sha.5114f85)",
    "pod 10.0.4.17:8080 and 192.168.0.1/24 unreachable",
    "IPv6 2001:db8::1 and [fe80::1%eth0]:443 timed out",
    "deploy 3f786850e387550fdab836ed7e6dc881de23001b went out at 14:00",
    "short sha 5114f85 reverted",
    "request 123e4567-e89b-12d3-a456-426614174000 failed",
    "image sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855 pulled",
    "INC-2024-0301, PD-Q1X2Y3 and OPS-1234 are the same incident",
    "arn:aws:iam::123456789012:role/checkout-deployer assumed",
    "https://status.example.com/incidents/2024-03-01?page=2#timeline",
    "https://example.com:8443/health returned 200",
    "password reset e-mails were delayed by 40 minutes",
    "Password: rotated at 14:05 by the on-call engineer",
    "the token expired; tokens are now refreshed every 12h",
    "max_tokens=8192, retries=3, timeout=30s",
    "Bearer tokens were rejected after the rotation",
    "the secret store was unreachable for 5 minutes",
    "ssh deploy@10.0.4.17 failed",
    "@channel checkout is down; cc @dana",
    "cpu 93%, mem 7.8 GiB / 8 GiB, disk 71%",
    "AKIA rotation runbook step 3 of 7",
]


@pytest.mark.parametrize(("text", "expected"), SECRETS, ids=[f"secret-{n}" for n in range(len(SECRETS))])
def test_each_secret_format_is_replaced_by_a_placeholder_naming_it(text, expected):
    assert redact(text).text == expected


def test_the_secret_corpus_covers_forty_samples_and_every_kind():
    kinds = {f.kind for text, _ in SECRETS for f in redact(text).findings}
    assert len(SECRETS) >= 40
    assert kinds == {
        "aws-access-key",
        "aws-secret-key",
        "gcp-api-key",
        "azure-key",
        "azure-sas-signature",
        "github-token",
        "slack-token",
        "slack-webhook",
        "pagerduty-key",
        "stripe-key",
        "jwt",
        "bearer-token",
        "basic-auth",
        "private-key",
        "url-password",
        "password",
        "secret",
        "api-key",
        "token",
        "email",
    }


@pytest.mark.parametrize("text", SURVIVORS, ids=[f"survives-{n}" for n in range(len(SURVIVORS))])
def test_ordinary_incident_text_survives_byte_for_byte(text):
    assert redact(text) == redact(text)
    result = redact(text)
    assert (result.text, result.findings) == (text, ())


def test_findings_give_kinds_and_counts_never_the_values():
    result = redact(f"{GHP} then {GHS}, mail dana@example.com, Password=fake0;")
    assert result.findings == (Finding("github-token", 2), Finding("password", 1), Finding("email", 1))
    assert GHP not in repr(result.findings) and "fake0" not in repr(result.findings)


def test_redacting_twice_changes_nothing_more():
    once = redact(" ".join(text for text, _ in SECRETS)).text
    again = redact(once)
    assert (again.text, again.findings) == (once, ())


def test_e_mail_addresses_stay_when_their_redaction_is_off():
    result = redact(f"page dana@example.com, token {GHP}", emails=False)
    assert result.text == f"page dana@example.com, token {r('github-token')}"


def test_survivors_and_secrets_on_one_line_keep_the_survivors():
    line = f"2024-03-01T14:02:11Z v2.14.3 10.0.4.17 {AKIA} 99.95% 123e4567-e89b-12d3-a456-426614174000"
    assert (
        redact(line).text
        == f"2024-03-01T14:02:11Z v2.14.3 10.0.4.17 {r('aws-access-key')} 99.95% 123e4567-e89b-12d3-a456-426614174000"
    )


def incident_with(text: str, actor: str | None = None) -> Incident:
    at = dt.datetime(2024, 3, 1, 14, 2, tzinfo=dt.UTC)
    return Incident(
        id="INC-7",
        title="checkout 502s",
        notes=f"creds: {GHP}",
        events=[
            TimelineEvent(at=at, source="chat", text=text, actor=actor),
            TimelineEvent(at=at, source="alert", text="p99 1840 ms"),
        ],
    )


def test_a_model_has_every_string_redacted_and_its_clean_parts_kept_as_they_were():
    incident = incident_with(f"use {XOXB} for the bot", actor="dana@example.com")
    redacted, findings = redact_model(incident)
    assert redacted.notes == f"creds: {r('github-token')}"
    assert (redacted.events[0].text, redacted.events[0].actor) == (f"use {r('slack-token')} for the bot", r("email"))
    assert redacted.events[1] is incident.events[1]
    assert findings == (Finding("slack-token", 1), Finding("email", 1), Finding("github-token", 1))
    assert incident.notes == f"creds: {GHP}"  # the original is not changed


def test_a_clean_model_comes_back_as_the_same_object():
    incident = Incident(id="INC-8", title="checkout 502s at 14:02", notes="v2.14.3 rolled back")
    assert redact_model(incident) == (incident, ())


def test_memory_records_are_redacted_with_one_warning_naming_kinds_and_counts(caplog):
    records = [incident_with(f"key {AKIA}"), incident_with("p99 1840 ms")]
    with caplog.at_level("WARNING", logger="pm_agent.guards.redaction"):
        out = redact_records(records)
    assert [record.events[0].text for record in out] == [f"key {r('aws-access-key')}", "p99 1840 ms"]
    assert [m.getMessage() for m in caplog.records] == [
        "redacted from the memory records before use: 1 aws-access-key, 2 github-token"
    ]


def test_a_json_document_is_redacted_value_by_value_and_stays_valid_json():
    secret = "hunter2"
    document = json.dumps(
        {"id": "INC-7", "events": [{"at": "2024-03-01T14:02:11Z", "text": f"password={secret} then 502s"}]}
    )
    result = redact_document(document)
    assert json.loads(result.text) == {
        "id": "INC-7",
        "events": [{"at": "2024-03-01T14:02:11Z", "text": "password=[REDACTED:password] then 502s"}],
    }
    assert describe(result.findings) == "1 password"


def test_a_clean_document_comes_back_unchanged_byte_for_byte():
    document = '{"id": "INC-7",  "events": []}'
    assert redact_document(document).text == document
    assert redact_document("14:02 payments-api 502s at 4.8 s p99").text == "14:02 payments-api 502s at 4.8 s p99"
