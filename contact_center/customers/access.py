"""Who may read a customer's data: least privilege for agents.

Supervisors and admins read every customer. An agent reads a customer only through a
conversation they may see: one of that customer's conversations is in one of the agent's
departments, unrouted, or assigned to the agent. Anything else answers 404, like a customer
that does not exist, so ids cannot be walked. Searches that list customers apply
:func:`visible_conversation` the same way.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import exists, or_, select

from contact_center.auth.roles import Principal
from contact_center.errors import NotFound
from contact_center.store.session import Database
from contact_center.store.tables import Conversation, Department


def visible_conversation(principal: Principal) -> Any:
    """A SQL condition on ``Conversation`` (joined to nothing): the conversations *principal* may see."""
    in_departments = select(Department.id).where(Department.slug.in_(principal.departments))
    return or_(Conversation.department_id.is_(None), Conversation.department_id.in_(in_departments),
               Conversation.assigned_user_id == principal.id)


async def may_read_customer(db: Database, principal: Principal, customer_id: int) -> bool:
    """Whether *principal* may read customer *customer_id*'s data (see the module docstring)."""
    if principal.at_least("supervisor"):
        return True
    async with db.session() as s:
        query = select(exists().where(Conversation.customer_id == customer_id, visible_conversation(principal)))
        return bool((await s.execute(query)).scalar())


async def require_customer_access(db: Database, principal: Principal, customer_id: int) -> None:
    """Raise :class:`NotFound` unless *principal* may read customer *customer_id*."""
    if not await may_read_customer(db, principal, customer_id):
        raise NotFound(f"customer {customer_id} does not exist")
