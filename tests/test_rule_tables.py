"""The rule tables shipped as data: every one loads, a malformed one is refused with a message naming the file and
the key, and each is read once."""

from __future__ import annotations

from importlib import resources

import pytest

from pm_agent.data import NUMBER, REGEX, SHAPES, WORDS, ListOf, MapOf, Record, parse_table, table
from pm_agent.errors import PmAgentError, RuleTableError

SHAPE = Record(
    {
        "names": WORDS,
        "rules": MapOf(ListOf(Record({"pattern": REGEX, "weight": NUMBER}))),
    }
)
GOOD = """
names = "Alice Bob"
[rules]
config = [{ pattern = 'mis-?configur\\w*', weight = 3.0 }]
"""


def refusal(text: str) -> str:
    with pytest.raises(RuleTableError) as caught:
        parse_table(text, "example", SHAPE)
    return str(caught.value)


def test_every_shipped_table_loads_against_its_shape():
    loaded = {name: table(name) for name in SHAPES}
    assert {name: sorted(values) for name, values in loaded.items()} == {
        name: sorted(shape.fields) for name, shape in SHAPES.items()
    }


def test_every_table_file_in_the_data_folder_is_declared_with_a_shape():
    # secret_rules.toml has its own reader in guards/redaction.py (a rule there is a compiled pattern with checks).
    files = {f.name for f in resources.files("pm_agent.data").iterdir() if f.name.endswith(".toml")}
    assert files - {"secret_rules.toml"} == {f"{name}.toml" for name in SHAPES}


def test_a_table_is_read_once_and_shared():
    assert table("blameless_lexicon") is table("blameless_lexicon")


def test_a_shared_table_cannot_be_changed_by_one_of_its_readers():
    with pytest.raises(TypeError):
        table("action_rules")["owners"]["platform"] = {"role": "Somebody else", "aliases": ()}


def test_a_well_formed_table_reads_as_plain_values():
    assert parse_table(GOOD, "example", SHAPE) == {
        "names": ("Alice", "Bob"),
        "rules": {"config": ({"pattern": r"mis-?configur\w*", "weight": 3.0},)},
    }


def test_a_rule_table_error_is_a_pm_agent_error_so_the_front_ends_show_one_line():
    assert issubclass(RuleTableError, PmAgentError)


def test_a_value_of_the_wrong_type_is_refused_naming_the_file_and_the_key():
    assert refusal(GOOD.replace("weight = 3.0", 'weight = "high"')) == (
        "rule table data/example.toml: rules.config[0].weight must be a number, not str 'high'"
    )


def test_a_missing_key_is_refused():
    assert refusal(GOOD.replace('names = "Alice Bob"', "")) == "rule table data/example.toml: missing key(s) names"


def test_an_unknown_key_is_refused_with_the_keys_expected():
    assert refusal("extra = 1\n" + GOOD) == (
        "rule table data/example.toml: unknown key(s) extra; expected names, rules"
    )


def test_a_pattern_that_does_not_compile_is_refused():
    message = refusal(GOOD.replace("mis-?configur", "mis(configur"))
    assert message.startswith(
        "rule table data/example.toml: rules.config[0].pattern is not a valid regular expression (missing ),"
    )


def test_an_empty_list_of_rules_is_refused():
    assert refusal(GOOD.replace("config = [{ pattern = 'mis-?configur\\w*', weight = 3.0 }]", "config = []")) == (
        "rule table data/example.toml: rules.config must be a list of at least 1 × a table, not list '[]'"
    )


def test_a_file_that_is_not_toml_is_refused():
    assert refusal("names = [Alice").startswith("rule table data/example.toml is not valid TOML (")


def test_an_undeclared_table_is_refused_with_the_known_names():
    with pytest.raises(RuleTableError, match=r"^no rule table named 'nope'; known: blameless_lexicon, "):
        table("nope")


def test_a_fishbone_table_sending_a_factor_to_an_undeclared_group_is_refused():
    text = resources.files("pm_agent.data").joinpath("fishbone.toml").read_text(encoding="utf-8")
    broken = text.replace('category = "Environment"', 'category = "Enviroment"')
    with pytest.raises(RuleTableError) as caught:
        parse_table(broken, "fishbone", SHAPES["fishbone"])
    assert str(caught.value) == (
        "rule table data/fishbone.toml: unknown categories Enviroment; use one of People, Process, Technology, "
        "Environment"
    )
