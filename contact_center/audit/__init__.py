"""The audit log: who read which customer's data, and who changed what, when, from where.

Every read of customer data (a customer record, a timeline, a source's history, a conversation,
its messages, a raw mail, an attachment, a screen pop) and every admin action writes one entry:
the user, the time, the client's IP address, the action, the object (type and id), the customer
concerned and, for changes, the state before and after. Admins read the log through
``GET /api/v1/audit`` (filters by user, object, customer, action and time range) and export it as
CSV (``GET /api/v1/audit/export``).

Writing is durable. The service lives under :data:`contact_center.keys.AUDIT`; call it like this::

    from contact_center import keys

    audit = request.app[keys.AUDIT]
    # a read: waits until the entry is committed (group-committed with whatever else is waiting)
    await audit.record(request, action="conversation_view", object_type="conversation", object_id=42,
                       customer_id=7)
    # a change: say what it was and what it became
    await audit.record(request, action="user_update", object_type="user", object_id=user.id,
                       before={"role": "agent"}, after={"role": "supervisor"})

``record``'s first argument says who acted: the :class:`aiohttp.web.Request` (the user resolved by
:func:`contact_center.http.auth.current_user` and the client's address are taken from it), a
:class:`~contact_center.auth.roles.Principal` (no address), an :class:`Actor`, or ``None`` for the
system itself (a scheduled job). When the store does not take the entry within
``[audit] write_timeout_seconds`` it raises :class:`~contact_center.errors.Unavailable` (503) and
the entry is withdrawn: the caller must not serve what it was about to show. Handlers therefore
record *before* they answer.

Where the data has already been shown and nothing can be failed any more (a screen pop pushed to
a socket), :meth:`AuditLog.enqueue` queues the entry and returns at once; a queued entry is retried
until the store takes it, never dropped.
"""

from contact_center.audit.log import Actor, AuditLog

__all__ = ["Actor", "AuditLog"]
