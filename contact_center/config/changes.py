"""Admin changes in the audit log (:mod:`contact_center.audit`): who, when, from where, what, before -> after.

Every change an admin makes (configuration, departments, queues, users) is written in the same
transaction as the change itself, so a change without its audit entry cannot exist (the audit
service's group commit is a transaction of its own). The entry has the audit log's columns, so
``GET /api/v1/audit?object_type=department`` finds it: ``action`` is ``<object>_<verb>``
(``department_create``, ``config_update``, ``user_deactivate`` …). Secrets never reach the log:
documents are masked first.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from contact_center.auth.roles import Principal
from contact_center.store.tables import Audit


def record_change(session: AsyncSession, *, principal: Principal | None, remote: str | None, object_type: str,
                  object_id: str, verb: str, before: Any, after: Any) -> None:
    """Add the audit row of one admin change to *session* (committed with the change)."""
    session.add(Audit(
        user_id=principal.id if principal else None, customer_id=None, action=f"{object_type}_{verb}",
        ip=remote, object_type=object_type, object_id=str(object_id)[:64], before=before, after=after,
        detail={"by": principal.username if principal else "command line"},
    ))
