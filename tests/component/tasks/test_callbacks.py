"""Callbacks end to end on the real app: a missed call becomes a callback routed to the call's
department, missed calls from the same number merge into it, another agent takes it and calls back
(outbound CTI events linked to it), records the outcome, and the customer's timeline shows it all."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import func, select, update

from contact_center import keys
from contact_center.events import CallEnded
from contact_center.store.tables import Call, Conversation, Department, MissedCallNotice, Task
from contact_center.tasks import TASKS
from routing.services import ROUTING
from tests.component.routing.conftest import agent_socket, conversation_row, eventually
from tests.component.tasks.conftest import cti, missed_call

CALLER = "+4917012345678"

WAIT = 30.0  # seconds a step may take on a loaded machine (the test asserts what happens, not when)


async def _callbacks(ra) -> list[Conversation]:
    async with ra.db.session() as s:
        return list((await s.execute(select(Conversation).where(Conversation.channel == "callback"))).scalars())


async def _status(ra, cid: int, status: str):
    row = await conversation_row(ra.db, cid)
    return row if row.status == status else None


@pytest.mark.timeout(180)
async def test_a_missed_call_becomes_one_callback_that_another_agent_calls_back(start_tasks) -> None:
    """The call rang agent 1, who missed it: agent 1 gets a missed-call notice, agent 2 (sales, available)
    gets the callback offer with the caller's customer, a second missed call merges into it, agent 2's
    outbound call to the number is linked and followed, and the outcome closes the callback."""
    ra = await start_tasks()
    customer = await ra.app[keys.CUSTOMERS].create("Maria Schneider", identities=[("phone", CALLER, None)])
    async with agent_socket(ra, "agent_sales_2") as agent:
        await agent.next("presence", presence="available", within=WAIT)
        await missed_call(ra, "in-1", CALLER, users=["agent_sales_1"])
        offer = await agent.next("offer", channel="callback", within=WAIT)
        cid = offer["conversation_id"]
        assert offer["department"] == "sales"
        await missed_call(ra, "in-2", "0170 12345678")  # the same number, written another way
        await eventually(lambda: _merged(ra, 2), within=WAIT)
        assert [c.id for c in await _callbacks(ra)] == [cid]
        await agent.request({"type": "offer.accept", "offer_id": offer["offer_id"]})
        row = await eventually(lambda: _status(ra, cid, "assigned"), within=WAIT)
        assert (row.customer_id, row.contact_address) == (customer.id, CALLER)

        async with await ra.login("agent_sales_2") as http:
            tasks = (await (await http.get(f"/api/v1/conversations/{cid}/tasks")).json())["tasks"]
            assert [(t["kind"], t["number"], t["missed_calls"], t["department"]) for t in tasks] == [
                ("callback", CALLER, 2, "sales")]
            task_id = tasks[0]["id"]
            await cti(ra, "newCall", callId="out-1", direction="out", **{"from": "202", "to": CALLER},
                      user=["agent_sales_2"])
            await eventually(lambda: _attempt(agent, "ringing"), within=WAIT)
            await cti(ra, "answer", callId="out-1", answeringNumber=CALLER)
            await eventually(lambda: _attempt(agent, "answered"), within=WAIT)
            await cti(ra, "hangup", callId="out-1", cause="normalClearing")
            ended = await eventually(lambda: _attempt(agent, "ended"), within=WAIT)
            assert ended["attempts"] == 1
            resp = await http.post(f"/api/v1/tasks/{task_id}/outcome",
                                   json={"outcome": "reached", "note": "Invoice explained"})
            assert resp.status == 200, await resp.text()
            assert (await resp.json())["task"]["status"] == "done"
            row = await eventually(lambda: _status(ra, cid, "closed"), within=WAIT)
            assert row.disposition == "reached"
            timeline = await (await http.get(f"/api/v1/customers/{customer.id}/timeline")).json()
        kinds = [(i["type"], i.get("channel")) for i in timeline["items"]]
        assert {("task", "callback"), ("note", "callback"), ("conversation", "call")} <= set(kinds)
        done = next(i for i in timeline["items"] if i["type"] == "task")
        assert (done["outcome"], done["attempts"], done["missed_calls"]) == ("reached", 1, 2)
        callback = next(i for i in timeline["items"] if i["type"] == "conversation" and i["channel"] == "callback")
        assert callback["task"]["outcome"] == "reached"

    async with await ra.login("agent_sales_1") as first:
        notices = (await (await first.get("/api/v1/desk/missed-calls")).json())["notices"]
        assert [(n["call_id"], n["number"], n["customer_name"]) for n in notices] == [
            ("in-1", CALLER, "Maria Schneider")]
        from_call = (await (await first.get(f"/api/v1/conversations/{notices[0]['conversation_id']}/tasks")).json())
        assert [(t["kind"], t["outcome"], t["conversation_id"]) for t in from_call["tasks"]] == [
            ("callback", "reached", cid)]  # the missed call shows the callback it made
        resp = await first.post(f"/api/v1/desk/missed-calls/{notices[0]['id']}/dismiss")
        assert resp.status == 200
        assert (await (await first.get("/api/v1/desk/missed-calls")).json())["notices"] == []

    await missed_call(ra, "in-3", CALLER)  # after the callback is done, a new missed call opens a new one
    assert len(await eventually(lambda: _count(ra, 2), within=WAIT)) == 2


@pytest.mark.timeout(180)
async def test_a_call_given_up_before_it_was_routed_is_called_back_by_the_line_it_dialled(start_tasks) -> None:
    """The caller hung up within moments, before routing recorded the call's department (a clean-clone
    browser run caught the race): the callback still goes to the department of the number dialled,
    not to the default department (service). The race is made certain here: the call is stored as the hook stores
    it, without a department, and its end is announced."""
    ra = await start_tasks()
    complaints_line = "+4930123450333"  # the complaints line, by DNIS (no rule names it)
    async with ra.db.session() as s:
        await s.execute(update(Department).where(Department.slug == "complaints").values(numbers=[complaints_line]))
        call = Conversation(channel="call", status="closed", contact_address=CALLER)
        s.add(call)
        await s.flush()
        s.add(Call(call_id="in-early", pbx="pbx", conversation_id=call.id, direction="in", from_number=CALLER,
                   to_number=complaints_line, state="ended"))
        source_id = call.id
    await ra.app[ROUTING].router.load_org()
    async with agent_socket(ra, "agent_complaints_1") as agent:
        await agent.next("presence", presence="available", within=WAIT)
        await ra.app[keys.BUS].publish(CallEnded(call_id="in-early", conversation_id=source_id, cause="cancel",
                                                 missed=True))
        offer = await agent.next("offer", channel="callback", within=WAIT)
        assert offer["department"] == "complaints"
        async with await ra.login("agent_complaints_1") as http:
            tasks = (await (await http.get(f"/api/v1/conversations/{offer['conversation_id']}/tasks")).json())["tasks"]
        assert [(t["kind"], t["source_conversation_id"], t["department"]) for t in tasks] == [
            ("callback", source_id, "complaints")]


def _attempt(agent, state: str):
    """The latest task frame whose attempt out-1 is in *state*."""
    for frame in reversed(agent.of("task")):
        if [(c["call_id"], c["state"]) for c in frame["task"]["calls"] if c["role"] == "attempt"] == [("out-1", state)]:
            return frame["task"]
    return None


async def _merged(ra, calls: int):
    async with ra.db.session() as s:
        return (await s.execute(select(Task).where(Task.missed_calls == calls))).scalar_one_or_none()


async def _count(ra, n: int):
    found = await _callbacks(ra)
    return found if len(found) == n else None


@pytest.mark.timeout(180)
async def test_an_unreached_customer_is_tried_again_by_the_same_agent(start_tasks) -> None:
    """"No answer, try again at …": the callback is pending, the agent free; at that time it is offered
    again to the same agent first (their colleague, also available, is held back)."""
    ra = await start_tasks()
    async with agent_socket(ra, "agent_sales_1") as first, agent_socket(ra, "agent_sales_2") as second:
        await first.next("presence", presence="available", within=WAIT)
        await second.next("presence", presence="available", within=WAIT)
        await missed_call(ra, "in-1", CALLER)
        offer = None
        while offer is None:
            found = first.of("offer", channel="callback") + second.of("offer", channel="callback")
            offer = found[0] if found else None
            if offer is None:
                await eventually(lambda: first.of("offer") or second.of("offer"), within=WAIT)
        owner = first if first.of("offer", channel="callback") else second
        name = "agent_sales_1" if owner is first else "agent_sales_2"
        cid = offer["conversation_id"]
        await owner.request({"type": "offer.accept", "offer_id": offer["offer_id"]})
        await eventually(lambda: _status(ra, cid, "assigned"), within=WAIT)
        async with await ra.login(name) as http:
            task_id = (await (await http.get(f"/api/v1/conversations/{cid}/tasks")).json())["tasks"][0]["id"]
            retry = (dt.datetime.now(dt.UTC) + dt.timedelta(seconds=1)).isoformat()
            resp = await http.post(f"/api/v1/tasks/{task_id}/outcome", json={"outcome": "no_answer", "retry_at": retry})
            assert resp.status == 200, await resp.text()
            assert (await resp.json())["task"]["status"] == "open"
        row = await eventually(lambda: _status(ra, cid, "pending"), within=WAIT)
        assert row.disposition == "no_answer"
        due = await owner.next("task_due", within=WAIT)
        assert due["task"]["id"] == task_id
        again = await owner.next("offer", count=2, channel="callback", within=WAIT)
        assert again["conversation_id"] == cid
        other = second if owner is first else first
        assert other.of("offer", conversation_id=cid) == []


@pytest.mark.timeout(180)
async def test_missed_calls_read_by_two_listeners_make_one_callback(start_tasks) -> None:
    """Every instance hears every call event: the same missed call taken twice (and two at once) makes one
    callback with the call counted once, and one notice per agent."""
    ra = await start_tasks(callbacks=True)
    await missed_call(ra, "in-1", CALLER, users=["agent_sales_1"])
    await eventually(lambda: _count(ra, 1), within=WAIT)
    tasks = ra.app[TASKS]
    facts = await tasks.store.call_facts("in-1")
    assert facts is not None
    again = [await tasks.store.add_missed_call("in-1", facts), await tasks.store.add_missed_call("in-1", facts)]
    assert again == [None, None]
    async with ra.db.session() as s:
        assert (await s.execute(select(Task.missed_calls))).scalars().all() == [1]
        assert (await s.execute(select(func.count()).select_from(MissedCallNotice))).scalar() == 1


@pytest.mark.timeout(180)
async def test_no_callback_without_a_number_or_when_switched_off(start_tasks) -> None:
    """An anonymous caller leaves a notice but no callback; with [tasks] callbacks = false, none at all."""
    ra = await start_tasks(callbacks=False)
    await missed_call(ra, "in-1", CALLER)
    await cti(ra, "newCall", callId="in-2", direction="in", to="+493012345000", user=["agent_sales_1"],
              **{"from": "anonymous"})
    await cti(ra, "hangup", callId="in-2", cause="cancel")
    async with await ra.login("agent_sales_1") as http:
        notices = await eventually(lambda: _notices(http), within=WAIT)
    assert [n["call_id"] for n in notices] == ["in-2"]
    assert await _callbacks(ra) == []


async def _notices(http):
    body = await (await http.get("/api/v1/desk/missed-calls")).json()
    return body["notices"]
