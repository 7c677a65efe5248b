"""The stateful routing service: queues, offers, timeouts, wrap-up, overflow and abandon.

It loads what it needs, asks the pure modules (:mod:`routing.rules`, :mod:`routing.selection`)
what to do, applies the result through one atomic :class:`~routing.reservations.Reservations`
step, then writes the conversation's status in the store and tells everyone on the bus.

Each instance keeps a mirror of the agents to choose from; the reservation step re-checks the
agent atomically, so a stale mirror only costs a failed claim (after which the mirror is
refreshed), never a contact given to two agents.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import secrets
import time
from collections.abc import Callable
from dataclasses import replace

from contact_center.errors import Conflict, NotFound
from contact_center.inbox.conversations import Action
from routing.agent_index import AgentIndex
from routing.config import QueuePolicy, RoutingConfig
from routing.locks import KeyedLocks
from routing.model import ASSIGNED, OFFERED, WAITING, AgentState, ContactState
from routing.notifier import RoutingNotifier
from routing.reservations import Outcome, Reservations
from routing.rules import Decision
from routing.selection import Need, choose, eligible, need_of, plan, queue_rank
from routing.store import ConversationInfo, ConversationStatus, Org, RoutingRepository
from routing.wrapup import WrapUp, wrap_up_for

log = logging.getLogger(__name__)
DISPATCH_BATCH = 50  # waiting contacts looked at per queue in one dispatch pass


def conversation_of(offer_id: str) -> int:
    """The conversation an offer id belongs to (ids look like ``<conversation>.<random>``).

    Raises:
        NotFound: not an offer id.
    """
    head, _, _ = offer_id.partition(".")
    if not head.isdigit():
        raise NotFound(f"no offer {offer_id!r}")
    return int(head)


class Router:
    """Queues and offers for every department and channel. One per application."""

    def __init__(self, *, config: RoutingConfig, reservations: Reservations, repository: RoutingRepository,
                 conversations: ConversationStatus, notifier: RoutingNotifier,
                 clock: Callable[[], float] = time.time) -> None:
        self.config = config
        self.reservations = reservations
        self.repository = repository
        self.conversations = conversations
        self.notifier = notifier
        self.clock = clock
        self.org = Org({}, {}, [])
        self.index = AgentIndex()  # this instance's mirror, with the ready agents sorted per strategy
        self.agents: dict[int, AgentState] = self.index.agents
        self._dirty: set[int] = set()
        self._reloading: list[set[int]] = []  # per load_org running: agents updated while it reads them all
        self._kick = asyncio.Event()
        self._locks = KeyedLocks()
        self.changed = asyncio.Event()  # set on every state change (the supervisor view listens)

    # ----------------------------------------------------------------------- organisation

    async def load_org(self) -> None:
        """(Re)load departments, queues and agent profiles from the store."""
        self.org = await self.repository.load_org()
        config = self.config
        blocks = {busy: list(blocked) for busy, blocked in config.blocks.items()}
        profiles = [replace(a, total_capacity=a.total_capacity or config.total_capacity, blocks=blocks)
                    for a in self.org.agents]
        await self.reservations.upsert_agents(profiles, prune=True)
        changed: set[int] = set()
        self._reloading.append(changed)
        try:
            self.index = AgentIndex(sorted(await self.reservations.agents(), key=lambda a: a.user_id))
            # An agent changed meanwhile (presence set while the agents were read) may be stale in
            # the new mirror: read them again before the next decision.
            self._dirty |= changed
        finally:
            self._reloading.remove(changed)
        self.agents = self.index.agents
        self.touch()

    def queue_slug(self, department: str, channel: str) -> str:
        return f"{department}.{channel}"

    def policy(self, queue: str, channel: str) -> QueuePolicy:
        row = self.org.queues.get(queue)
        department = self.org.departments.get(row.department if row is not None else queue.rpartition(".")[0])
        return self.config.policy(queue, channel, row, department.wrap_up if department is not None else None)

    def update(self, *agents: AgentState | None) -> None:
        """Take fresher agent states into the mirror."""
        for agent in agents:
            if agent is not None:
                self.index.update(agent)
                self._dirty.discard(agent.user_id)
                for changed in self._reloading:
                    changed.add(agent.user_id)

    def mark_dirty(self, user_id: int | None) -> None:
        """Another instance changed this agent: reload it before the next dispatch."""
        if user_id is not None:
            self._dirty.add(user_id)

    def kick(self) -> None:
        """Ask for a dispatch pass soon."""
        self._kick.set()
        self.touch()

    def nudge(self) -> None:
        """Ask for a dispatch pass without marking the supervisor view changed."""
        self._kick.set()

    def touch(self) -> None:
        self.changed.set()

    # ----------------------------------------------------------------------- routing a contact

    def contact_for(self, info: ConversationInfo, decision: Decision, *, now: float,
                    enqueued_at: float | None = None) -> ContactState:
        """A waiting contact for conversation *info* as *decision* placed it."""
        queue = self.queue_slug(decision.department, info.channel)
        policy = self.policy(queue, info.channel)
        at = now if enqueued_at is None else enqueued_at
        return ContactState(
            conversation_id=info.id, channel=info.channel, department=decision.department, queue=queue,
            priority=decision.priority, enqueued_at=at, rank=queue_rank(decision.priority, at, policy.aging),
            skills=dict(decision.skills), reason=decision.reason, dispatch=info.channel != "call",
            customer_id=info.customer_id, subject=info.subject, contact_address=info.contact_address,
            service_level=policy.service_level,
        )

    def _timers(self, contact: ContactState) -> list[tuple[str, float]]:
        policy = self.policy(contact.queue, contact.channel)
        timers = []
        if policy.overflow_after is not None and policy.overflow_to and not contact.overflowed:
            timers.append((f"overflow|{contact.conversation_id}", contact.enqueued_at + policy.overflow_after))
        if policy.widen_after is not None and contact.skills and not contact.widened:
            timers.append((f"widen|{contact.conversation_id}", contact.enqueued_at + policy.widen_after))
        return timers

    async def enqueue(self, contact: ContactState, *, not_before: float | None = None) -> ContactState:
        """Track *contact* and record its routing in the store; the tracked contact if it already was.

        *not_before*: the time of the event asking for it (see :meth:`Reservations.enqueue`).
        """
        async with self._locks.hold(contact.conversation_id):
            if not await self.reservations.enqueue(contact, self._timers(contact), not_before=not_before):
                return await self.reservations.contact(contact.conversation_id) or contact
        await self._routed(contact)
        self.kick()
        return contact

    async def _routed(self, contact: ContactState) -> None:
        """Record where *contact* goes on its conversation, then announce it. Recorded here, before
        any offer, so that whoever opens the conversation (the agent it is offered to, their wrap-up
        panel choosing the department's outcomes) sees its department."""
        await self.conversations.record_routing(contact)
        await self.notifier.routed(contact)

    async def reroute(self, contact: ContactState, decision: Decision, *, why: str) -> ContactState | None:
        """Move a waiting contact to the department *decision* names (IVR digits, overflow)."""
        queue = self.queue_slug(decision.department, contact.channel)
        aging = self.policy(queue, contact.channel).aging
        moved = replace(contact, department=decision.department, queue=queue, priority=decision.priority,
                        rank=queue_rank(decision.priority, contact.enqueued_at, aging),
                        skills=dict(decision.skills), reason=f"{decision.reason} ({why})")
        async with self._locks.hold(contact.conversation_id):
            if not await self.reservations.move(moved, from_queue=contact.queue):
                return None
        await self._routed(moved)
        self.kick()
        return moved

    # ----------------------------------------------------------------------- offers

    async def _refresh_dirty(self) -> None:
        if self._dirty:
            ids, self._dirty = list(self._dirty), set()
            self.update(*await self.reservations.agents_by_id(ids))

    async def dispatch_once(self) -> int:
        """One pass: offer waiting contacts to eligible agents. Returns the number of offers made."""
        await self._refresh_dirty()
        waiting = await self.reservations.waiting(DISPATCH_BATCH)
        if not waiting:
            return 0
        now = self.clock()
        proposals = plan(waiting, self.index, now=now, reoffer_after=self.config.reoffer_after,
                         strategy_of=lambda q: self.policy(q, q.rpartition(".")[2]).strategy)
        # Different contacts to different agents: the claims and their store writes run side by side.
        outcomes = await asyncio.gather(*(self.offer(p.contact, p.agent.user_id, now=now) for p in proposals))
        made = sum(1 for out in outcomes if out.ok)
        if made < len(outcomes):
            self._kick.set()  # the mirror was stale; it is fresh now, try again
        return made

    async def offer(self, contact: ContactState, user_id: int, *, now: float, force: bool = False) -> Outcome:
        """Claim *contact* for *user_id* and send the offer; a failed claim refreshes the mirror."""
        policy = self.policy(contact.queue, contact.channel)
        offer_id = f"{contact.conversation_id}.{secrets.token_hex(6)}"
        async with self._locks.hold(contact.conversation_id):
            out = await self.reservations.claim(contact.conversation_id, user_id, offer_id, now,
                                                now + policy.offer_timeout, force=force,
                                                agent=self.agents.get(user_id))
            self.update(out.agent)
            if not out.ok:
                return out
            offered = out.contact or replace(contact, status=OFFERED, offer_id=offer_id, offer_user=user_id,
                                             offer_expires=now + policy.offer_timeout)
            await self.conversations.apply(contact.conversation_id, Action.OFFER, user_id)
        await self.notifier.offered(offered, policy.offer_timeout)
        self.touch()
        return Outcome(True, offered, out.agent)

    async def reserve_call(self, contact: ContactState) -> AgentState | None:
        """At ``newCall``: claim a free agent for the call right away (the PBX will dial them)."""
        now = self.clock()
        await self._refresh_dirty()
        need = need_of(contact, now=now, reoffer_after=self.config.reoffer_after)
        pools = [a for a in sorted(self.agents.values(), key=lambda a: a.user_id)  # the PBX dials them
                 if a.extension and contact.department in a.departments]
        strategy = self.policy(contact.queue, contact.channel).strategy
        for _ in range(3):
            agent = choose(strategy, pools, need, now)
            if agent is None:
                return None
            out = await self.offer(contact, agent.user_id, now=now, force=True)
            if out.ok:
                return out.agent
            need = Need(need.channel, need.department, need.skills, need.exclude | {agent.user_id})
        return None

    async def accept(self, user_id: int, offer_id: str) -> ContactState:
        """The agent accepts an offer.

        Raises:
            NotFound: unknown offer. Conflict: the offer is no longer theirs (expired, withdrawn).
        """
        cid = conversation_of(offer_id)
        async with self._locks.hold(cid):
            out = await self.reservations.accept(cid, user_id, offer_id, self.clock())
            self.update(out.agent)
            if not out.ok or out.contact is None:
                raise Conflict("this offer is no longer open", detail={"offer_id": offer_id})
            await self.conversations.apply(cid, Action.ACCEPT, user_id)
        await self.notifier.accepted(out.contact, offer_id)
        if out.agent is not None:
            await self.notifier.presence(out.agent)
        self.touch()
        return out.contact

    async def decline(self, user_id: int, offer_id: str, *, timed_out: bool = False,
                      reason: str | None = None) -> ContactState:
        """The agent rejects an offer, or it timed out.

        Raises:
            NotFound: unknown offer. Conflict: the offer is no longer theirs.
        """
        cid = conversation_of(offer_id)
        # An offer that ran out while the agent had no websocket left (closed, or dropped for not
        # answering heartbeats) was not ignored: it is recorded as unreachable, not toward autopause.
        reachable = not timed_out or await self.reservations.connections(user_id, "", None) > 0
        async with self._locks.hold(cid):
            out = await self.reservations.decline(cid, user_id, offer_id, self.clock(), timed_out=timed_out,
                                                  autopause_after=self.config.autopause_after, reachable=reachable)
            self.update(out.agent)
            if not out.ok or out.contact is None:
                raise Conflict("this offer is no longer open", detail={"offer_id": offer_id})
            await self.conversations.apply(cid, Action.DECLINE, user_id)
        await self.notifier.declined(out.contact, user_id, offer_id, timed_out=timed_out, reachable=reachable)
        if reason is not None:
            await self.notifier.cancelled(user_id, cid, offer_id, reason)
        if out.paused and out.agent is not None:
            log.info("agent %s set away after %s missed offers", user_id, out.agent.missed)
            await self.notifier.presence(out.agent)
        self.kick()
        return out.contact

    async def withdraw(self, agent: AgentState, reason: str) -> None:
        """Take back the agent's pending offer (they went away or offline)."""
        if agent.offer is None:
            return
        contact = await self.reservations.contact(agent.offer)
        if contact is None or contact.status != OFFERED or contact.offer_user != agent.user_id:
            return
        with contextlib.suppress(Conflict):  # answered or expired meanwhile
            await self.decline(agent.user_id, contact.offer_id or "", reason=reason)

    # ----------------------------------------------------------------------- end of a contact

    async def answered(self, conversation_id: int, user_id: int | None) -> ContactState | None:
        """A call was picked up (by *user_id* when known)."""
        async with self._locks.hold(conversation_id):
            out = await self.reservations.assign(conversation_id, user_id, self.clock())
            self.update(out.agent, out.other)
            if not out.ok or out.contact is None:
                return None
            if user_id is not None:
                await self.conversations.apply(conversation_id, Action.ASSIGN, user_id)
        contact = out.contact
        if out.other is not None:
            await self.notifier.cancelled(out.other.user_id, conversation_id, None, "answered_elsewhere")
            self.kick()
        if out.agent is not None:
            await self.notifier.presence(out.agent)
        self.touch()
        return contact

    async def finish(self, conversation_id: int, *, closed: bool = False) -> bool:
        """The assigned agent is done with the contact: wrap-up (after-contact work for the queue's
        time and, where an outcome is required, until the agent chooses one), then the next offer.
        *closed*: the conversation was closed already (its outcome recorded, or closed by someone)."""
        contact = await self.reservations.contact(conversation_id)
        if contact is None or contact.status != ASSIGNED:
            return False
        policy = self.policy(contact.queue, contact.channel)
        wrap = wrap_up_for(policy.wrap_up, policy.outcome_required, closed=closed)
        now = self.clock()
        async with self._locks.hold(conversation_id):
            out = await self.reservations.finish(conversation_id, now, wrap)
            self.update(out.agent)
            if not out.ok:
                return False
            await self.conversations.apply(conversation_id, Action.WRAP_UP if wrap.needed else Action.CLOSE)
        if out.agent is not None:
            await self.notifier.presence(out.agent, now)
        self.kick()
        return True

    async def release(self, conversation_id: int) -> bool:
        """The conversation left routing without ending (pending until a follow-up): its agent is
        free at once, without wrap-up, and routing forgets it; its status is left as it is."""
        now = self.clock()
        async with self._locks.hold(conversation_id):
            out = await self.reservations.finish(conversation_id, now, WrapUp())
            self.update(out.agent)
            if not out.ok:
                return False
        if out.agent is not None:
            await self.notifier.presence(out.agent, now)
        self.kick()
        return True

    def reserved_for(self, contact: ContactState, user_id: int) -> ContactState:
        """*contact* held for agent *user_id* first (a follow-up or callback returning to them): every
        other agent of its department is held back for ``reoffer_after`` seconds, as for a transfer."""
        target = self.agents.get(user_id)
        if target is None or contact.department not in target.departments:
            return contact
        return replace(contact, declined=self._held_back(None, contact.department, target, self.clock()))

    async def requeue(self, conversation_id: int) -> bool:
        """An assigned conversation was put back in the queue (by hand): free the agent, wait again."""
        now = self.clock()
        async with self._locks.hold(conversation_id):
            out = await self.reservations.finish(conversation_id, now, WrapUp())
            self.update(out.agent)
            if not out.ok or out.contact is None:
                return False
        old = out.contact
        aging = self.policy(old.queue, old.channel).aging
        await self.enqueue(replace(old, status=WAITING, user_id=None, enqueued_at=now, declined={},
                                   rank=queue_rank(old.priority, now, aging), reason=f"{old.reason}; requeued"))
        if out.agent is not None:
            await self.notifier.presence(out.agent, now)
        return True

    async def transfer(self, conversation_id: int, *, department: str | None = None, user_id: int | None = None,
                       why: str) -> ContactState:
        """Hand an assigned or waiting contact on: to *department* (it waits in that queue) or to
        agent *user_id* (who gets an offer at once; should they let it pass, it waits in the queue
        of the department it now belongs to). The agent who had it is free again, without wrap-up.

        Raises:
            NotFound: routing does not track the conversation (closed, or never routed).
            Conflict: it is on offer right now, or the target agent cannot take it now.
        """
        contact = await self.reservations.contact(conversation_id)
        if contact is None:
            raise NotFound(f"conversation {conversation_id} is not waiting or assigned")
        target = await self._transfer_target(contact, user_id)
        dept = department or (contact.department if target is None or contact.department in target.departments
                              else target.departments[0])
        now = self.clock()
        was_assigned, owner = contact.status == ASSIGNED, contact.user_id
        async with self._locks.hold(conversation_id):
            if was_assigned:
                out = await self.reservations.finish(conversation_id, now, WrapUp())
                self.update(out.agent)
                if not out.ok:
                    raise Conflict("the conversation changed meanwhile; try again")
                contact = out.contact or contact
                await self.conversations.apply(conversation_id, Action.REQUEUE)
                if out.agent is not None:
                    await self.notifier.presence(out.agent, now)
            elif contact.status != WAITING:
                raise Conflict("the conversation is on offer right now; try again in a moment")
        queue = self.queue_slug(dept, contact.channel)
        aging = self.policy(queue, contact.channel).aging
        moved = replace(contact, status=WAITING, user_id=None, department=dept, queue=queue, enqueued_at=now,
                        declined=self._held_back(owner, dept, target, now),
                        rank=queue_rank(contact.priority, now, aging), reason=f"{contact.reason}; {why}")
        if was_assigned:
            moved = await self.enqueue(moved)
        elif contact.queue != queue:
            async with self._locks.hold(conversation_id):
                moved_ok = await self.reservations.move(moved, from_queue=contact.queue)
            if not moved_ok:
                raise Conflict("the conversation changed meanwhile; try again")
            await self._routed(moved)
        if target is not None:
            await self.offer(moved, target.user_id, now=now)
        self.kick()
        return moved

    def _held_back(self, owner: int | None, department: str, target: AgentState | None,
                   now: float) -> dict[str, float]:
        """Who must not be offered a transferred contact for ``reoffer_after`` seconds: the agent who
        handed it on and, for a transfer to one agent, everyone else in the department (so the
        dispatcher does not give it to another agent first; should the target let it pass, the
        others get it after that time)."""
        held = {str(owner): now} if owner is not None else {}
        if target is not None:
            held.update({str(a.user_id): now for a in self.agents.values()
                         if department in a.departments and a.user_id != target.user_id})
        return held

    async def _transfer_target(self, contact: ContactState, user_id: int | None) -> AgentState | None:
        if user_id is None:
            return None
        agent = await self.reservations.agent(user_id)
        if agent is None:
            raise Conflict("that user takes no routed contacts")
        if agent.user_id == contact.user_id:
            raise Conflict("the conversation is theirs already")
        if not eligible(agent, Need(contact.channel, contact.department), self.clock()):
            raise Conflict(f"{agent.display_name or agent.username} cannot take a {contact.channel} now "
                           f"({agent.state(self.clock())})")
        return agent

    async def abandon(self, conversation_id: int) -> bool:
        """The customer left (hung up, closed the chat) before an agent took the contact."""
        async with self._locks.hold(conversation_id):
            out = await self.reservations.abandon(conversation_id, self.clock())
            self.update(out.agent)
            if not out.ok or out.contact is None:
                return False
            await self.conversations.apply(conversation_id, Action.CLOSE)
        if out.agent is not None:
            await self.notifier.cancelled(out.agent.user_id, conversation_id, out.contact.offer_id, "abandoned")
            self.kick()
        self.touch()
        return True

    async def wrap_up_over(self, user_id: int, conversation_id: int) -> None:
        """An agent's after-call work time ran out. With no outcome required (and not extended) the
        wrap-up ends: the conversation closes without an outcome and the next contact may come.
        With an outcome still required the agent stays in wrap-up (their desk says so) until they
        choose one; an extended wrap-up waits for its own timer."""
        out = await self.reservations.end_wrap(user_id, conversation_id, self.clock(), outcome_chosen=False)
        self.update(out.agent)
        held = out.agent is not None and out.agent.wrap_conversation == conversation_id
        if not held:  # over (or the wrap-up of an earlier contact, since replaced): close it
            await self.conversations.apply(conversation_id, Action.CLOSE)
        if out.agent is not None:
            await self.notifier.presence(out.agent)
        self.kick()

    async def wrap_up_done(self, user_id: int, conversation_id: int) -> bool:
        """The agent chose the outcome and is ready (or the conversation was closed): wrap-up ends now."""
        out = await self.reservations.end_wrap(user_id, conversation_id, self.clock(), outcome_chosen=True)
        self.update(out.agent)
        if not out.ok:
            return False
        if out.agent is not None:
            await self.notifier.presence(out.agent)
        self.kick()
        return True

    async def extend_wrap_up(self, user_id: int, seconds: float) -> AgentState:
        """The agent asks for more after-call work time on the contact they are wrapping up.

        Raises:
            Conflict: they are not in wrap-up.
        """
        agent = await self.reservations.agent(user_id)
        if agent is None or agent.wrap_conversation is None:
            raise Conflict("you are not wrapping up a contact")
        out = await self.reservations.extend_wrap(user_id, agent.wrap_conversation, seconds, self.clock())
        self.update(out.agent)
        if not out.ok or out.agent is None:
            raise Conflict("the wrap-up ended meanwhile")
        await self.notifier.presence(out.agent)
        return out.agent

    # ----------------------------------------------------------------------- escalation

    async def escalate(self, conversation_id: int, kind: str) -> None:
        """Overflow to another queue, or widen the skills a contact needs, after its wait."""
        contact = await self.reservations.contact(conversation_id)
        if contact is None or contact.status == ASSIGNED:
            return
        if contact.status != WAITING:  # on offer right now: look again when the offer is settled
            await self.reservations.add_timer(f"{kind}|{conversation_id}", contact.offer_expires + 0.05)
            return
        waited = self.clock() - contact.enqueued_at
        if kind == "widen":
            changed = replace(contact, skills={}, widened=True,
                              reason=f"{contact.reason}; skills widened after {waited:.0f}s")
        else:
            target = self.policy(contact.queue, contact.channel).overflow_to
            if not target:
                return
            department = target.partition(".")[0]
            changed = replace(contact, department=department, queue=target, overflowed=True,
                              reason=f"{contact.reason}; overflow after {waited:.0f}s -> {target}")
        async with self._locks.hold(conversation_id):
            if not await self.reservations.move(changed, from_queue=contact.queue):
                return
        await self._routed(changed)
        self.kick()

    # ----------------------------------------------------------------------- loops

    async def run_dispatcher(self) -> None:
        """Dispatch whenever something may have made an offer possible."""
        while True:
            await self._kick.wait()
            self._kick.clear()
            try:
                await self.dispatch_once()
            except Exception:
                log.exception("dispatch pass failed")
                await asyncio.sleep(0.5)
