"""The rule table: parsing, validation errors that name the rule, and first-match-wins decisions."""

from __future__ import annotations

import pytest

from contact_center.errors import ConfigError
from routing.config import load_config
from routing.defaults import DEFAULT_DEPARTMENTS, DEFAULT_RULES
from routing.rules import Facts, decide, parse_rules

RULES = parse_rules(DEFAULT_RULES, departments=DEFAULT_DEPARTMENTS)


def route(**values):
    return decide(RULES, Facts(values), default="service")


@pytest.mark.parametrize(("values", "department"), [
    ({"channel": "email", "subject": "Question about invoice 4711"}, "account_changes"),
    ({"channel": "email", "subject": "Frage zur Rechnungsadresse"}, "account_changes"),  # rechnung* prefix
    ({"channel": "email", "subject": "Votre facture", "body": "Bonjour"}, "account_changes"),
    ({"channel": "email", "body": "Proszę o fakturę"}, "account_changes"),  # faktur*
    ({"channel": "email", "subject": "Router defekt"}, "technical_support"),
    ({"channel": "email", "body": "Mon modem est en panne depuis hier"}, "technical_support"),
    ({"channel": "email", "body": "It does not work after the update"}, "technical_support"),
    ({"channel": "email", "body": "Modeemi ei toimi"}, "technical_support"),
    ({"channel": "email", "subject": "Beschwerde über Ihren Service"}, "complaints"),
    ({"channel": "email", "subject": "Reklamacja zamówienia"}, "complaints"),
    ({"channel": "email", "subject": "Complaint about my invoice"}, "complaints"),  # complaints before billing
    ({"channel": "email", "subject": "I want to buy 3 licences"}, "sales"),
    ({"channel": "email", "subject": "Wir möchten kaufen"}, "sales"),
    ({"channel": "email", "subject": "Je voudrais acheter"}, "sales"),
    ({"channel": "email", "subject": "Θέλω να κάνω μια αγορά"}, "sales"),  # noqa: RUF001
    ({"channel": "chat", "chat_topic": "Billing", "body": "hi"}, "account_changes"),
    ({"channel": "chat", "chat_topic": "sales", "body": "my router is broken"}, "sales"),  # the choice wins
    ({"channel": "call", "dtmf": "2"}, "technical_support"),
    ({"channel": "call", "dtmf": "9"}, "service"),
    ({"channel": "call", "customer.open_complaint": True}, "complaints"),
    ({"channel": "call", "customer.overdue": 120.5}, "account_changes"),
    ({"channel": "call", "customer.overdue": 0}, "service"),
    ({"channel": "email", "subject": "Hello", "body": "Just saying hi"}, "service"),
    ({"channel": "email", "subject": "Inbox broke-ness"}, "service"),  # 'broken' is a whole word only
])
def test_default_rules_pick_the_department(values, department):
    """The shipped multilingual table sends each contact to the department that can solve it."""
    assert route(**values).department == department


def test_missing_customer_data_never_matches():
    """No customer data (a source that timed out) is 'no match', not an error."""
    decision = route(channel="call", to="+4930123")
    assert decision.department == "service"
    assert decision.priority == 0
    assert decision.reason == "no rule matched; default -> service"


def test_modifier_rules_add_priority_and_every_decision_says_why():
    """High lifetime value raises the priority on top of the department rule, and the reason names both."""
    decision = route(channel="email", subject="invoice", **{"customer.lifetime_value": 25000})
    assert (decision.department, decision.priority) == ("account_changes", 2)
    assert "'billing words': text contains 'invoice*' -> account_changes" in decision.reason
    assert "'valuable customer': customer.lifetime_value 25000 gte 10000 -> priority +2" in decision.reason


def test_channel_suggestion_comes_before_the_default():
    """A mailbox's usual department is used when no rule matches, and said so."""
    decision = decide(RULES, Facts({"channel": "email", "subject": "hello"}), default="service", suggested="sales")
    assert decision.department == "sales"
    assert decision.reason.startswith("no rule matched; channel default -> sales")


