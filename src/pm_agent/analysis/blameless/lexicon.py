"""Word lists for the blameless-language engine: who counts as a person, what counts as a system.

Kept apart from the rules so the rules read as grammar and the lists can grow without touching
them. Every list is plain data; the regex fragments at the bottom are built from it once.
"""

from __future__ import annotations

import re

# Common given names from many languages. Names that are also ordinary words or system names
# (Will, May, Mark, Max, Ray, Bill, Grace, Hope, Miles, Nova, Drew...) are left out on purpose:
# a false "person" turns a neutral sentence into blame.
FIRST_NAMES = frozenset(
    """
    Aaron Abdul Abigail Adam Adaeze Adebayo Aditi Aditya Adrian Ahmed Ahmad Aiko Aisha Akira Alan Alberto
    Alejandro Aleksandr Alex Alexander Alexandra Alexei Ali Alice Alicia Alina Amanda Amara Amir Amit Amy
    Ana Anders Andre André Andrea Andreas Andrei Andrew Andy Angela Anil Anita Anja Ann Anna Anne Antonio
    Anya Arjun Arnav Arturo Astrid Ava Ayesha Ayumi Barbara Beatriz Ben Benjamin Bernard Beth Bianca
    Bjorn Björn Bob Bogdan Brandon Brian Bruno Camila Carl Carla Carlos Carmen Carol Caroline Catherine
    Cathy Charles Charlie Charlotte Chen Chidi Chinedu Chloe Chloé Chris Christian Christina Christine
    Dave Rob Jim Liz Ron Don Ted Phil Pete Tina Pam Becky Jess Nate Ollie Dom
    Claire Clara Claudia Colin Connor Craig Dan Dana Daniel Daniela Danielle Dario Darius David Deepak
    Deepika Denise Dennis Derek Diana Diego Dmitri Dmitry Dominik Donna Dylan Ebony Eduardo Elena Eli Elias
    Elif Elijah Elizabeth Ella Ellen Emeka Emily Emma Emre Enrique Eric Erik Erin Esther Ethan Eva Evan
    Fatima Fatma Felipe Felix Fernando Finn Fiona Francesca Francisco Frank Freya Fumiko Gabriel Gabriela
    Gary George Georgia Gianluca Gina Giorgio Giulia Giovanni Gloria Greg Gregory Gustavo Hana Hannah
    Hans Hao Haruto Hassan Heather Helen Helena Henrik Henry Hiroshi Hugo Hui Ibrahim Igor Ines Inés Ingrid
    Irene Isaac Isabel Isabella Ivan Jack Jacob Jake James Jamal Jan Jana Jane Janet Jason Javier Jay
    Jean Jenna Jennifer Jenny Jeremy Jessica Jiawei Jin Joan Joao João Joe Joel Johan John Jonas Jonathan
    Jordan Jorge Jose José Joseph Josh Joshua Juan Julia Julian Julie Jun Justin Kai Kamal Karen Karim
    Karl Kate Katie Kavya Keiko Ken Kenji Kevin Khalid Kim Kofi Kwame Lars Laura Lauren Layla Leah Lena
    Leo Leon Li Liam Lily Lina Linda Lisa Liu Lucas Lucia Lucía Luis Luka Lukas Luke Magnus Mai Malik
    Manuel Marco Marcus Maria María Marie Marina Mario Marta Martin Mary Mateo Matt Matteo Matthew
    Maya Mehmet Mei Mia Michael Michelle Miguel Mike Mikhail Ming Mohamed Mohammad Mohammed Monica Naomi
    Nadia Natalia Natasha Nathan Neha Nicholas Nick Nicole Nikhil Nikita Nikolai Nina Noah Nora Nour
    Olga Oliver Olivia Omar Oscar Owen Pablo Paolo Patrick Paul Paula Pedro Peter Philip Pierre Pooja
    Priya Rachel Rafael Rahul Raj Rajesh Ramon Ravi Rebecca Renee Renée Ricardo Richard Rita Robert
    Roberto Robin Rohan Roman Ryan Saanvi Sahil Sakura Samir Sam Samantha Samuel Sandra Sanjay Santiago
    Sara Sarah Sasha Satoshi Scott Sean Sebastian Sergei Sergio Shanice Shreya Simon Simone Sofia Sofía
    Sophie Stefan Stephanie Steve Steven Sunil Susan Sven Takumi Tanvir Tariq Thomas Tim Timothy Tobias
    Tom Tomas Tomás Tony Tyler Valentina Vanessa Victor Victoria Vikram Vincent Viktor Wei Wendy Xin Yan
    Yara Yasmin Yuki Yusuf Yuto Zainab Zara Zoe Zoë Zhang
    """.split()
)

