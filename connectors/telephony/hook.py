"""``POST /api/v1/cti/{token}``: the generic CTI hook (Zammad generic CTI / sipgate.io push).

The route checks the token (one per configured PBX), reads the JSON or form body, parses it
(:mod:`.parse`) and hands the event to :class:`CtiHook`, which stores it, announces it on the
bus and answers the PBX:

* ``{}``, or for ``newCall`` ``{"action": "reject", "reason": "busy"}`` when the caller is on
  ``[telephony] blocked_numbers``; for an outbound ``newCall`` the caller id from the PBX's
  caller-id table; for an inbound one on a PBX with ``route_inbound`` the call director's
  ``{"action": "dial", "number": …}`` (asked with a short timeout; ``{}`` when it is slow, absent,
  fails or would dial the number that was called). See :mod:`.replies`.
* A repeated post answers exactly as the first did and changes nothing.

For an ``answer`` on a leg this instance has seen, the event is announced *before* the store
write completes (the write is still awaited before the PBX gets its reply, so nothing
acknowledged is lost): the screen pop, prepared at ring, is handed to the agent's socket first
(through the :class:`~contact_center.ports.PopHandOff` port, called here rather than through the
bus so that exactly one instance pops), then the event is published and stored. A ``hangup`` or
``dtmf`` is stored first and announced from the stored call: behind a load balancer the leg's
earlier events may have reached another instance (an answer there), and only the store knows
whether the call was answered or missed.

The pop is the point of the product, so an ``answer`` to a call ringing here (and not answered
yet) by an agent the directory knows is popped before anything else is done with it
(:meth:`PopHandOff.pop_now`): before the digest, the call-state step and the bus. What decides
that is exactly what makes the call-state step announce a ``CallAnswered`` for that agent, and
nothing awaits between the two; a repeated ``answer`` finds the call answered and pops nothing.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections import OrderedDict
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy.exc import InterfaceError, OperationalError
from sqlalchemy.exc import TimeoutError as SATimeoutError

from connectors.telephony.agents import AgentDirectory
from connectors.telephony.parse import CtiEvent, digest, is_blocked
from connectors.telephony.replies import REJECT_BUSY, dials_elsewhere, director_reply, outbound_reply
from contact_center.bus.base import Bus
from contact_center.config.pbx import PbxConnection, PbxTokens
from contact_center.customers.repository import CustomerRepository
from contact_center.errors import AuthError, ConfigError, Unavailable
from contact_center.events import CallAnswered, CallRang, Event
from contact_center.http.metrics import Metrics
from contact_center.ingest.calls import CallWriter, Outcome, Post
from contact_center.ingest.callstate import CallFacts, apply, events_for
from contact_center.ingest.writer_process import BatchFailed, WriterGone
from contact_center.ports import CallDirector, PopHandOff, ShownPop
from contact_center.settings import Settings, positive_number

log = logging.getLogger(__name__)

_FAST_EVENTS = ("answer",)  # announced before the store write (see the module docstring)
_RETRY_AFTER = 1  # seconds, for a PBX told to post again
# What a store that cannot take a write raises through the call writer: a locked or read-only
# SQLite file, a database that is down or refuses connections, the writer process gone.
STORE_DOWN: tuple[type[BaseException], ...] = (OperationalError, InterfaceError, SATimeoutError, OSError, BatchFailed,
                                               WriterGone)


@dataclass(frozen=True)
class TelephonyConfig:
    """``[telephony]``: ``blocked_numbers`` (any format), ``director_timeout_ms`` (default 300),
    ``store_wait_ms`` (default 5000: how long a post waits for the store before a 503)."""

    blocked: frozenset[str] = frozenset()
    director_timeout: float = 0.3
    store_wait: float = 5.0

    @classmethod
    def from_settings(cls, settings: Settings, normalise: Callable[[str], str | None]) -> TelephonyConfig:
        return cls.from_section(settings.section("telephony"), normalise)

    @classmethod
    def from_section(cls, raw: Mapping[str, Any], normalise: Callable[[str], str | None]) -> TelephonyConfig:
        """Validate ``[telephony]`` (at start-up and for every live change).

        Raises:
            ConfigError: naming the key.
        """
        numbers = raw.get("blocked_numbers", [])
        if not isinstance(numbers, list):
            raise ConfigError("telephony.blocked_numbers must be a list of numbers")
        timeout_ms, wait_ms = (positive_number(raw, "telephony", name, default, integer=True)
                               for name, default in (("director_timeout_ms", 300), ("store_wait_ms", 5000)))
        blocked = {normalise(str(n)) or str(n).strip() for n in numbers}
        return cls(blocked=frozenset(blocked), director_timeout=timeout_ms / 1000, store_wait=wait_ms / 1000)


@dataclass(frozen=True)
class _Memo:
    facts: CallFacts
    conversation_id: int
    customer_id: int | None


class CtiHook:
    """Turns parsed CTI events into stored calls, bus events and PBX replies."""

    def __init__(
        self, *, pbxs: Iterable[PbxConnection], writer: CallWriter, directory: AgentDirectory,
        customers: CustomerRepository, bus: Bus, config: TelephonyConfig, metrics: Metrics,
        director: Callable[[], CallDirector | None], pops: PopHandOff | None = None, max_memo: int = 50_000,
    ) -> None:
        self._pbxs = PbxTokens(pbxs)
        self._writer = writer
        self._directory = directory
        self._customers = customers
        self._bus = bus
        self._config = config
        self._metrics = metrics
        self._director = director
        self._pops = pops
        self._max_memo = max_memo
        self._seen: OrderedDict[str, asyncio.Future[dict[str, Any]]] = OrderedDict()
        self._tasks: set[asyncio.Future[Any]] = set()
        self._calls: OrderedDict[str, _Memo] = OrderedDict()

    @property
    def writer(self) -> CallWriter:
        """The call store this hook writes to."""
        return self._writer

    def pbx_for(self, token: str) -> PbxConnection:
        """The PBX whose token this is (found by the token's hash; an expired rotation token no longer counts).

        Raises:
            AuthError: no PBX has this token.
        """
        found = self._pbxs.find(token, now=time.time())
        if found is None:
            raise AuthError("invalid token, please contact your admin")
        return found

    def reconfigure(self, *, pbxs: Iterable[PbxConnection] | None = None,
                    config: TelephonyConfig | None = None) -> None:
        """Take a live change: the PBXs and their tokens, or ``[telephony]`` (blocked numbers, timeouts)."""
        if pbxs is not None:
            self._pbxs = PbxTokens(pbxs)
        if config is not None:
            self._config = config

    async def handle(self, pbx: PbxConnection, event: CtiEvent) -> dict[str, Any]:
        """Store and announce *event*; return the reply for the PBX (the same for a repeat).

        Raises:
            Unavailable: the store did not take the event within ``store_wait_ms`` (locked, down)
                or failed to; the PBX should post it again (``Retry-After``). The event is still
                being processed meanwhile: a repeat waits for that same outcome, and one posted
                after it failed is processed afresh, so nothing is lost or stored twice.
        """
        shown = self._pop_first(event) if event.event == "answer" and self._pops is not None else None
        self._metrics.inc("cc_cti_events_total", event=event.event, pbx=pbx.name)
        key = digest(pbx.name, event)
        fut = self._seen.get(key)
        if fut is None:
            fut = asyncio.get_running_loop().create_future()
            self._remember(self._seen, key, fut, self._max_memo * 4)
            # Processed in its own task: it goes on when the PBX stops waiting (or the wait below ends).
            task = asyncio.create_task(self._settle(fut, pbx, event, key, shown), name=f"cti-{event.event}")
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)
        try:
            async with asyncio.timeout(self._config.store_wait):
                return dict(await asyncio.shield(fut))
        except TimeoutError:
            self._metrics.inc("cc_cti_store_waits_total", pbx=pbx.name)
            raise Unavailable("the call store is busy; post the event again", retry_after=_RETRY_AFTER) from None
        except STORE_DOWN as exc:
            raise Unavailable(f"the call store is unavailable ({type(exc).__name__}); post the event again",
                              retry_after=_RETRY_AFTER) from exc

    async def _settle(self, fut: asyncio.Future[dict[str, Any]], pbx: PbxConnection, event: CtiEvent, key: str,
                      shown: ShownPop | None) -> None:
        try:
            reply = await self._process(pbx, event, key, shown)
        except BaseException as exc:
            self._seen.pop(key, None)  # failed: a repeat is processed afresh
            fut.set_exception(exc if isinstance(exc, Exception) else RuntimeError("cancelled"))
            fut.exception()  # retrieved: nobody may be waiting for it (the waiters raise it)
            if not isinstance(exc, Exception):
                raise
            return
        fut.set_result(reply)

    async def close(self) -> None:
        """Let the events being processed finish (their writes are under way), within a few seconds."""
        if self._tasks:
            await asyncio.wait(set(self._tasks), timeout=5)

    def _pop_first(self, event: CtiEvent) -> ShownPop | None:
        """Pop an answer to a call ringing here at once (see the module docstring); what was shown, or None."""
        memo = self._calls.get(event.call_id)
        if memo is None or memo.facts.state != "ringing" or memo.facts.answered_at is not None or event.voicemail:
            return None
        user_id = self._directory.known(event.answering_number, event.users or event.user_ids)
        if user_id is None:
            return None
        assert self._pops is not None
        return self._pops.pop_now(call_id=event.call_id, conversation_id=memo.conversation_id, user_id=user_id)

    async def _process(self, pbx: PbxConnection, ev: CtiEvent, key: str,
                       shown: ShownPop | None = None) -> dict[str, Any]:
        from_number = self._customers.normalise("phone", ev.from_raw)
        to_number = self._customers.normalise("phone", ev.to_raw)
        customer_number = to_number if ev.direction == "out" else from_number
        blocked = is_blocked(ev, customer_number, self._config.blocked)
        reply: dict[str, Any] = dict(REJECT_BUSY) if blocked else {}
        if ev.event == "newCall" and ev.direction == "out":
            reply = outbound_reply(pbx.caller_id_routes, pbx.default_caller_id, ev.to_raw)
        user_id = await self._answering(ev)
        post = Post(pbx=pbx.name, event=ev, digest=key, reply=reply, user_id=user_id, from_number=from_number,
                    to_number=to_number)
        memo = self._calls.get(ev.call_id)
        if memo is not None and ev.event in _FAST_EVENTS:
            return await self._process_known(memo, post, shown)
        if memo is None and ev.event == "answer" and not blocked and customer_number and self._pops is not None:
            # Answered, never seen ringing here: let the pop identify the caller and start its
            # source reads now, while the write below runs (a cold pop waits for both, not the sum).
            self._pops.anticipate(customer_number)
        outcome = await self._writer.store(post)
        if outcome.duplicate or outcome.after is None or outcome.conversation_id is None:
            return outcome.reply
        self._learn(ev.call_id, outcome)
        ringing = await self._directory.ringing(ev.users) if ev.event == "newCall" else ()
        events = [] if blocked else events_for(
            outcome.before, outcome.after, ev, conversation_id=outcome.conversation_id,
            customer_id=outcome.customer_id, candidate_ids=outcome.candidate_ids, ringing_user_ids=ringing)
        for event in events:
            row = await self._announce(event, outcome.after.customer_number,
                                       ambiguous=len(outcome.candidate_ids) > 1)
            if row is not None:
                self._writer.audit(row)  # the answer is stored already: the row goes with the next batch
        rang = next((e for e in events if isinstance(e, CallRang)), None)
        if rang is not None and rang.direction == "in" and pbx.route_inbound:
            directed = await self._direct(rang)
            if directed and self._dials_elsewhere(directed, ev, to_number):
                await self._writer.set_reply(key, directed)
                return directed
        return outcome.reply

    def _dials_elsewhere(self, directed: dict[str, Any], ev: CtiEvent, to_number: str | None) -> bool:
        """False for a ``dial`` back to the number that was called (as sent or normalised): it would loop."""
        dialled = self._customers.normalise("phone", str(directed.get("number", "")))
        return dials_elsewhere(directed, (ev.to_raw, to_number)) and (dialled is None or dialled != to_number)

    async def _answering(self, ev: CtiEvent) -> int | None:
        """The agent an answer or hangup names (never a voicemail box): by number or name, then sipgate's user id."""
        if ev.event not in ("answer", "hangup") or ev.voicemail:
            return None
        found = await self._directory.answering(ev.answering_number, ev.users)
        if found is None and ev.user_ids:
            found = await self._directory.answering(None, ev.user_ids[:1])
        return found

    async def _process_known(self, memo: _Memo, post: Post, shown: ShownPop | None) -> dict[str, Any]:
        """An answer on a leg this instance knows: announced first, then stored."""
        ev = post.event
        after = apply(memo.facts, ev, pbx=post.pbx, at=post.at, from_number=post.from_number,
                      to_number=post.to_number, user_id=post.user_id)
        self._memo(ev.call_id, _Memo(after, memo.conversation_id, memo.customer_id))
        for event in events_for(memo.facts, after, ev, conversation_id=memo.conversation_id,
                                customer_id=memo.customer_id):
            row = await self._announce(event, after.customer_number, shown=shown)
            shown = None if isinstance(event, CallAnswered) else shown
            if row is not None:
                post.audit.append(row)
        if shown is not None:  # shown, though no CallAnswered came of it (cannot happen): audited all the same
            post.audit.append(shown.audit)
        outcome = await self._store_audited(post)
        self._learn(ev.call_id, outcome)
        return outcome.reply

    async def _announce(self, event: Event, address: str | None, *, ambiguous: bool = False,
                        shown: ShownPop | None = None) -> dict[str, Any] | None:
        """Publish *event*; an answer pops first (agent's socket before the bus). Returns a shown pop's audit row.

        *shown*: the pop :meth:`_pop_first` already showed for this answer.
        """
        row = None
        if isinstance(event, CallAnswered) and self._pops is not None:
            row = await self._pops.answered(event, address=address, ambiguous=ambiguous, record=self._writer.audit,
                                            shown=shown)
        await self._bus.publish(event)
        return row

    async def _store_audited(self, post: Post) -> Outcome:
        """Store *post* with its audit rows; if that fails, the rows still reach the audit writer."""
        try:
            return await self._writer.store(post)
        except BaseException:
            if self._pops is not None:
                for row in post.audit:
                    self._pops.record(row)
            raise

    async def _direct(self, rang: CallRang) -> dict[str, Any]:
        director = self._director()
        if director is None:
            return {}
        # Routing the call goes on when the PBX cannot wait for it: cancelled half-way, the call
        # could be tracked with no offer made (the bus's CallRang would then find it routed).
        task = asyncio.ensure_future(director.direct_call(rang))
        try:
            async with asyncio.timeout(self._config.director_timeout):
                decision = await asyncio.shield(task)
        except TimeoutError:
            log.warning("call director gave no answer for %s within %.0f ms", rang.call_id,
                        self._config.director_timeout * 1000)
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)
            task.add_done_callback(_finished_late)
            return {}
        except Exception:
            log.exception("call director failed for %s", rang.call_id)
            return {}
        return director_reply(decision)

    def _learn(self, call_id: str, outcome: Outcome) -> None:
        if outcome.after is not None and outcome.conversation_id is not None:
            self._memo(call_id, _Memo(outcome.after, outcome.conversation_id, outcome.customer_id))

    def _memo(self, call_id: str, memo: _Memo) -> None:
        self._remember(self._calls, call_id, memo, self._max_memo)

    @staticmethod
    def _remember(store: OrderedDict[str, Any], key: str, value: Any, limit: int) -> None:
        store[key] = value
        store.move_to_end(key)
        while len(store) > limit:
            store.popitem(last=False)


def _finished_late(task: asyncio.Future[Any]) -> None:
    """A call director that answered after the PBX stopped waiting: log a failure (nothing else to do)."""
    if not task.cancelled() and task.exception() is not None:
        log.error("call director failed late", exc_info=task.exception())
