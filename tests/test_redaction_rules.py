"""Redaction rules: the token formats of the data file (many from gitleaks), the contexts that name
a secret (command lines, config keys, URLs, registry files), and the look-alikes left alone.

Every sample is made up. Formats secret scanners flag are assembled from parts at run time, so no
scanner trips on this file.
"""

from __future__ import annotations

import re
from re import _constants as sre  # type: ignore[attr-defined]
from re import _parser  # type: ignore[attr-defined]

import pytest

from pm_agent.guards.redaction import load_rules, redact

F36 = "FAKEfake0123456789EXAMPLEexample0000"  # 36 letters and digits, plainly fake
HEX32 = "deadbeef" * 4


def r(kind: str) -> str:
    return f"[REDACTED:{kind}]"


def j(*parts: str) -> str:
    return "".join(parts)


# (text with {} where the secret goes, the secret, the kind its placeholder names)
TOKEN_FORMATS = [
    ("pushed with {} by mistake", j("gl", "pat-", F36[:20]), "gitlab-token"),
    ("runner token {} rotated", j("gl", "rt-", F36[:20]), "gitlab-token"),
    ("the summarizer used {} from the vault", j("sk-", "proj-", F36 * 2, "T3Blbk", "FJ", F36), "openai-key"),
    ("notebook key {} leaked", j("sk-", "ant-", "api03-", F36 * 2, "AA"), "anthropic-key"),
    ("publish job printed {}", j("np", "m_", F36), "npm-token"),
    ("twine upload -p {}", j("py", "pi-", "AgEIcHlwaS5vcmc", F36 * 2), "pypi-token"),
    ("vault login {}", j("hv", "s.", F36 * 3), "vault-token"),
    ("dashboards provisioned by {}", j("gl", "sa_", F36[:32], "_", HEX32[:8]), "grafana-token"),
    ("mailer key {} rejected", j("S", "G.", F36[:22], ".", F36, F36[:7]), "sendgrid-key"),
    ("model pull with {}", j("h", "f_", "FAKEfakeEXAMPLEexampleQWERTYqwerty"), "huggingface-token"),
    ("doctl used {}", j("dop", "_v1_", HEX32 * 2), "digitalocean-token"),
    ("storefront sync {} got 401", j("shp", "at_", HEX32), "shopify-token"),
    ("jobs authenticated by {}", j("da", "pi", HEX32), "databricks-token"),
    ("sms fallback {}", j("S", "K", HEX32), "twilio-key"),
    ("mail via {}", j("ke", "y-", HEX32), "mailgun-key"),
    ("newsletter {}", j(HEX32, "-us", "14"), "mailchimp-key"),
    ("issues synced by {}", j("lin", "_api_", F36, "FAKE"), "linear-key"),
    ("sentry-cli used {}", j("sntr", "yu_", HEX32 * 2), "sentry-token"),
    ("docker login -p {}", j("dckr", "_pat_", F36[:27]), "docker-token"),
    ("sops key {}", j("AGE-SECRET", "-KEY-1", "QPZRY9X8GF2TVDW0S3JN54KHCE6MUA7L" * 2)[:74], "age-secret-key"),
    ("webhook secret {} mismatched", j("wh", "sec_", F36[:32]), "stripe-key"),
    ("notify via bot 123456789:{}", j("AA", F36[:33]), "telegram-token"),
    ("client secret {} in the pipeline log", j("Fak8", "Q~", F36[:34]), "azure-ad-secret"),
    ("sso secret {}", j("GOCS", "PX-", F36[:28]), "gcp-oauth"),
    ("user key {}", j("NR", "AK-", "FAKE0EXAMPLE1KEY2FAKE0EXAMP"), "newrelic-key"),
    ("gem push with {}", j("ruby", "gems_", HEX32 * 1, HEX32[:16]), "rubygems-token"),
]


@pytest.mark.parametrize(("context", "secret", "kind"), TOKEN_FORMATS, ids=[k for _, _, k in TOKEN_FORMATS])
def test_each_token_format_is_replaced_by_a_placeholder_naming_it(context, secret, kind):
    result = redact(context.format(secret))
    assert result.text == context.format(r(kind))
    assert secret not in result.text


