"""The rule table compiled once into a short list of steps, so a decision walks few of them. Pure.

:func:`compile_plan` turns the validated rules into *steps*, each a closure that looks at a
contact's facts and answers the first rule of its group that matches (with the evidence) or
None. Consecutive department rules that can share one look-up are merged into one step:

* ``equals`` / ``in`` rules on the same field (IVR digits, chat topics) become one dict from the
  field's normalised value to the first rule naming it;
* ``contains_any`` rules on the same field (the keyword groups) share the field's one keyword
  scan (:class:`routing.keywords.FieldIndex`) and the step takes the lowest rule number that hit.

Every other rule is a step of its own. The plan also keeps, for each step, the modifier steps
after it, so once a department rule has matched only modifiers are looked at. The result is the
same decision, evidence and reasons as evaluating every rule in table order
(``tests/unit/routing/test_rules.py`` pins both ways against each other).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from routing.keywords import FieldIndex
    from routing.rules import Facts, Rule

Hit = tuple["Rule", str]
Check = Callable[["Facts"], Hit | None]
_LOOKUP_OPS = ("equals", "in")


@dataclass(frozen=True, slots=True)
class Step:
    """One check of the plan: which rules it answers for, and whether they are modifiers."""

    check: Check
    modifier: bool


@dataclass(frozen=True, slots=True)
class Plan:
    """The compiled table: its steps in order, and per step the modifier steps that follow it."""

    steps: tuple[Step, ...]
    modifiers_after: tuple[tuple[Step, ...], ...]
    says: dict[int, tuple[str, str]]  # rule number -> what its reason says before and after the evidence


def compile_plan(rules: Sequence[Rule], index: dict[str, FieldIndex]) -> Plan:
    """The steps of *rules* (see the module docstring); *index* is the table's keyword index per field."""
    steps: list[Step] = []
    group: list[Rule] = []
    for rule in rules:
        if group and not _joins(group, rule):
            steps.append(_group_step(group, index))
            group = []
        if _groupable(rule):
            group.append(rule)
        else:
            steps.append(Step(_single(rule, index), rule.department is None))
    if group:
        steps.append(_group_step(group, index))
    after = tuple(tuple(s for s in steps[i + 1:] if s.modifier) for i in range(len(steps)))
    return Plan(tuple(steps), after, {r.number: _says(r) for r in rules})


def _says(rule: Rule) -> tuple[str, str]:
    outcome = rule.department if rule.department is not None else f"priority {rule.priority:+d}"
    return f"{rule.label()}: ", f" -> {outcome}"


def _groupable(rule: Rule) -> bool:
    return (rule.department is not None and not rule.channels
            and (rule.operator in _LOOKUP_OPS or rule.operator == "contains_any"))


def _kind(rule: Rule) -> str:
    return "keywords" if rule.operator == "contains_any" else "lookup"


def _joins(group: list[Rule], rule: Rule) -> bool:
    first = group[0]
    return _groupable(rule) and rule.field == first.field and _kind(rule) == _kind(first)


def _group_step(group: list[Rule], index: dict[str, FieldIndex]) -> Step:
    if _kind(group[0]) == "keywords":
        return Step(_keywords(group, index), False)
    return Step(_lookup(group), False)


def _lookup(rules: Iterable[Rule]) -> Check:
    """equals / in rules on one field: one dict look-up of the field's normalised value."""
    table: dict[str, Rule] = {}
    field = ""
    for rule in rules:
        field = rule.field
        values = (rule.value,) if rule.operator == "equals" else rule.value
        for value in values:
            table.setdefault(value, rule)  # the first rule naming a value wins

    def check(facts: Facts) -> Hit | None:
        actual = facts.get(field) if derived else facts.values.get(field)
        if actual is None:
            return None
        text = facts.normal(field, actual)
        rule = table.get(text)
        return (rule, f"{field} = {text}") if rule is not None else None

    derived = field == "text"  # made from other fields; every other field is a plain value
    return check


def _keywords(rules: Sequence[Rule], index: dict[str, FieldIndex]) -> Check:
    """contains_any rules on one field: the lowest-numbered rule among the field's keyword hits."""
    field = rules[0].field
    by_number = {rule.number: rule for rule in rules}
    numbers = sorted(by_number)
    field_index = index[field]

    def check(facts: Facts) -> Hit | None:
        hits = facts.scan(field, field_index)
        if not hits:
            return None
        for number in numbers:
            found = hits.get(number)
            if found is not None:
                return by_number[number], f"{field} contains '{found}'"
        return None

    return check


def _single(rule: Rule, index: dict[str, FieldIndex]) -> Check:
    """Any other rule: channels, exists, numbers, not_equals, starts_with, modifiers."""
    if rule.operator == "contains_any" and not rule.channels:
        return _keywords([rule], index)
    if rule.operator in _LOOKUP_OPS and not rule.channels:
        return _lookup([rule])
    field, needs_value = rule.field, rule.operator != "exists"

    def check(facts: Facts) -> Hit | None:
        if needs_value and facts.get(field) is None:
            return None  # missing data never matches
        evidence = rule.match(facts)
        return (rule, evidence) if evidence is not None else None

    return check


def first_hits(plan: Plan, facts: Facts) -> tuple[list[Hit], Any]:
    """The rules that fire, in table order: up to the first department rule, then the modifiers after it.

    Returns the hits and the department rule that matched (None when none did).
    """
    hits: list[Hit] = []
    for i, step in enumerate(plan.steps):
        hit = step.check(facts)
        if hit is None:
            continue
        hits.append(hit)
        if not step.modifier:
            for later in plan.modifiers_after[i]:
                extra = later.check(facts)
                if extra is not None:
                    hits.append(extra)
            return hits, hit[0]
    return hits, None
