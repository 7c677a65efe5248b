"""Follow-ups on the real app: pending until the time, then back with the agent who set it (their
colleague held back), an alert, bad input refused naming the field, and due tasks claimed once even
when two schedulers look at the same moment."""

from __future__ import annotations

import asyncio
import datetime as dt

import pytest
from sqlalchemy import select

from contact_center import keys
from contact_center.events import EmailReceived
from contact_center.store.tables import Conversation, Task, utcnow
from contact_center.tasks import TASKS
from contact_center.tasks.store import TaskStore
from tests.component.routing.conftest import add_conversation, agent_socket, conversation_row, eventually

WAIT = 30.0  # seconds a step may take on a loaded machine (the test asserts what happens, not when)


async def send_email(ra, subject: str, body: str = "") -> int:
    """An inbound email for the sales mailbox, stored and announced as the email connector does."""
    cid = await add_conversation(ra.db, channel="email", subject=subject, body=body)
    await ra.app[keys.BUS].publish(EmailReceived(conversation_id=cid, message_id=cid, mailbox="sales",
                                                 department="sales", subject=subject))
    return cid


async def _status(ra, cid: int, status: str):
    row = await conversation_row(ra.db, cid)
    return row if row.status == status else None


def _soon(seconds: float = 1.0) -> str:
    return (dt.datetime.now(dt.UTC) + dt.timedelta(seconds=seconds)).isoformat()


@pytest.mark.timeout(180)
async def test_a_follow_up_brings_the_email_back_to_the_agent_who_set_it(start_tasks) -> None:
    """The agent sets a follow-up: the email is pending and the agent free; when it is due it is offered
    to that agent (not to the colleague who is also available) and the agent gets a "task_due" alert."""
    ra = await start_tasks()
    async with agent_socket(ra, "agent_sales_1") as first, agent_socket(ra, "agent_sales_2") as second:
        await first.next("presence", presence="available", within=WAIT)
        await second.next("presence", presence="available", within=WAIT)
        cid = await send_email(ra, "Quote for 40 routers", "Please send a quote")
        offer = await eventually(lambda: [*first.of("offer", conversation_id=cid),
                                          *second.of("offer", conversation_id=cid)], within=WAIT)
        owner, name = (first, "agent_sales_1") if first.of("offer", conversation_id=cid) else (second, "agent_sales_2")
        other = second if owner is first else first
        await owner.request({"type": "offer.accept", "offer_id": offer[0]["offer_id"]})
        await eventually(lambda: _status(ra, cid, "assigned"), within=WAIT)
        async with await ra.login(name) as http:
            resp = await http.post(f"/api/v1/conversations/{cid}/follow-up",
                                   json={"at": _soon(), "note": "Check the supplier's answer"})
            assert resp.status == 200, await resp.text()
            task = (await resp.json())["task"]
        assert (task["kind"], task["status"], task["note"]) == ("follow_up", "open", "Check the supplier's answer")
        row = await eventually(lambda: _status(ra, cid, "pending"), within=WAIT)
        assert row.assigned_user_id == ra.users[name]
        due = await owner.next("task_due", within=WAIT)
        assert due["task"]["conversation_id"] == cid
        again = await owner.next("offer", conversation_id=cid, count=2, within=WAIT)
        assert "follow-up" in again["reason"] or "follow_up" in again["reason"]
        assert other.of("offer", conversation_id=cid) == []
    async with ra.db.session() as s:
        done = (await s.execute(select(Task).where(Task.conversation_id == cid))).scalar_one()
    assert (done.status, done.open_key, done.due_at) == ("done", None, None)


@pytest.mark.timeout(180)
async def test_follow_up_input_is_checked_and_a_cancel_requeues(start_tasks) -> None:
    """A time in the past or without an offset is 422 naming "at"; a waiting email is 409; another
    department's agent gets 404; cancelling a follow-up queues the conversation again at once."""
    ra = await start_tasks()
    cid = await send_email(ra, "Where is my order?")
    async with await ra.login("agent_sales_1") as http:
        waiting = await http.post(f"/api/v1/conversations/{cid}/follow-up", json={"at": _soon(3600)})
        assert waiting.status == 409
        await http.patch(f"/api/v1/conversations/{cid}", json={"action": "assign"})
        await eventually(lambda: _status(ra, cid, "assigned"), within=WAIT)
        for body in ({}, {"at": "2020-01-01T00:00:00Z"}, {"at": "2030-01-01T09:00:00"}, {"at": "soon"}, {"at": 5}):
            resp = await http.post(f"/api/v1/conversations/{cid}/follow-up", json=body)
            assert resp.status == 422, body
            assert (await resp.json())["field"] == "at"
        async with await ra.login("agent_complaints_1") as stranger:
            refused = await stranger.post(f"/api/v1/conversations/{cid}/follow-up", json={"at": _soon(3600)})
            assert refused.status == 404
        resp = await http.post(f"/api/v1/conversations/{cid}/follow-up", json={"at": _soon(3600)})
        assert resp.status == 200
        await eventually(lambda: _status(ra, cid, "pending"), within=WAIT)
        resp = await http.delete(f"/api/v1/conversations/{cid}/follow-up")
        assert resp.status == 200
        assert (await resp.json())["task"]["status"] == "cancelled"
        await eventually(lambda: _status(ra, cid, "queued"), within=WAIT)
        assert (await http.delete(f"/api/v1/conversations/{cid}/follow-up")).status == 404
        bad = await http.post("/api/v1/tasks/999999/outcome", json={"outcome": "reached"})
        assert bad.status == 404


@pytest.mark.timeout(180)
async def test_two_schedulers_claim_each_due_task_once(start_tasks) -> None:
    """Two claimers (two instances) looking at the same moment: every due task is woken exactly once."""
    ra = await start_tasks(scheduler_interval_seconds=3600)  # the app's own scheduler stays out of the way
    assert ra.app[TASKS] is not None  # the service is up, its scheduler idle
    past = utcnow() - dt.timedelta(seconds=1)
    async with ra.db.session() as s:
        ids = []
        for n in range(12):
            conv = Conversation(channel="email", status="pending", contact_address=f"c{n}@example.test")
            s.add(conv)
            await s.flush()
            s.add(Task(kind="follow_up", open_key=f"follow_up:{conv.id}", conversation_id=conv.id, due_at=past,
                       attempts=0, missed_calls=0))
            ids.append(conv.id)
    one, two = TaskStore(ra.db), TaskStore(ra.db)
    first, second = await asyncio.gather(one.claim_due(utcnow(), limit=50), two.claim_due(utcnow(), limit=50))
    claimed = [d.task["conversation_id"] for d in first + second]
    assert sorted(claimed) == sorted(ids)
    assert all(d.woken for d in first + second)
    async with ra.db.session() as s:
        statuses = (await s.execute(select(Conversation.status).where(Conversation.id.in_(ids)))).scalars().all()
    assert set(statuses) == {"queued"}
