"""Which departments a supervisor steers. Pure.

As Zendesk's team leads and Flex's supervisor filters work: an admin sees and acts on every
department; a supervisor on the departments they belong to (none when they belong to none), so a
sales team lead cannot reassign a complaint nor log out an accounts agent. The wallboard's frames
are cut to that scope per socket, and every supervisor action checks it on the server.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping
from typing import Any

from contact_center.auth.roles import Principal

TOTAL_KEYS = ("waiting", "offered", "active", "answered", "abandoned")


def supervised(principal: Principal) -> frozenset[str] | None:
    """The departments *principal* supervises; ``None``: all of them (an admin); agents none."""
    if principal.at_least("admin"):
        return None
    if not principal.at_least("supervisor"):
        return frozenset()
    return frozenset(principal.departments)


def covers(scope: frozenset[str] | None, departments: Iterable[str]) -> bool:
    """True when *scope* includes any of *departments* (an agent in several departments is in
    the scope of each of their departments' supervisors)."""
    return scope is None or any(d in scope for d in departments)


def may_steer(principal: Principal, target_role: str, target_departments: Collection[str]) -> bool:
    """Whether *principal* may change the state of, or log out, a user with *target_role* in
    *target_departments*: admins anyone; supervisors the agents of their own departments only."""
    if principal.at_least("admin"):
        return True
    return target_role == "agent" and covers(supervised(principal), target_departments)


def scoped_frame(principal: Principal, frame: Mapping[str, Any]) -> Mapping[str, Any]:
    """A ``queue_snapshot`` *frame* (routing's supervisor view) as *principal* may see it: their
    departments' queues and agents, the totals summed over those queues (an admin's, and any other
    frame, unchanged)."""
    scope = supervised(principal)
    if scope is None or frame.get("type") != "queue_snapshot":
        return frame
    cut = dict(frame)
    queues = [q for q in frame.get("queues", ()) if q.get("department") in scope]
    if "queues" in frame:
        cut["queues"] = queues
    if "agents" in frame:
        cut["agents"] = [a for a in frame["agents"] if covers(scope, a.get("departments") or ())]
    if "totals" in frame:
        cut["totals"] = {key: sum(int(q.get(key) or 0) for q in queues) for key in TOTAL_KEYS}
    return cut
