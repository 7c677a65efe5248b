"""The omnichannel inbox: conversations and messages across calls, email and chat.

* :mod:`.conversations` (pure): the conversation state machine.
* :mod:`.placement` (pure): which conversation and customer each inbound message belongs to.
* :mod:`.ingest`: storing inbound batches exactly once (with the IMAP checkpoint).
* :mod:`.repository`: reads, replies and notes, transitions, outbound delivery claims.
* :mod:`.service`: the above plus bus events; available to plugins as ``app[INBOX]``.
* :mod:`.http`: the REST API (``/api/v1/conversations``, ``/api/v1/customers/{id}``).
"""

from aiohttp import web

from contact_center.inbox.service import InboxService

INBOX = web.AppKey("inbox", InboxService)

__all__ = ["INBOX", "InboxService"]
