"""The screen-pop service: prefetch at ring, deliver at answer, follow up late sections.

Listens on the bus:

* ``CallRang``: load who is calling, start fetching every source for them, show the caller to
  the agents the PBX named as ringing (``call_ringing``), and once every source has answered,
  compose and encode the call's pop ahead (*prepared*), so the answer only has to send it.
* ``OfferMade``: load the contact's context and start fetching its sources (the panel is ready
  when the agent opens the conversation, :meth:`ScreenPopService.pop_for`).
* ``OfferAccepted`` for an email or chat: the pop (``call_id`` null) to the agent.
* ``CallEnded``: ``call_ended`` to the agents who were rung or answered.
* ``CustomersMerged`` / ``CustomersUnmerged``: forget cached contexts and prepared pops.

The answer itself does not come through the bus: the service is the
:class:`~contact_center.ports.PopHandOff` port, which the CTI hook drives on its own instance,
so exactly one instance pops (every instance sees a ``CallAnswered`` on a shared bus). A hook
that knows, before doing anything else with an answer, that it answers a call ringing here,
first calls :meth:`ScreenPopService.pop_now`, which hands a prepared pop to the agent's sockets
on this instance synchronously, and passes what it returns to :meth:`answered` (which then only
tells the other instances and returns the audit row). A prepared, still valid pop goes out at once;
otherwise the pop is composed in its own task (a slow source never holds up another pop), and a
``screen_pop_section`` follows for every section that answers after its deadline. Every pop
delivered is audited.

Frames go to a user's sockets on this instance directly (:class:`~contact_center.ports.LocalDelivery`,
when the agent UI runs here) and then as ``UserNotified`` with this instance as origin, which the
user's sockets on other instances receive. ``call_ringing`` and ``call_ended`` come from events
that every instance receives, so each instance sends them to its own sockets only.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections import OrderedDict
from collections.abc import Callable, Coroutine
from typing import TYPE_CHECKING, Any

from sqlalchemy import select

from contact_center.auth.roles import Principal
from contact_center.bus.base import Bus
from contact_center.channels import pops_at_accept
from contact_center.customers.repository import CustomerRecord, CustomerRepository
from contact_center.customers.timeline import visible_entries
from contact_center.errors import Forbidden, NotFound, ValidationError
from contact_center.events import (
    CallAnswered,
    CallEnded,
    CallRang,
    CustomersMerged,
    CustomersUnmerged,
    OfferAccepted,
    OfferMade,
    UserNotified,
)
from contact_center.ports import LocalDelivery, encode_frame
from contact_center.screenpop.compose import compose_pop, ended_frame, ringing_frame, section_frame
from contact_center.screenpop.config import OWNED_AUX, ScreenPopConfig
from contact_center.screenpop.context import ContextCache, PopContext, attach
from contact_center.screenpop.prepared import Prepared, ShownPop, pop_audit
from contact_center.screenpop.reader import AheadReader
from contact_center.screenpop.suggestions import Pairs, co_purchase_pairs, owned_from_rows, pairs_from_rows, suggest
from contact_center.screenpop.viewers import Viewers
from contact_center.sources.federation import SourceFederation
from contact_center.sources.result import NO_RECORD, OK, TIMEOUT, SectionResult
from contact_center.store.session import Database
from contact_center.store.tables import Conversation, Department

if TYPE_CHECKING:
    from contact_center.audit.log import AuditLog

log = logging.getLogger(__name__)

_MAX_PREPARED = 20_000


class ScreenPopService:
    """Composes and delivers screen pops; see the module docstring for the events it handles."""

    def __init__(
        self, *, db: Database, bus: Bus, customers: CustomerRepository, federation: SourceFederation,
        config: ScreenPopConfig, audit: AuditLog,
        local: Callable[[], LocalDelivery | None] = lambda: None,
        clock: Callable[[], float] = time.monotonic, reader: AheadReader | None = None,
    ) -> None:
        self._db = db
        self._bus = bus
        self._customers = customers
        self._federation = federation
        self._config = config
        self.audit = audit
        self._local = local
        self._clock = clock
        self._prepared: OrderedDict[int, Prepared] = OrderedDict()
        self.contexts = ContextCache(db, customers, ttl_seconds=config.cache_ttl_seconds,
                                     timeline_limit=config.timeline_limit, on_customer=self._prefetch, reader=reader)
        self.viewers = Viewers(db)  # who answers sees the timeline cut to what they may see
        self._pairs: Pairs = {}
        self.pairs_loaded = asyncio.Event()  # set once the co-purchase table has been read
        self._tasks: set[asyncio.Task[Any]] = set()
        self._unsubscribe: Any = None

    def start(self) -> None:
        """Subscribe to the bus and start refreshing the co-purchase table."""
        self._unsubscribe = self._bus.subscribe(
            self._on_event, CallRang, CallEnded, OfferMade, OfferAccepted, CustomersMerged, CustomersUnmerged)
        if self._config.suggestions is not None:
            self._spawn(self._refresh_pairs())

    async def close(self) -> None:
        if self._unsubscribe:
            self._unsubscribe()
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        await self.contexts.close()

    def _spawn(self, coro: Coroutine[Any, Any, Any]) -> None:
        task = asyncio.create_task(coro)
        self._tasks.add(task)
        task.add_done_callback(self._done)

    def _done(self, task: asyncio.Task[Any]) -> None:
        self._tasks.discard(task)
        if not task.cancelled() and task.exception() is not None:
            log.error("screen pop task failed", exc_info=task.exception())

    async def _on_event(self, event: Any) -> None:
        if isinstance(event, CallRang):
            address = event.to_number if event.direction == "out" else event.from_number
            pending = self.contexts.for_call(conversation_id=event.conversation_id, address=address,
                                             customer_id=event.customer_id, ambiguous=len(event.candidate_ids) > 1)
            if pending.done() and not event.ringing_user_ids:
                await self._ring(event, pending)  # an unknown caller nobody is rung for: nothing waits
            else:
                self._spawn(self._ring(event, pending))
        elif isinstance(event, OfferAccepted):
            self._spawn(self._offer_accepted(event))
        elif isinstance(event, OfferMade):
            self.offered(event.conversation_id)
            if self.viewers.known(event.user_id) is None:
                self._spawn(self.viewers.get(event.user_id))
        elif isinstance(event, CallEnded):
            if self._ended_users(event):
                self._spawn(self._ended(event))
        elif isinstance(event, CustomersMerged | CustomersUnmerged):
            self.contexts.clear()
            self._prepared.clear()

    async def _notify(self, user_id: int, frame: dict[str, Any], encoded: bytes | None = None, *,
                      here_only: bool = False) -> None:
        """*frame* to *user_id*'s sockets: this instance's directly, the others' through the bus.

        *here_only* for frames caused by events every instance receives (``CallRang``,
        ``CallEnded`` on a shared bus): each instance then serves its own sockets, once each.
        """
        local = self._local()
        if local is not None and local.deliver(user_id, frame, encoded):
            await asyncio.sleep(0)  # let the socket's sender write it before anything else runs here
        if here_only and local is not None:
            return
        await self._tell_others(user_id, frame, local)

    async def _tell_others(self, user_id: int, frame: dict[str, Any], local: LocalDelivery | None) -> None:
        """*frame* for *user_id*'s sockets on the other instances (all of them without a local port)."""
        await self._bus.publish(UserNotified(user_id=user_id, frame=frame,
                                             origin=local.instance if local is not None else None))

    # ------------------------------------------------------------------ ring, answer, end

    def _prefetch(self, customer: CustomerRecord) -> None:
        # The sources are fetched while the timeline is still being read.
        if customer.external_key:
            self._federation.prefetch(customer.external_key)

    async def _ring(self, event: CallRang, pending: asyncio.Future[PopContext]) -> None:
        ctx = await pending
        ctx.ringing_user_ids = tuple(event.ringing_user_ids)
        for user_id in event.ringing_user_ids:  # read ahead: the answer must not wait for the store
            await self.viewers.get(user_id)
        if ctx.customer_key:
            self._federation.prefetch(ctx.customer_key)
        if event.ringing_user_ids:
            frame = ringing_frame(
                call_id=event.call_id, conversation_id=event.conversation_id, from_number=event.from_number,
                to_number=event.to_number, direction=event.direction, queue=event.queue,
                customer=ctx.customer.to_dict() if ctx.customer else None,
                candidates=[c.to_dict() for c in ctx.candidates])
            for user_id in event.ringing_user_ids:
                await self._notify(user_id, frame, here_only=True)
        await self._prepare(event.call_id, ctx)

    async def _prepare(self, call_id: str, ctx: PopContext) -> None:
        """Compose and encode the pop ahead once every source has answered (see the module docstring)."""
        key = ctx.customer_key
        if key is not None:
            await self._federation.sections(key)  # until each source's own deadline
            if not self._federation.ready(key):
                return  # a section is late or failed: the answer composes it (with follow-ups)
        if self.contexts.peek(ctx.conversation_id) is not ctx:
            return
        sections = await self._sections(ctx)
        pop = self._compose(ctx, call_id, sections)
        self._prepared[ctx.conversation_id] = Prepared(
            call_id=call_id, ctx=ctx, generation=self._federation.generation(key) if key else None, frame=pop,
            encoded=encode_frame(pop), statuses={n: r.status for n, r in sections.items()}, at=self._clock())
        while len(self._prepared) > _MAX_PREPARED:
            self._prepared.popitem(last=False)

    def prepared_call(self, call_id: str) -> bool:
        """Whether the pop of ringing call *call_id* is prepared and current (answering it sends at once)."""
        return any(p.call_id == call_id and self._current(p, call_id) for p in self._prepared.values())

    def _current(self, prepared: Prepared, call_id: str) -> bool:
        """The prepared pop still shows what a pop composed now would (same context, same results)."""
        key = prepared.ctx.customer_key
        return (prepared.call_id == call_id and self._clock() - prepared.at <= self._config.cache_ttl_seconds
                and self.contexts.peek(prepared.ctx.conversation_id) is prepared.ctx
                and (key is None or (self._federation.ready(key)
                                     and self._federation.generation(key) == prepared.generation)))

    def anticipate(self, address: str) -> None:
        """The port's ``anticipate``: start reading who is behind phone *address* (see :mod:`.context`)."""
        self.contexts.anticipate("phone", address)

    def record(self, row: dict[str, Any]) -> None:
        """The port's ``record``: *row* goes to the durable audit log."""
        self.audit.enqueue(**row)

    def pop_now(self, *, call_id: str, conversation_id: int, user_id: int) -> ShownPop | None:
        """Hand ringing call *call_id*'s prepared pop to *user_id*'s sockets here, without awaiting.

        For a connector that has just read an answer by *user_id* to a call ringing here and has
        not stored it yet (the store write comes after: the agent sees the pop the moment the PBX
        reports the answer). ``None`` when no current pop is prepared or there is no local agent UI;
        the caller then goes on as usual. Otherwise the caller must pass the result to
        :meth:`answered` for the answer's ``CallAnswered``.
        """
        local = self._local()
        prepared = self._prepared.get(conversation_id)
        viewer = self.viewers.known(user_id)
        if local is None or prepared is None or viewer is None or not self._current(prepared, call_id):
            return None
        del self._prepared[conversation_id]
        prepared.ctx.answered_user_ids.add(user_id)
        frame, encoded = _for_viewer(prepared.frame, prepared.encoded, viewer.cut(prepared.frame["timeline"]))
        local.deliver(user_id, frame, encoded)
        return ShownPop(call_id=call_id, user_id=user_id, frame=frame,
                        audit=pop_audit(user_id, prepared.ctx, call_id, prepared.statuses))

    async def answered(self, event: CallAnswered, *, address: str | None = None, ambiguous: bool = False,
                       record: Callable[[dict[str, Any]], None] | None = None,
                       shown: ShownPop | None = None) -> dict[str, Any] | None:
        """Pop the call to the agent who answered it; called by the connector that stored the answer.

        A prepared, current pop is handed to the agent's sockets before this first awaits, and
        its audit row (``audit`` table columns) is returned: the caller writes it in the same
        transaction as the answer, so it is as durable as the event (and, should that write
        fail, passes it to :meth:`AuditLog.enqueue`). Otherwise composing runs in its own task
        (with the caller's *address* and the hook's identification, a call never seen ringing
        here costs no conversation read), its audit row goes to *record* (the caller's own
        writer) or the audit writer, and this returns ``None``, as it does when the agent is unknown.

        *shown*: what :meth:`pop_now` returned for this answer; the pop then only goes to the
        agent's sockets on the other instances, and its audit row is returned.
        """
        if shown is not None:
            await self._tell_others(shown.user_id, shown.frame, self._local())
            if shown.call_id == event.call_id and shown.user_id == event.user_id:
                return shown.audit
            (record or (lambda row: self.audit.enqueue(**row)))(shown.audit)  # shown all the same: audited
        if event.user_id is None:
            return None
        prepared = self._prepared.pop(event.conversation_id, None)
        if prepared is None or not self._current(prepared, event.call_id):
            if address is not None and not self.contexts.known(event.conversation_id):
                self.contexts.for_call(conversation_id=event.conversation_id, address=address,
                                       customer_id=event.customer_id, ambiguous=ambiguous)
            self._spawn(self.deliver(event.conversation_id, event.user_id, call_id=event.call_id, record=record))
            return None
        ctx = prepared.ctx
        ctx.answered_user_ids.add(event.user_id)
        viewer = self.viewers.known(event.user_id) or await self.viewers.get(event.user_id)
        frame, encoded = _for_viewer(prepared.frame, prepared.encoded, viewer.cut(prepared.frame["timeline"]))
        await self._notify(event.user_id, frame, encoded)
        return pop_audit(event.user_id, ctx, event.call_id, prepared.statuses)

    def _compose(self, ctx: PopContext, call_id: str | None, sections: dict[str, SectionResult]) -> dict[str, Any]:
        return compose_pop(
            call_id=call_id, conversation_id=ctx.conversation_id, channel=ctx.channel, address=ctx.address,
            customer=ctx.customer.to_dict() if ctx.customer else None,
            candidates=[c.to_dict() for c in ctx.candidates], sections=sections, timeline=ctx.timeline,
            suggestions=self._suggest(sections))

    async def deliver(self, conversation_id: int, user_id: int, *, call_id: str | None,
                      record: Callable[[dict[str, Any]], None] | None = None) -> dict[str, Any]:
        """Compose the pop for *conversation_id*, push it to *user_id*, audit it (through *record*); returns it."""
        ctx, sections, pop, late = await self._pop(conversation_id, user_id, call_id)
        cut = (await self.viewers.get(user_id)).cut(pop["timeline"])
        if cut is not None:
            pop["timeline"] = cut
        await self._notify(user_id, pop)
        row = pop_audit(user_id, ctx, call_id, {n: r.status for n, r in sections.items()})
        if record is not None:
            record(row)
        else:
            self.audit.enqueue(**row)
        for task in late:
            self._spawn(self._follow_up(task, ctx, user_id, call_id))
        return pop

    async def _pop(self, conversation_id: int, user_id: int, call_id: str | None) -> tuple[
            PopContext, dict[str, SectionResult], dict[str, Any], list[asyncio.Task[SectionResult]]]:
        """The context, sections and composed pop of *conversation_id*, and the late sections' tasks."""
        ctx = await self.contexts.get(conversation_id)
        ctx.answered_user_ids.add(user_id)
        sections = await self._sections(ctx)
        pop = self._compose(ctx, call_id, sections)
        key = ctx.customer_key  # the late sections' queries are taken now: one may finish while the pop is sent
        late = [task for name, result in sections.items()
                if key and result.status == TIMEOUT and (task := self._federation.pending(key, name)) is not None]
        return ctx, sections, pop, late

    async def pop_for(self, principal: Principal, conversation_id: int, *, audit_as: Any) -> dict[str, Any]:
        """The customer panel of any conversation the user may see, on request (an email or chat
        opened from the inbox, a call after a reload): the same frame as a pop, with the timeline
        cut to what *principal* may see. Recorded in the audit log (as *audit_as*, the request)
        before it is returned; sections that answer late follow over the user's sockets.

        Raises:
            NotFound: no such conversation.
            Forbidden: another department's conversation.
        """
        conv = await self.check_access(principal, conversation_id)
        call_id = conv.external_ref if conv.channel == "call" else None
        ctx, sections, pop, late = await self._pop(conversation_id, principal.id, call_id)
        pop["timeline"] = visible_entries(pop["timeline"], principal)
        await self.audit.record(audit_as, action="customer_panel", object_type="conversation",
                                object_id=conversation_id, customer_id=ctx.customer.id if ctx.customer else None,
                                detail={"sections": {n: r.status for n, r in sections.items()}})
        for task in late:
            self._spawn(self._follow_up(task, ctx, principal.id, call_id))
        return pop

    def offered(self, conversation_id: int) -> None:
        """A contact was offered: load who it is with and start fetching their sources now, so the
        panel is ready when the agent opens it."""
        self.contexts.get(conversation_id)

    async def _sections(self, ctx: PopContext) -> dict[str, SectionResult]:
        if ctx.customer is None:
            return {}
        if ctx.customer_key is None:
            return {n: SectionResult(name=n, title=s.title, status=NO_RECORD)
                    for n, s in self._federation.specs.items()}
        return await self._federation.sections(ctx.customer_key)

    async def _follow_up(self, task: asyncio.Task[SectionResult], ctx: PopContext, user_id: int,
                         call_id: str | None) -> None:
        result = await asyncio.shield(task)
        feeds = self._config.suggestions is not None and result.name == self._config.suggestions.source
        frame = section_frame(call_id=call_id, conversation_id=ctx.conversation_id, result=result,
                              suggestions=self._suggest({result.name: result}) if feeds else None)
        await self._notify(user_id, frame)
        if result.status == OK:
            self.audit.enqueue(user_id=user_id, customer_id=ctx.customer.id if ctx.customer else None,
                              action="screen_pop_section",
                              detail={"conversation_id": ctx.conversation_id, "call_id": call_id,
                                      "section": result.name})

    def _ended_users(self, event: CallEnded) -> set[int]:
        ctx = self.contexts.peek(event.conversation_id)
        users = set(ctx.ringing_user_ids) | ctx.answered_user_ids if ctx else set()
        if event.user_id is not None:
            users.add(event.user_id)
        return users

    async def _ended(self, event: CallEnded) -> None:
        users = self._ended_users(event)
        frame = ended_frame(call_id=event.call_id, conversation_id=event.conversation_id, cause=event.cause,
                            missed=event.missed)
        for user_id in sorted(users):
            await self._notify(user_id, frame, here_only=True)

    async def _offer_accepted(self, event: OfferAccepted) -> None:
        async with self._db.session() as s:
            channel = (await s.execute(select(Conversation.channel).where(
                Conversation.id == event.conversation_id))).scalar_one_or_none()
        if channel is not None and pops_at_accept(channel):
            await self.deliver(event.conversation_id, event.user_id, call_id=None)

    # ------------------------------------------------------------------ agents choosing a customer

    async def assign_customer(self, principal: Principal, conversation_id: int, customer_id: int) -> dict[str, Any]:
        """Link *conversation_id* to *customer_id* (the agent chose or created them) and re-pop.

        Raises:
            NotFound: no such conversation or customer.
            Forbidden: the conversation belongs to a department the agent does not see.
        """
        await self.check_access(principal, conversation_id)
        customer = await self._customers.get(customer_id)
        if customer is None:
            raise NotFound(f"customer {customer_id} does not exist")
        async with self._db.session() as s:
            await attach(s, conversation_id, customer.id)
        self.contexts.get(conversation_id, refresh=True)
        call_id = await self._call_id(conversation_id)
        return await self.deliver(conversation_id, principal.id, call_id=call_id)

    async def check_access(self, principal: Principal, conversation_id: int) -> Conversation:
        """The conversation, if *principal* may see it.

        Raises:
            NotFound: no such conversation.
            Forbidden: another department's conversation.
        """
        async with self._db.session() as s:
            row = (await s.execute(select(Conversation, Department.slug).outerjoin(
                Department, Department.id == Conversation.department_id).where(
                Conversation.id == conversation_id))).one_or_none()
        if row is None:
            raise NotFound(f"conversation {conversation_id} does not exist")
        if not principal.sees_department(row[1]) and row[0].assigned_user_id != principal.id:
            raise Forbidden("this conversation belongs to another department")
        return row[0]  # type: ignore[no-any-return]

    async def _call_id(self, conversation_id: int) -> str | None:
        async with self._db.session() as s:
            return (await s.execute(select(Conversation.external_ref).where(
                Conversation.id == conversation_id, Conversation.channel == "call"))).scalar_one_or_none()

    async def pick_command(self, principal: Principal, frame: dict[str, Any]) -> dict[str, Any] | None:
        """Agent command ``pick_customer`` ``{conversation_id, customer_id}``: the new pop follows."""
        try:
            conversation_id, customer_id = int(frame["conversation_id"]), int(frame["customer_id"])
        except (KeyError, TypeError, ValueError) as exc:
            raise ValidationError("conversation_id", "conversation_id and customer_id must be integers") from exc
        await self.assign_customer(principal, conversation_id, customer_id)
        return None

    # ------------------------------------------------------------------ suggestions

    def _suggest(self, sections: dict[str, SectionResult]) -> list[dict[str, Any]]:
        cfg = self._config.suggestions
        result = sections.get(cfg.source) if cfg else None
        if cfg is None or result is None or result.status != OK:
            return []
        return suggest(owned_from_rows(result.aux.get(OWNED_AUX, [])), self._pairs, limit=cfg.limit)

    async def _refresh_pairs(self) -> None:
        cfg = self._config.suggestions
        assert cfg is not None
        while True:
            try:
                if cfg.pairs_query:
                    self._pairs = pairs_from_rows(await self._federation.query(cfg.source, cfg.pairs_query))
                elif cfg.items_query:
                    rows = await self._federation.query(cfg.source, cfg.items_query)
                    lines = [tuple(r.values())[:2] for r in rows]
                    self._pairs = await asyncio.to_thread(co_purchase_pairs, lines)  # type: ignore[arg-type]
                self.pairs_loaded.set()
            except Exception as exc:
                log.warning("co-purchase table not refreshed: %s", exc)
            await asyncio.sleep(cfg.refresh_seconds)


def _for_viewer(frame: dict[str, Any], encoded: bytes,
                cut: list[dict[str, Any]] | None) -> tuple[dict[str, Any], bytes]:
    """A prepared pop as one agent may see it: as prepared, or with its timeline *cut* (encoded anew)."""
    if cut is None:
        return frame, encoded
    mine = {**frame, "timeline": cut}
    return mine, encode_frame(mine)