def test_a_pbx_queue_holds_the_call_and_the_rules_only_set_priority_and_skills():
    """A call the PBX queued in sales stays in sales though its caller is overdue (the overdue rule
    would send it to account changes); the valuable-customer rule still raises its priority."""
    facts = Facts({"channel": "call", "customer.overdue": 120.5, "customer.lifetime_value": 25000})
    decision = decide(RULES, facts, default="service", fixed="sales")
    assert (decision.department, decision.priority) == ("sales", 2)
    assert decision.reason.startswith("the PBX queued it -> sales; ")
    assert "account_changes" not in decision.reason
    assert decide(RULES, facts, default="service").department == "account_changes"  # without the queue


@pytest.mark.parametrize(("rule", "operator", "value", "facts", "matches"), [
    ("to", "equals", "+49 30 1234-5", {"to": "+493012345"}, True),
    ("to", "in", ["+4930111", "+4930222"], {"to": "+4930222"}, True),
    ("to", "starts_with", "+4930", {"to": "+4989123"}, False),
    ("email_to", "contains_any", "billing@example.com", {"email_to": "Billing@Example.com, x@y.z"}, True),
    ("mailbox", "not_equals", "support", {"mailbox": "billing"}, True),
    ("customer.lifetime_value", "lte", 100, {"customer.lifetime_value": "99.5"}, True),
    ("customer.lifetime_value", "lt", 100, {"customer.lifetime_value": "n/a"}, False),
    ("customer.known", "exists", False, {}, True),
    ("automated", "equals", True, {"automated": True}, True),
    ("subject", "contains_any", ["not working"], {"subject": "it's NOT   working!"}, True),
])
def test_operators(rule, operator, value, facts, matches):
    """Each operator: phone-ish text normalised, words case-insensitive, numbers compared as numbers."""
    rules = parse_rules([{"field": rule, "operator": operator, "value": value, "department": "sales"}],
                        departments=DEFAULT_DEPARTMENTS)
    assert (decide(rules, Facts(facts), default="service").department == "sales") is matches


@pytest.mark.parametrize(("rule", "message"), [
    ({"field": "subjct", "operator": "equals", "value": "x", "department": "sales"}, "unknown field 'subjct'"),
    ({"field": "subject", "operator": "like", "value": "x", "department": "sales"}, "unknown operator 'like'"),
    ({"field": "subject", "operator": "equals", "value": "x", "department": "billing"},
     "unknown department 'billing'"),
    ({"field": "subject", "operator": "gte", "value": "lots", "department": "sales"}, "could not convert"),
    ({"field": "subject", "operator": "equals", "department": "sales"}, "a value is required"),
    ({"field": "subject", "operator": "equals", "value": "x"}, "needs a department, a priority or skills"),
    ({"field": "subject", "operator": "equals", "value": "x", "departmnt": "sales"}, "unknown key(s) departmnt"),
])
def test_bad_rule_is_a_startup_error_naming_the_line(rule, message):
    """A typo in the table stops the start-up with the rule's line number and text."""
    table = [{"field": "dtmf", "operator": "equals", "value": "1", "department": "sales"}, rule]
    with pytest.raises(ConfigError) as info:
        load_config({"rules": table})
    assert "routing.rules line 2 (" in info.value.message
    assert message in info.value.message


@pytest.mark.parametrize(("section", "message"), [
    ({"default_department": "nowhere"}, "default_department 'nowhere'"),
    ({"strategy": "random"}, "routing.strategy 'random' is unknown"),
    ({"queues": {"sales.fax": {}}}, "routing.queues.sales.fax"),
    ({"queues": {"sales.email": {"overflow_to": "service"}}}, "overflow_to 'service'"),
    ({"channels": {"sms": {}}}, "routing.channels.sms: unknown channel"),
    ({"offer_timeout_seconds": "soon"}, "routing.offer_timeout_seconds must be a number"),
    ({"call_dial": "everyone"}, "call_dial"),
])
def test_bad_settings_are_startup_errors(section, message):
    """Unknown strategies, queues, channels and bad numbers are rejected when the config loads."""
    with pytest.raises(ConfigError) as info:
        load_config(section)
    assert message in info.value.message