# Secrets known by their context: (text, redacted text).
CONTEXTS = [
    (
        "deploy.sh --db-host db --password=Fake0flag --dry-run",
        f"deploy.sh --db-host db --password={r('password')} --dry-run",
    ),
    ("./migrate --password Fake0space --verbose", f"./migrate --password {r('password')} --verbose"),
    ("dbPassword: Fake0camel", f"dbPassword: {r('password')}"),
    ("clientSecret=Fake0camel99", f"clientSecret={r('secret')}"),
    ("spring.datasource.password=Fake0spring", f"spring.datasource.password={r('password')}"),
    ("PGPASSWORD=Fake0pgpass psql -h db -U app orders", f"PGPASSWORD={r('password')} psql -h db -U app orders"),
    ("MYSQL_PWD=Fake0mysql mysqldump orders", f"MYSQL_PWD={r('password')} mysqldump orders"),
    ("mysql -h db -u root -pFake0root orders", f"mysql -h db -u root -p{r('password')} orders"),
    (
        "curl -u admin:Fake0admin https://jenkins.internal/job",
        f"curl -u admin:{r('password')} https://jenkins.internal/job",
    ),
    ("sshpass -p Fake0ssh ssh deploy@10.0.4.17", f"sshpass -p {r('password')} ssh deploy@10.0.4.17"),
    (
        '{"auths": {"registry.example.com": {"auth": "ZmFrZTpmYWtlMDA="}}}',
        f'{{"auths": {{"registry.example.com": {{"auth": "{r("basic-auth")}"}}}}}}',
    ),
    (
        "//registry.npmjs.org/:_authToken=00000000-fake-0000-fake-000000000000",
        f"//registry.npmjs.org/:_authToken={r('token')}",
    ),
    ("//registry.example.com/:_auth=ZmFrZTpmYWtlMDA=", f"//registry.example.com/:_auth={r('basic-auth')}"),
    (
        "mongodb+srv://svc:Fa/ke+pw0==@cluster0.example.net/app",
        f"mongodb+srv://svc:{r('url-password')}@cluster0.example.net/app",
    ),
    ("SMTP_PASSWORD=Fake0&x;y", f"SMTP_PASSWORD={r('password')}"),
    ("DB_PASSWORD=Fake0;rest and more", f"DB_PASSWORD={r('password')} and more"),
    ("GET /login?password=Fake0q&next=/home", f"GET /login?password={r('password')}&next=/home"),
    ("Pwd=Fake0a;Uid=app", f"Pwd={r('password')};Uid=app"),
    ("DB_PASS=rosebud PGUSER=app", f"DB_PASS={r('password')} PGUSER=app"),
    ("secret_key_base: deadbeef00000000deadbeef", f"secret_key_base: {r('secret')}"),
    ('<add key="ClearTextPassword" value="Fake0nuget" />', f'<add key="ClearTextPassword" value="{r("password")}" />'),
    ("Authorization: SSWS 00FAKEfake0123456789EXAMPLEexample00", f"Authorization: SSWS {r('okta-token')}"),
    ("Cookie: sessionid=fake0session; csrftoken=fake0csrf", f"Cookie: {r('cookie')}"),
]


@pytest.mark.parametrize(("text", "expected"), CONTEXTS, ids=[f"context-{n}" for n in range(len(CONTEXTS))])
def test_a_secret_known_by_its_context_is_replaced_and_the_context_kept(text, expected):
    assert redact(text).text == expected


# Lines that must come back byte for byte, each close to a rule.
LOOK_ALIKES = [
    "git clone git@github.com:acme/checkout.git failed with exit 128",
    "git@gitlab.example.com:platform/api.git is the new remote",
    "ssh://git@github.com/acme/checkout.git timed out",
    "token: 12:30",
    "token expires: 14:05:33Z",
    "token=12:30 is when the refresh ran",
    "Token: expired at 2024-03-01T14:02:11Z",
    "password=${DB_PASSWORD}",
    "DB_PASSWORD={{ .Values.db.password }}",
    "api_key: <your-api-key>",
    "secret: true",
    "pwd: /home/deploy",
    "PASSWORD_FILE=/run/secrets/db_password",
    "password_max_age: 90d",
    "tokens_used: 1200 of 8000",
    "secret_name: prod-db",
    "bypass=true for the canary",
    "docker login -u ci --password-stdin < token.txt",
    "tool --password prompt asks interactively",
    "mysql -h db -u app -p orders prompted for the password",
    "mysql replicas lagged; -p99 latency hit 4s",
    "https://host.internal:8443/v1/users/@me returned 404",
    "Cookie: banner dismissed at 14:05",
    "sk-learn model retrained; hf_hub_download retried",
    "security group SG.1 blocked the port",
    "logs.example.com and s.example.org resolved",
    "SKU-1234 sold out; key-value store evicted keys",
    "integration tests: pass=120 fail=3 skip=2",
    "login refused: credentials=invalid, token=expired",
]


@pytest.mark.parametrize("text", LOOK_ALIKES, ids=[f"look-alike-{n}" for n in range(len(LOOK_ALIKES))])
def test_a_look_alike_survives_byte_for_byte(text):
    result = redact(text)
    assert (result.text, result.findings) == (text, ())


