"""``GET /api/v1/search``: customers and conversations by name, number, address or text.

Agents see the conversations of their departments (and unrouted ones and their own); customers
are listed for everyone who may open a customer. Every search that returns customers is audited
(which customers the user was shown, for which query).
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable

from aiohttp import web

from contact_center import keys
from contact_center.errors import ValidationError
from contact_center.http.auth import current_user
from contact_center.http.bodies import optional_int
from contact_center.inbox.conversations import STATUSES
from contact_center.inbox.schemas import CONVERSATION
from contact_center.inbox.search import OPEN, Search, SearchIndexer, running_indexer
from contact_center.store.tables import CHANNELS

SEARCH = web.AppKey("search", Search)
KINDS = {"all": ("customers", "conversations"), "customers": ("customers",), "conversations": ("conversations",)}
MAX_LIMIT = 100
MAX_QUERY = 200
MIN_QUERY_CHARS = 2
DEFAULT_INTERVAL = 2.0

_CUSTOMER_HIT = {"type": "object", "required": ["id", "display_name"], "properties": {
    "id": {"type": "integer"}, "display_name": {"type": "string"}, "company": {"type": ["string", "null"]},
    "external_key": {"type": ["string", "null"]},
    "restricted": {"type": "boolean", "description": "only name and number: the user may not read this customer"},
    "identities": {"type": "array", "items": {"type": "object"}}}}


async def search(request: web.Request) -> web.Response:
    principal = await current_user(request)
    query = (request.query.get("q") or "").strip()
    if len(query) > MAX_QUERY:
        raise ValidationError("q", f"'q' is longer than {MAX_QUERY} characters")
    finder = request.app[SEARCH]
    tokens = finder.tokens(query)
    if not tokens or max(len(t) for t in tokens) < MIN_QUERY_CHARS:
        raise ValidationError("q", f"'q' needs a word or number of at least {MIN_QUERY_CHARS} letters or digits")
    kind = request.query.get("kind", "all")
    if kind not in KINDS:
        raise ValidationError("kind", f"'kind' must be one of {', '.join(KINDS)}")
    channel = request.query.get("channel") or None
    if channel is not None and channel not in CHANNELS:
        raise ValidationError("channel", f"'channel' must be one of {', '.join(CHANNELS)}")
    status = request.query.get("status") or None
    if status is not None and status not in (OPEN, *STATUSES):
        raise ValidationError("status", f"'status' must be one of {', '.join((OPEN, *STATUSES))}")
    page = await finder.find(
        query, principal=principal, kinds=KINDS[kind], offset=optional_int(request.query, "offset", low=0) or 0,
        limit=optional_int(request.query, "limit", low=1, high=MAX_LIMIT) or 20, channel=channel, status=status)
    shown = [c["id"] for c in page.customers] + [c["customer_id"] for c in page.conversations if c["customer_id"]]
    if shown:
        await request.app[keys.AUDIT].record(request, action="customer_search", object_type="search",
                                             detail={"query": query, "customers": sorted(set(shown))})
    return web.json_response({"query": query, "tokens": tokens, **page.to_dict()})


def _search_ctx() -> Callable[[web.Application], AsyncIterator[None]]:
    async def ctx(app: web.Application) -> AsyncIterator[None]:
        settings = app[keys.SETTINGS]
        indexer = SearchIndexer(app[keys.DB])
        app[SEARCH] = Search(app[keys.DB], indexer, default_region=settings.default_region)
        interval = float(settings.section("search").get("index_interval_seconds", DEFAULT_INTERVAL))
        async with running_indexer(indexer, interval):
            yield

    return ctx


def register(app: web.Application) -> None:
    """Add ``GET /api/v1/search`` and the background indexer."""
    app.cleanup_ctx.append(_search_ctx())
    app.router.add_get("/api/v1/search", search)
    page = {"type": "integer", "minimum": 0}
    app[keys.API].add(
        "GET", "/api/v1/search", tag="inbox",
        summary="Customers and conversations by name (any accents, Greek or Latin), customer number, company, "
                "phone number in any format, email, subject, message or note text (audited)",
        parameters=[
            {"name": "q", "in": "query", "required": True, "schema": {"type": "string", "maxLength": MAX_QUERY}},
            {"name": "kind", "in": "query", "schema": {"type": "string", "enum": list(KINDS)}},
            {"name": "channel", "in": "query", "schema": {"type": "string", "enum": list(CHANNELS)}},
            {"name": "status", "in": "query", "schema": {"type": "string", "enum": [OPEN, *STATUSES]},
             "description": "conversations in this status ('open': any but closed)"},
            {"name": "offset", "in": "query", "schema": page},
            {"name": "limit", "in": "query", "schema": {"type": "integer", "minimum": 1, "maximum": MAX_LIMIT}},
        ],
        response={"type": "object", "properties": {
            "query": {"type": "string"}, "tokens": {"type": "array", "items": {"type": "string"}},
            "customers": {"type": "array", "items": _CUSTOMER_HIT}, "customers_total": page,
            "conversations": {"type": "array", "items": CONVERSATION}, "conversations_total": page}},
        errors=(401, 422))
