"""The console's "try it": a sample contact through the rule table, showing what matched and why.

``POST /api/v1/routing/try`` takes a sample (``channel``, ``to``, ``from``, ``subject``, ``body``,
``chat_topic``, ``dtmf``, ``mailbox`` and ``customer`` facts) and, optionally, a draft ``rules``
table that is validated exactly as a saved one would be. It answers the department, the rules that
fired, the reason text the router records, and for a call what the department's opening hours do
to it now. Nothing is stored or routed. Admins and supervisors.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

from aiohttp import web

from contact_center import channels, keys
from contact_center.errors import ConfigError, ValidationError
from contact_center.http.auth import current_user
from contact_center.http.bodies import read_body
from contact_center.http.openapi import obj
from routing.config import RoutingConfig, default_rules, load_config
from routing.dnis import department_for_number, plan_for
from routing.rules import FIELDS, OPERATORS, Facts, decide
from routing.services import ROUTING

_TEXT = ("channel", "to", "from", "subject", "body", "chat_topic", "dtmf", "mailbox", "language")
_CUSTOMER = {"known": bool, "open_complaint": bool, "overdue": float, "lifetime_value": float}


def sample_facts(body: Mapping[str, Any]) -> dict[str, Any]:
    """The rule fields of a sample contact (``customer.*`` from the ``customer`` object).

    Raises:
        ValidationError: naming the field that has the wrong type.
    """
    values: dict[str, Any] = {}
    for name in _TEXT:
        value = body.get(name)
        if value not in (None, ""):
            if not isinstance(value, str):
                raise ValidationError(name, f"'{name}' must be text")
            values[name] = value
    if values.get("channel") is not None and not channels.is_channel(values["channel"]):
        raise ValidationError("channel", f"channel must be one of {', '.join(channels.NAMES)}")
    if "to" in values:
        values["email_to"] = values["to"]
    customer = body.get("customer") or {}
    if not isinstance(customer, Mapping):
        raise ValidationError("customer", "customer must be an object of facts")
    for name, kind in _CUSTOMER.items():
        if customer.get(name) in (None, ""):
            continue
        try:
            values[f"customer.{name}"] = kind(customer[name]) if kind is float else bool(customer[name])
        except (TypeError, ValueError) as exc:
            raise ValidationError(f"customer.{name}", f"customer.{name} must be a number") from exc
    return values


def explain(config: RoutingConfig, values: Mapping[str, Any], *, suggested: str | None) -> dict[str, Any]:
    """The decision for *values* under *config*, with the fired rules' names."""
    decision = decide(config.rules, Facts(values), default=config.default_department,
                      suggested=suggested if suggested in config.departments else None)
    by_number = {rule.number: rule for rule in config.rules}
    return {"department": decision.department, "priority": decision.priority, "skills": dict(decision.skills),
            "reason": decision.reason,
            "rules": [{"number": n, "name": by_number[n].name, "department": by_number[n].department,
                       "priority": by_number[n].priority} for n in decision.rules]}


async def try_rules(request: web.Request) -> web.Response:
    await current_user(request, role="supervisor")
    body = await read_body(request)
    live = request.app[keys.LIVE_CONFIG]
    config: RoutingConfig = live.value("routing")
    if "rules" in body:
        raw = dict(live.runtime_document().get("routing") or {})
        raw["rules"] = body["rules"]
        try:
            config = load_config(raw, store_departments=await live.departments())
        except ConfigError as exc:
            raise ValidationError("rules", exc.message) from exc
    values = sample_facts(body)
    router = request.app[ROUTING].router
    suggested = department_for_number(values.get("to"), router.org.departments) if values.get(
        "channel") == "call" else None
    answer = explain(config, values, suggested=suggested)
    answer["dialled_department"] = suggested
    if values.get("channel") == "call":
        plan = plan_for(answer["department"], router.org.departments, dt.datetime.now(dt.UTC))
        answer["hours"] = {"open": plan.open, "action": plan.action, "why": plan.why, "number": plan.number,
                           "reason": plan.reason}
    return web.json_response(answer)


async def rule_table(request: web.Request) -> web.Response:
    """The rule table in force as the console edits it, with the fields and operators a rule may use."""
    await current_user(request, role="supervisor")
    live = request.app[keys.LIVE_CONFIG]
    raw = live.runtime_document().get("routing") or {}
    config: RoutingConfig = live.value("routing")
    rules = raw.get("rules") if "rules" in raw else default_rules(config.departments)
    return web.json_response({"rules": rules, "departments": list(config.departments),
                              "default_department": config.default_department,
                              "fields": sorted(FIELDS), "operators": sorted(OPERATORS)})


def register_try(app: web.Application) -> None:
    app.router.add_get("/api/v1/routing/rules", rule_table)
    app[keys.API].add(
        "GET", "/api/v1/routing/rules", tag="admin", errors=(401, 403),
        summary="The rule table in force (the shipped one when none is configured), fields and operators",
        response=obj(("rules", "fields", "operators"), rules={"type": "array", "items": {"type": "object"}},
                     departments={"type": "array", "items": {"type": "string"}},
                     default_department={"type": "string"},
                     fields={"type": "array", "items": {"type": "string"}},
                     operators={"type": "array", "items": {"type": "string"}}))
    app.router.add_post("/api/v1/routing/try", try_rules)
    text = {"type": "string"}
    app[keys.API].add(
        "POST", "/api/v1/routing/try", tag="admin",
        summary="Run a sample contact through the rules (or a draft table): which rule matched and why",
        request=obj((), channel=text, to=text, subject=text, body=text, chat_topic=text, dtmf=text, mailbox=text,
                    customer={"type": "object"}, rules={"type": "array", "items": {"type": "object"}}),
        response=obj(("department", "reason", "rules"), department=text, reason=text, priority={"type": "integer"},
                     rules={"type": "array", "items": {"type": "object"}}, hours={"type": "object"}),
        errors=(400, 401, 403, 422))