def test_the_rules_file_credits_gitleaks_with_its_licence_and_every_rule_loads():
    from importlib import resources

    text = resources.files("pm_agent").joinpath("data", "secret_rules.toml").read_text(encoding="utf-8")
    assert "https://github.com/gitleaks/gitleaks" in text
    assert "Copyright (c) 2019 Zachary Rice" in text and "Permission is hereby granted, free of charge" in text
    rules = load_rules()
    assert len(rules) >= 90
    assert len({rule.kind for rule in rules}) >= 50


def _risky_repeats(node_list, inside: bool = False) -> list[str]:
    """Repeats that can make a pattern super-linear: one with no upper bound (``*``, ``+``, ``{2,}``), and
    one (of more than one) nested in another repeat, the shape that can backtrack badly.

    Read off CPython's private ``re._parser``: the standard library parses a pattern nowhere else, and a
    behavioural check is weaker (adversarial inputs built from each rule's keywords let 4 of 11 made-up
    risky rules through, and caught the other 7 only by hanging, naming no rule)."""
    found = []
    for op, value in node_list:
        if op in (sre.MAX_REPEAT, sre.MIN_REPEAT, sre.POSSESSIVE_REPEAT):
            low, high, body = value
            many = high is sre.MAXREPEAT or high > 1
            if high is sre.MAXREPEAT:
                found.append(f"unbounded {low},")
            elif many and inside:
                found.append(f"nested {low},{high}")
            found += _risky_repeats(body, inside or many)
        elif op is sre.SUBPATTERN:
            found += _risky_repeats(value[-1], inside)
        elif op is sre.BRANCH:
            for branch in value[1]:
                found += _risky_repeats(branch, inside)
        elif op in (sre.ASSERT, sre.ASSERT_NOT):
            found += _risky_repeats(value[1], inside)
    return found


def risky_repeats_of(rules) -> dict[str, list[str]]:
    found = {rule.pattern.pattern: _risky_repeats(_parser.parse(rule.pattern.pattern)) for rule in rules}
    return {pattern: repeats for pattern, repeats in found.items() if repeats}


def test_every_repeat_of_the_data_file_rules_is_bounded_and_none_holds_another():
    assert risky_repeats_of(load_rules()) == {}


def test_a_rule_with_an_unbounded_or_a_nested_repeat_is_found():
    rules = load_rules(
        "".join(
            f"[[rule]]\nkind = \"made-up\"\nregex = '''{regex}'''\nkeywords = [\"tok_\"]\n"
            for regex in (r"\btok_[a-z0-9]*[a-z]{1,8}!", r"\btok_(?:[a-z0-9]{1,40}){1,40}!", r"\btok_(?=[a-f]{4})\w{8}")
        )
    )

    assert risky_repeats_of(rules) == {
        r"\btok_[a-z0-9]*[a-z]{1,8}!": ["unbounded 0,"],
        r"\btok_(?:[a-z0-9]{1,40}){1,40}!": ["nested 1,40"],
    }


def test_every_rule_has_keywords_its_matches_hold():
    for rule in load_rules():
        assert rule.hints, rule.kind
        assert all(hint == hint.lower() for hint in rule.hints), rule.kind


@pytest.mark.parametrize(
    ("document", "problem"),
    [
        ('[[rule]]\nkind = "x"\nregex = "a"\n', "'keywords' must be a list of lower-case literals"),
        ('[[rule]]\nkind = "x"\nregex = "("\nkeywords = ["a"]\n', "bad regex"),
        ('[[rule]]\nkind = "x"\nregex = "a"\nkeywords = ["a"]\ncheck = "nope"\n', "unknown check 'nope'"),
        ('[[rule]]\nkind = "X Y"\nregex = "a"\nkeywords = ["a"]\n', "'kind' must be a lower-case name"),
        ('[[rule]]\nkind = "x"\nregex = "a"\nkeywords = ["A"]\n', "'keywords' must be a list of lower-case literals"),
        ('[[rule]]\nkind = "x"\nregex = "a"\nkeywords = ["a"]\ncolour = 1\n', "unknown field(s) colour"),
    ],
)
def test_a_malformed_rule_is_refused_naming_the_rule_and_the_problem(document, problem):
    with pytest.raises(ValueError, match=re.escape(problem)) as refused:
        load_rules(document)
    assert str(refused.value).startswith("rule 1 (")


ADVERSARIAL = [
    "curl " * 40_000,
    "mysql -x " * 30_000,
    "--pass " * 40_000,
    "a://b:" * 40_000,
    "password=a&" * 25_000,
    "x;y,z&" * 40_000,
    "dbPassword" * 25_000,
    "sk-" + "a" * 200_000,
]


@pytest.mark.parametrize("text", ADVERSARIAL, ids=[f"adversarial-{n}" for n in range(len(ADVERSARIAL))])
def test_texts_built_to_make_a_pattern_backtrack_are_redacted_in_one_pass(text):
    # About 200,000 characters each: seconds if linear, minutes if any pattern were quadratic.
    result = redact(text)
    assert len(result.text) >= len(text) // 4