def test_policy_layers_most_specific_last():
    """Built-in < store row < [routing] < [routing.channels.x] < [routing.queues."d.x"]."""
    config = load_config({"offer_timeout_seconds": 15, "channels": {"email": {"offer_timeout_seconds": 30}},
                          "queues": {"sales.email": {"strategy": "round_robin", "wrap_up_seconds": "5"}}})
    assert config.policy("sales.email", "email", None).offer_timeout == 30
    assert config.policy("sales.email", "email", None).strategy == "round_robin"
    assert config.policy("sales.email", "email", None).wrap_up == 5
    assert config.policy("sales.call", "call", None).offer_timeout == 15
    assert config.policy("sales.call", "call", None).wrap_up == 10  # built-in for calls
    assert config.policy("sales.chat", "chat", None).wrap_up == 0


MIXED = parse_rules([
    {"field": "dtmf", "operator": "equals", "value": "1", "department": "sales"},
    {"field": "dtmf", "operator": "in", "value": ["1", "2"], "department": "service"},  # '1' is taken above
    {"field": "language", "operator": "equals", "value": "de", "skills": {"lang:de": 3}},
    {"field": "chat_topic", "operator": "equals", "value": "vip", "department": "complaints", "channel": "chat"},
    {"field": "text", "operator": "contains_any", "value": ["refund*"], "department": "account_changes"},
    {"field": "text", "operator": "contains_any", "value": ["broken", "refund"], "department": "technical_support"},
    {"field": "subject", "operator": "starts_with", "value": "re:", "priority": 1},
    {"field": "customer.lifetime_value", "operator": "gte", "value": 1000, "priority": 2, "skills": {"vip": 1}},
    {"field": "text", "operator": "contains_any", "value": ["hello"], "department": "sales"},
    {"field": "language", "operator": "not_equals", "value": "de", "skills": {"lang:de": 0}},
    {"field": "customer.known", "operator": "exists", "value": False, "department": "service"},
], departments=DEFAULT_DEPARTMENTS)




@pytest.mark.parametrize(("values", "department", "priority", "skills", "fired"), [
    ({"channel": "call", "dtmf": "1", "language": "de"}, "sales", 0, {"lang:de": 3}, (1, 3)),
    ({"channel": "call", "dtmf": "2", "customer.lifetime_value": 5000}, "service", 2, {"vip": 1}, (2, 8)),
    ({"channel": "chat", "chat_topic": "VIP", "subject": "Re: broken refund", "language": "de"}, "complaints", 1,
     {"lang:de": 3}, (3, 4, 7)),
    ({"channel": "email", "chat_topic": "vip", "subject": "Re: refund please", "customer.known": True},
     "account_changes", 1, {}, (5, 7)),
    ({"channel": "email", "subject": "broken, refunds", "body": "hello", "customer.lifetime_value": 1000},
     "account_changes", 2, {"vip": 1}, (5, 8)),
    ({"channel": "email", "language": "fr"}, "service", 0, {"lang:de": 0}, (10, 11)),
])
def test_mixed_table_first_department_wins_and_modifiers_add_up(values, department, priority, skills, fired):
    """In a table mixing look-ups, keyword groups and modifiers, the first matching department rule
    wins (channel-limited rules only on their channel), and every matching modifier adds its
    priority and skills."""
    decision = decide(MIXED, Facts(values), default="service")
    assert (decision.department, decision.priority, dict(decision.skills), decision.rules) == \
        (department, priority, skills, fired)
