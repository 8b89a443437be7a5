"""Keyword rules for cause categories: data only, no logic.

Each category has weighted patterns; a pattern counts once per match (up to three), so a
text that keeps returning to a theme outweighs one passing mention.
"""

from __future__ import annotations

import re

from pm_agent.textscan.words import StartWords, WordGroup, compile_scanned

Rule = tuple[StartWords, float]
_EVERY_RULE = WordGroup()  # every rule is asked about each text: one scan of a short text answers them all


def _rules(*pairs: tuple[str, float]) -> tuple[Rule, ...]:
    return tuple((compile_scanned(pattern, re.IGNORECASE, _EVERY_RULE), weight) for pattern, weight in pairs)


CATEGORY_RULES: dict[str, tuple[Rule, ...]] = {
    "config": _rules(
        (r"\bmis-?configur\w*", 3.0),
        (r"\b(bad|wrong|incorrect|faulty|invalid|broken) (config\w*|settings?|rules?|values?)\b", 3.0),
        (r"\bconfig(uration)?s?\b|\bconfigur(ed|ing)\b", 2.0),
        (r"\bfeature[- ]flags?\b", 2.0),
        (r"\btypo\b", 2.0),
        (r"\bdefault (settings?|values?|configuration|container runtime)\b", 1.5),
        (r"\b(settings?|parameters?|environment variables?|flags?)\b", 1.0),
        (r"\b[a-z]+[_-](size|limit|timeout|max|min|count|ttl|threshold)s?\b", 1.5),
        (r"\b(lowered|raised|reduced|increased|changed|set) from \S+ to \S+", 2.0),
        (r"\b(router|firewall|ingress|routing|bgp) rules?\b", 1.0),
        (r"\b(yaml|json|toml|helm values)\b", 0.5),
    ),
    "deploy": _rules(
        (r"\bdeploy(ed|ing|ment|ments|s)?\b", 1.5),
        (r"\broll(ed|ing)?[- ]?outs?\b", 2.0),
        (r"\brelease[sd]?\b", 1.5),
        (r"\bpipelines?\b", 1.5),
        (r"\bci/?cd\b|\bcontinuous (delivery|deployment|integration)\b", 1.5),
        (r"\b(pull request|merged?|commit(ted)?)\b", 1.0),
        (r"\bupgrad\w*", 1.0),
        (r"\bcanary\b|\bblue[- ]green\b", 1.0),
        (r"\bpush(ed)? to (production|prod|master|main)\b", 2.0),
        (r"\b(bad|broken|faulty) (push|build|deploy\w*|release)\b", 2.0),
        (r"\b(code|software) (change|update|push)\b", 1.5),
        (r"\brevert\w*|\broll(ed|ing)?[- ]?back\b|\brollbacks?\b", 0.5),
    ),
    "hardware": _rules(
        (r"\bhardware\b", 3.0),
        (r"\bpower (outage|failure|loss|supply)|\bloss of power\b|\bgenerators?\b|\bups\b", 3.0),
        (r"\b(disk|drive|ssd|hdd|storage volume|raid)s? (fail\w*|failure|died|corrupt\w*)", 3.0),
        (r"\b(lightning|(bad|severe|extreme) weather|flood\w*|fire|cooling|overheat\w*)\b", 2.0),
        (r"\b(data ?cent(er|re)|facility|rack|switch(es)?|fiber|fibre|cable)\b", 1.0),
        (r"\b(ecc|memory module|nic|motherboard|bios|firmware)\b", 2.0),
        (r"\bmalfunction\w*\b", 1.5),
    ),
    "database": _rules(
        (r"\bdatabases?\b|\bdb\b", 2.5),
        (r"\b(mysql|postgres\w*|rds|aurora|mongo\w*|cassandra|dynamo\w*|redis|elasticsearch|sql)\b", 2.0),
        (r"\b(schema|migrations?|foreign key|index(es)?|quer(y|ies)|tables?)\b", 1.0),
        (r"\b(replica(s|tion)?|primary|failover|master)\b", 1.0),
        (r"\b(deadlock|vacuum|transaction)\w*", 1.5),
    ),
    "time": _rules(
        (r"\bleap (second|year|day)\b", 4.0),
        (r"\bcert(ificate)?s?\b[^.]{0,40}\bexpir\w*|\bexpir\w*[^.]{0,40}\bcert(ificate)?s?\b", 4.0),
        (r"\bexpir(ed|y|ation|es)\b", 2.0),
        (r"\b(clock|ntp|time ?zones?|dst|daylight saving|timestamp|y2k|epoch)\b", 2.0),
        (r"\bcert(ificate)?s?\b|\btls\b|\bssl\b", 1.0),
        (r"\b(midnight|new year|calendar|date (handling|rollover))\b", 1.0),
    ),
    "concurrency": _rules(
        (r"\brace conditions?\b", 4.0),
        (r"\bconcurren\w*|\bsimultaneous\w*|\bin parallel\b", 2.0),
        (r"\b(deadlock|livelock|mutex|locks?|locking|lock contention)\b", 1.5),
        (r"\b(conflict\w*|split[- ]brain|two masters|double[- ]write)\b", 2.0),
        (r"\b(threads?|ordering|out of order)\b", 1.0),
    ),
    "network": _rules(
        (r"\bnetwork\w*\b", 2.0),
        (r"\b(dns|bgp|routing|routers?|subnets?|vpc|cni|ip address\w*|ips?)\b", 2.0),
        (r"\b(packet( loss)?|latency|connectivity|partition\w*|tcp|udp|http/3|conntrack)\b", 1.5),
        (r"\b(load balancers?|alb|elb|target groups?|firewall|proxy|cdn)\b", 1.5),
        (r"\b(ingress|egress|traffic|backbone|peering|links?)\b", 1.0),
        (r"\b50[234]s?\b|\bconnection (failures?|errors?|refused|reset)\b", 1.0),
    ),
    "capacity": _rules(
        (r"\b(capacity|overload\w*|over-?provision\w*|under-?provision\w*|headroom)\b", 2.5),
        (r"\b(resource (exhaustion|starvation)|starvation|starved|exhaust\w*|ran out of|run out of)\b", 3.0),
        (r"\b(oom\w*|out of memory|memory (usage|pressure|limit)|high memory|cpu (throttling|usage|at))\b", 2.5),
        (r"\b(traffic spike|spike|surge|load|demand|throttl\w*|saturat\w*|quotas?|limits?)\b", 1.0),
        (r"\b(autoscal\w*|scal(e|ed|ing) (up|down|out)|not enough|pending)\b", 1.5),
        (r"\b(disk full|memory|cpu|too many|max(imum)? (replicas|connections))\b", 1.0),
    ),
    "dependency": _rules(
        (r"\b(third[- ]party|upstream|vendor|provider|supplier)\b", 2.0),
        (r"\b(dependenc(y|ies)|librar(y|ies)|sdks?|packages?|extensions?)\b", 2.0),
        (r"\b(backwards?[- ]compat\w*|compatib\w*|breaking change|api change)\b", 2.5),
        (r"\b(aws|azure|gcp|google cloud|cloud provider|docker hub|github|npm|pypi|cdn)\b", 1.0),
        (r"\b(external (service|api)|outage (at|of) (our|a) provider)\b", 2.0),
    ),
    "security": _rules(
        (r"\b(security|attack\w*|ddos|breach\w*|vulnerab\w*|exploit\w*|malicious|phishing|intrusion)\b", 3.0),
        (r"\b(credentials?|passwords?|access keys?|tokens?|leak\w*|exposed)\b", 1.5),
        (r"\b(unauthori[sz]ed|authenticat\w*|authori[sz]ation|iam|permissions?|sso|saml|adfs|rbac)\b", 1.5),
        (r"\b(secrets? (leak|exposed|rotation))\b", 2.0),
    ),
    "human-process": _rules(
        (r"\b(manual(ly)?|by hand|runbooks?|checklists?|procedures?|hand-?overs?|handed over)\b", 1.5),
        (r"\b(accident(al|ally)?|by mistake|human error|operator error|unintended|inadvertent(ly)?)\b", 1.5),
        (r"\b(process|communication|coordinat\w*|review(ed)?|approval|training|documentation)\b", 1.0),
        (r"\b(engineer|operator|admin(istrator)?|on-?call)s?\b", 0.5),
    ),
    "cascading": _rules(
        (r"\bcascad\w*|\bdomino\b|\bknock-?on\b|\bchain reaction\b", 4.0),
        (r"\b(thundering herd|retry storms?|storms?|spiral\w*|overwhelm\w*|snowball\w*)\b", 2.0),
        (r"\b(propagat\w*|spread\w*|amplif\w*)\b", 1.0),
    ),
    "kubernetes": _rules(
        (r"\b(kubernetes|k8s|eks|gke|aks|kops|kubeadm|openshift)\b", 3.0),
        (r"\b(pods?|kubelet|daemon ?sets?|statefulsets?|helm|namespaces?|crashloopbackoff|limitrange)\b", 2.0),
        (r"\b(node ?not ?ready|notready|cordon\w*|node rollover|worker nodes?|container runtime|containerd)\b", 2.0),
        (r"\b(ingress|traefik|nginx-ingress|coredns|kube-dns|kube-proxy|cni)\b", 1.0),
        (r"\b(nodes?|containers?|clusters?)\b", 0.5),
    ),
    "control-plane": _rules(
        (r"\bcontrol[- ]plane\b", 4.0),
        (r"\b(api ?server|etcd|orchestrat\w*|schedul(er|ing)|leader election|consensus|zookeeper|consul)\b", 2.0),
        (r"\b(metadata (service|storage)|service discovery|webhooks?|admission)\b", 1.5),
    ),
    "observability": _rules(
        (r"\b(observability|monitoring|telemetry)\b", 2.5),
        (r"\b(metrics|logs?|logging|traces?|tracing|dashboards?)\b", 1.5),
        (r"\b(prometheus|grafana|cloudwatch|datadog|loki|fluentd|exporters?|elastalert|alertmanager)\b", 1.5),
        (r"\b(no alert|missing alert|alert fatigue|blind spot|not (shipped|exported|recorded))\b", 2.0),
    ),
}

CATEGORY_MIN_SCORE = 1.0
PATTERN_COUNT_CAP = 3