# Infrastructure and product names: facts to preserve, never people. Two-word names keep their space.
SYSTEM_NAMES = frozenset(
    """
    Kafka Redis Postgres Postgresql Kubernetes Docker Nginx NGINX Envoy Istio Consul Vault Terraform
    Ansible Jenkins Grafana Prometheus Datadog Opsgenie Sentry Elasticsearch Cassandra Memcached Celery
    Sidekiq Airflow Spark Helm Argo Cloudflare Akamai Fastly Stripe Adyen Braintree Twilio Okta Certbot
    Azure Linux Ubuntu Debian Java Python Ruby Rails Django Flask Patroni Zookeeper Vitess Snowflake
    Redshift Aurora Lambda Splunk Loki Jaeger Slack Spinnaker Flux Karpenter Calico Cilium Traefik Varnish
    Nagios Zabbix Puppet Chef Vercel Netlify Heroku Riak Kubelet Kibana Logstash Fluentd Hadoop Hive
    Presto Trino Mongo Mongodb Oracle Windows Gunicorn Uvicorn Tomcat Apache Nomad Packer Bazel Gradle
    Maven Webpack Kong Apigee Auth0 Keycloak Firebase Supabase Shopify Salesforce Zendesk Jira Confluence
    Pulsar Nats Kinesis Dynamo Cockroach Etcd etcd Ceph Minio Longhorn Rook Vector Thanos Cortex Mimir
    Tempo Honeycomb Pingdom Statuspage Atlantis Pulumi Crossplane Linkerd Consul Coredns Bind9 Unbound
    cert-manager external-dns kube-proxy kube-dns ingress-nginx
    """.split()
) | {"Let's Encrypt", "Let’s Encrypt", "Google Cloud", "Cloud Run", "App Engine"}

# People named by their job. "operator" and "agent" are left out: in infra prose they are usually
# software (the Postgres operator, the Datadog agent).
ROLE_NOUNS = (
    "engineers?",
    "developers?",
    "devs?",
    "programmers?",
    "SREs?",
    "on-?call(?:ers?)?",
    "interns?",
    "DBAs?",
    "admins?",
    "administrators?",
    "sysadmins?",
    "contractors?",
    "new hires?",
    "reviewers?",
    "approvers?",
    "release managers?",
    "managers?",
    "team leads?",
    "tech leads?",
    "responders?",
    "incident commanders?",
    "testers?",
    "QA",
    "analysts?",
    "employees?",
    "team members?",
    "teammates?",
    "colleagues?",
    "staff",
    "person",
    "people",
    "guys?",
    "teams?",
    "owners?",
    "authors?",
    "committers?",
    "support agents?",
    "juniors?",
    "seniors?",
    "human operators?",
    "night operators?",
    "shift operators?",
    "console operators?",
)

# Acronyms that name a role, not a system: never facts (dropping "the DBA" loses no fact).
ROLE_ACRONYMS = frozenset({"DBA", "DBAs", "SRE", "SREs", "QA", "IC", "PM", "EM", "SWE"})

JUDGEMENT_ADJECTIVES = (
    "careless",
    "negligent",
    "sloppy",
    "incompetent",
    "lazy",
    "reckless",
    "irresponsible",
    "clueless",
    "stupid",
    "idiotic",
    "inattentive",
    "thoughtless",
    "complacent",
    "half-assed",
    "shoddy",
    "amateurish",
    "boneheaded",
    "cowboy",
    "rookie",
    "dumb",
)
JUDGEMENT_ADVERBS = (
    "carelessly",
    "negligently",
    "sloppily",
    "lazily",
    "recklessly",
    "irresponsibly",
    "stupidly",
    "thoughtlessly",
    "incompetently",
    "cluelessly",
)
JUDGEMENT_NOUNS = (
    "carelessness",
    "negligence",
    "sloppiness",
    "laziness",
    "incompetence",
    "recklessness",
    "complacency",
    "stupidity",
    "irresponsibility",
)
# Technical terms built from a judgement word: "lazy loading", "sloppy quorum", "dumb pipe".
TECHNICAL_COLLOCATIONS = re.compile(
    r"(?i)\b(?:lazy[- ](?:load\w*|eval\w*|init\w*|instantiat\w*|import\w*|iterat\w*|delet\w*|expir\w*|writes?"
    r"|propagation|fetch\w*|compil\w*|binding)|sloppy[- ]quorums?|dumb[- ](?:pipes?|terminals?|switch\w*))"
)

# Things that signal a problem: "ignored the alert" becomes "the alert did not lead to a response".
SIGNAL_NOUNS = frozenset(
    "alert alerts alarm alarms page pages warning warnings notification notifications ping pings "
    "message messages email emails ticket tickets".split()
)

# Words that tell the sentence is about something going wrong (for "which led to ..." and "because").
FAILURE_WORDS = re.compile(
    r"(?i)\b(?:outages?|incidents?|downtime|failures?|failed|failing|errors?|\d+xx|5\d\ds?|timeouts?|timed out"
    r"|degraded|degradation|loss|lost|corrupt\w*|crash\w*|unavailable|down|broke|broken|spiked?|spiking"
    r"|backlog|lag|stall\w*|dropped|exhausted|filled|full|leak\w*|duplicate\w*|overload\w*|deleted|wiped"
    r"|out\s+of\s+(?:memory|disk|space|connections)|OOM\w*)\b"
)

# Verbs that make a person's change the cause of harm.
HARM_VERBS = (
    r"caused|triggered|broke|took\s+down|brought\s+down|knocked\s+(?:out|over)|led\s+to|resulted\s+in"
    r"|(?:re)?introduced|crashed|corrupted|wiped|erased|locked|flooded|overloaded|exhausted|saturated|leaked|exposed"
)


def trie_pattern(words) -> str:
    """A regex matching any of ``words``, factored by shared prefixes so a mismatch fails fast."""
    trie: dict = {}
    for word in words:
        node = trie
        for char in word:
            node = node.setdefault(char, {})
        node[""] = {}

    def render(node: dict) -> str:
        branches = [re.escape(char) + render(child) for char, child in sorted(node.items()) if char]
        optional = "" in node
        if not branches:
            return ""
        body = branches[0] if len(branches) == 1 and not optional else "(?:" + "|".join(branches) + ")"
        return body + "?" if optional else body

    return render(trie)


# Any capitalised word (and an optional surname): the rules check it with is_person() after a match,
# which keeps the patterns small and the list of names in one place.
NAME = r"(?:@[\w.-]+|\b[^\W\d_a-z][^\W\d_A-Z]+(?:\s+[A-Z][a-z]+(?:-[A-Z][a-z]+)?(?=['’\s,]))?)\b"
PRONOUN = r"\b(?:[Hh]e|[Ss]he|I|[Ww]e|[Yy]ou)\b"
SOMEONE = r"\b(?:[Ss]omeone|[Ss]omebody)\b"
NOBODY = r"\b(?:[Nn]obody|[Nn]o\s+one|[Aa]nyone|[Aa]nybody|[Ee]veryone)\b"
_DETERMINER = r"(?:[Tt]he|[Oo]ur|[Tt]heir|[Tt]hat|[Tt]his|[Yy]our|[Aa]n?)"
_MODIFIER = r"(?!(?:the|a|an|that|which|who|and|or|was|is|were|had|has)\b)[\w`’'#.-]+"
ROLE = rf"\b{_DETERMINER}\s+(?:{_MODIFIER}\s+){{0,3}}?(?:{'|'.join(ROLE_NOUNS)})\b(?:\s+on\s+(?:duty|call|shift)\b)?"
ROLE_RE = re.compile(ROLE)
# Who a blame construction can be aimed at. Generic "any engineer" is hindsight, not an agent.
AGENT = rf"(?:{ROLE}|{PRONOUN}|{SOMEONE}|{NAME})"
POSSESSOR = rf"(?:(?:{ROLE}|{NAME})['’]s?|\b(?:[Hh]is|[Hh]er|[Mm]y)\b)"
_PERSON_WORDS = re.compile(
    rf"(?:{PRONOUN}|{SOMEONE}|{NOBODY}|\b(?:[Hh]is|[Hh]er|[Mm]y)\b|@[\w.-]+|[Ww]hoever\b.*)", re.S
)


def is_person(agent: str) -> bool:
    """True for "Alice", "Alice Chen", "@dana", "she", "the on-call engineer"; false for "Kafka".

    Names come from :data:`FIRST_NAMES`; a capitalised word that is not a known name is taken to
    be a system, because calling a system a person would turn a neutral sentence into blame.
    """
    agent = re.sub(r"['’]s?$", "", agent.strip())
    if ROLE_RE.fullmatch(agent) or _PERSON_WORDS.fullmatch(agent):
        return True
    return agent.split()[0] in FIRST_NAMES if agent else False


# A relative clause or an appositive between the agent and the verb ("the engineer who approved it").
AGENT_TAIL = r"(?:,\s*(?:who|the|a|our)\b[^,;]{1,60},|\s+who\s+[^,;]{1,60}?)?"
ADVERB = r"(?:\s+(?:also|then|still|just|simply|clearly|obviously|again|later|once\s+again|(?!only\b)[a-z]+ly))?"
