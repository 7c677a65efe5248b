"""The admin REST API: who may do what, bad input named, the last admin kept, secrets never shown."""

from __future__ import annotations

import asyncio
import tomllib

import aiohttp
import pytest
import tomli_w

from contact_center import keys
from tests.component.admin.conftest import ADMIN_PASSWORD, AGENT_PASSWORD, expect, first_admin, socket_of
from tests.conftest import RunningApp


async def _org(ra: RunningApp) -> aiohttp.ClientSession:
    """The first admin (logged in), a department 'sales', an agent 'anna' and a supervisor 'sue'."""
    admin = await first_admin(ra)
    await expect(await admin.post("/api/v1/departments", json={"slug": "sales", "name": "Sales"}), 201)
    for name, role in (("anna", "agent"), ("sue", "supervisor")):
        await expect(await admin.post("/api/v1/users", json={"username": name, "password": AGENT_PASSWORD,
                                                             "role": role, "departments": ["sales"]}), 201)
    return admin


@pytest.mark.parametrize(("method", "path", "body"), [
    ("POST", "/api/v1/departments", {"slug": "x1", "name": "X"}),
    ("PATCH", "/api/v1/departments/sales", {"name": "Sold"}),
    ("POST", "/api/v1/users", {"username": "zed", "password": "a-long-Password"}),
    ("PUT", "/api/v1/config/desk", {"value": {}}),
    ("POST", "/api/v1/config/pbx", {"name": "p"}),
    ("GET", "/api/v1/config/export", None),
    ("GET", "/api/v1/audit", None),
    ("POST", "/api/v1/email/test", {"smtp": {"host": "127.0.0.1", "port": 1}}),
])
async def test_changes_need_the_admin_role(empty_app: RunningApp, method: str, path: str, body: object) -> None:
    """Agents and supervisors get 403 on every change (and on the export and change log); nobody logged in gets 401."""
    admin = await _org(empty_app)
    await admin.close()
    for username in ("anna", "sue"):
        client = await empty_app.login(username, AGENT_PASSWORD)
        try:
            await expect(await client.request(method, path, json=body), 403)
        finally:
            await client.close()
    async with empty_app.session() as anonymous:
        await expect(await anonymous.request(method, path, json=body), 401)


@pytest.mark.parametrize("path", ["/api/v1/departments", "/api/v1/users", "/api/v1/config", "/api/v1/routing/rules"])
async def test_supervisors_read_what_they_plan_with(empty_app: RunningApp, path: str) -> None:
    """Supervisors read departments, users, the configuration and the rules; agents do not."""
    admin = await _org(empty_app)
    await admin.close()
    sue = await empty_app.login("sue", AGENT_PASSWORD)
    anna = await empty_app.login("anna", AGENT_PASSWORD)
    try:
        await expect(await sue.get(path), 200)
        await expect(await anna.get(path), 403)
    finally:
        await sue.close()
        await anna.close()


@pytest.mark.parametrize(("path", "body", "field"), [
    ("/api/v1/departments", {"slug": "Bad Slug", "name": "x"}, "slug"),
    ("/api/v1/departments", {"slug": "support", "name": ""}, "name"),
    ("/api/v1/departments", {"slug": "support", "name": "S", "numbers": ["not a number"]}, "numbers[0]"),
    ("/api/v1/departments", {"slug": "support", "name": "S", "email_address": "nope"}, "email_address"),
    ("/api/v1/departments", {"slug": "support", "name": "S", "hours": {"weekly": {"mon": [["18:00", "08:00"]]}}},
     "hours.weekly.mon[0]"),
    ("/api/v1/departments", {"slug": "support", "name": "S", "hours": {"out_of_hours": "voicemail"}},
     "hours.voicemail_number"),
    ("/api/v1/departments", {"slug": "support", "name": "S", "hours": {"timezone": "Mars/Base"}}, "hours.timezone"),
    ("/api/v1/users", {"username": "x", "password": "a-long-Password"}, "username"),
    ("/api/v1/users", {"username": "joe", "password": "short"}, "password"),
    ("/api/v1/users", {"username": "joe", "password": "qwerty123"}, "password"),
    ("/api/v1/users", {"username": "joe", "password": "a-long-Password", "role": "king"}, "role"),
    ("/api/v1/users", {"username": "joe", "password": "a-long-Password", "departments": ["nowhere"]}, "departments"),
    ("/api/v1/users", {"username": "joe", "password": "a-long-Password", "skills": {"lang:de": 11}},
     "skills.lang:de"),
    ("/api/v1/users", {"username": "joe", "password": "a-long-Password", "capacity": {"fax": 1}}, "capacity.fax"),
])
async def test_bad_input_is_a_4xx_naming_the_field(empty_app: RunningApp, path: str, body: dict, field: str) -> None:
    """Each bad value answers 422 with the offending field named; nothing is created."""
    admin = await _org(empty_app)
    try:
        answer = await expect(await admin.post(path, json=body), 422)
        assert answer["field"] == field
    finally:
        await admin.close()


async def test_the_last_admin_cannot_leave(empty_app: RunningApp) -> None:
    """Deactivating or demoting the only admin is refused (409); with a second admin it works."""
    admin = await _org(empty_app)
    try:
        me = (await expect(await admin.get("/api/v1/me"), 200))["user"]
        refused = await expect(await admin.patch(f"/api/v1/users/{me['id']}", json={"active": False}), 409)
        assert refused["field"] == "active"
        await expect(await admin.patch(f"/api/v1/users/{me['id']}", json={"role": "agent"}), 409)
        other = (await expect(await admin.post("/api/v1/users", json={
            "username": "ada", "password": ADMIN_PASSWORD, "role": "admin"}), 201))["user"]
        await expect(await admin.patch(f"/api/v1/users/{other['id']}", json={"active": False}), 200)
    finally:
        await admin.close()


async def test_deactivation_ends_the_users_sessions_at_once(empty_app: RunningApp) -> None:
    """A deactivated agent's open session is refused on the next request, her desk's websocket closes
    at once, and she cannot log in again."""
    admin = await _org(empty_app)
    anna = await empty_app.login("anna", AGENT_PASSWORD)
    try:
        await expect(await anna.get("/api/v1/me"), 200)
        users = (await expect(await admin.get("/api/v1/users"), 200))["users"]
        anna_id = next(u["id"] for u in users if u["username"] == "anna")
        async with socket_of(empty_app, "anna") as desk:
            await desk.next("presence")
            await expect(await admin.patch(f"/api/v1/users/{anna_id}", json={"active": False}), 200)
            async with asyncio.timeout(5):
                await desk.ws.wait_closed()
        await expect(await anna.get("/api/v1/me"), 401)
        again = await anna.post("/api/v1/auth/login", json={"username": "anna", "password": AGENT_PASSWORD})
        assert again.status == 401
    finally:
        await anna.close()
        await admin.close()


async def test_a_bad_rule_table_is_refused_whole_and_the_running_one_stays(empty_app: RunningApp) -> None:
    """A table with one bad rule answers 422 naming the rule; the version and the rules in force do not change."""
    admin = await _org(empty_app)
    try:
        before = await expect(await admin.get("/api/v1/routing/rules"), 200)
        version = (await expect(await admin.get("/api/v1/config"), 200))["version"]
        bad = [{"field": "subject", "operator": "contains_any", "value": ["buy"], "department": "sales"},
               {"field": "subject", "operator": "contains_any", "value": ["help"], "department": "nowhere"}]
        answer = await expect(await admin.put("/api/v1/config/routing", json={"value": {"rules": bad}}), 422)
        assert "line 2" in answer["message"]
        assert "nowhere" in answer["message"]
        assert (await expect(await admin.get("/api/v1/config"), 200))["version"] == version
        assert await expect(await admin.get("/api/v1/routing/rules"), 200) == before
    finally:
        await admin.close()


async def test_a_department_in_use_cannot_be_deactivated(empty_app: RunningApp) -> None:
    """While a rule sends contacts to sales, deactivating it is refused naming why; once the rule goes, it works."""
    admin = await _org(empty_app)
    try:
        rules = [{"field": "subject", "operator": "contains_any", "value": ["buy"], "department": "sales"}]
        await expect(await admin.post("/api/v1/departments", json={"slug": "service", "name": "Service"}), 201)
        await expect(await admin.put("/api/v1/config/routing", json={"value": {"rules": rules,
                                                                              "default_department": "service"}}), 200)
        refused = await expect(await admin.patch("/api/v1/departments/sales", json={"active": False}), 409)
        assert "sales" in refused["message"]
        await expect(await admin.put("/api/v1/config/routing", json={"value": {"rules": [],
                                                                              "default_department": "service"}}), 200)
        done = await expect(await admin.patch("/api/v1/departments/sales", json={"active": False}), 200)
        assert done["department"]["active"] is False
    finally:
        await admin.close()


async def test_mailbox_passwords_are_kept_encrypted_and_never_returned(empty_app: RunningApp) -> None:
    """A mailbox password is accepted, never shown by the API or the export in clear, and kept when a form omits it."""
    admin = await _org(empty_app)
    try:
        box = {"name": "support", "host": "127.0.0.1", "port": 1, "security": "none", "user": "support",
               "password": "Imap-Secret-42", "department": "sales"}
        await expect(await admin.put("/api/v1/config/email", json={"value": {"mailboxes": [box], "ingest": False}}),
                     200)
        shown = await expect(await admin.get("/api/v1/config"), 200)
        mailbox = shown["sections"]["email"]["mailboxes"][0]
        assert mailbox["password_set"] is True
        assert "Imap-Secret-42" not in str(shown)
        exported = await (await admin.get("/api/v1/config/export")).text()
        assert "Imap-Secret-42" not in exported
        assert "password_encrypted" in exported
        edited = {k: v for k, v in box.items() if k != "password"} | {"host": "localhost"}
        await expect(await admin.put("/api/v1/config/email", json={"value": {"mailboxes": [edited],
                                                                            "ingest": False}}), 200)
        runtime = empty_app.app[keys.LIVE_CONFIG].runtime_document()["email"]["mailboxes"][0]
        assert (runtime["host"], runtime["password"]) == ("localhost", "Imap-Secret-42")
    finally:
        await admin.close()


async def test_pbx_token_rotation_keeps_the_old_token_for_the_overlap(empty_app: RunningApp) -> None:
    """After a rotation both tokens work during the overlap; with no overlap the old one is refused at once."""
    admin = await _org(empty_app)
    client = empty_app.session()
    try:
        first = await expect(await admin.post("/api/v1/config/pbx", json={"name": "office"}), 200)
        second = await expect(await admin.post("/api/v1/config/pbx/office/rotate",
                                               json={"overlap_seconds": 3600}), 200)
        hangup = {"event": "hangup", "callId": "x1", "cause": "normalClearing"}
        for token in (first["token"], second["token"]):
            assert (await client.post(f"/api/v1/cti/{token}", json=hangup)).status == 200
        third = await expect(await admin.post("/api/v1/config/pbx/office/rotate", json={"overlap_seconds": 0}), 200)
        for token in (first["token"], second["token"]):
            assert (await client.post(f"/api/v1/cti/{token}", json=hangup)).status == 401
        assert (await client.post(f"/api/v1/cti/{third['token']}", json=hangup)).status == 200
    finally:
        await client.close()
        await admin.close()


async def test_config_export_and_import_round_trip(empty_app: RunningApp) -> None:
    """The exported TOML imports back unchanged; a broken document is refused whole (422) and nothing changes."""
    admin = await _org(empty_app)
    try:
        await expect(await admin.put("/api/v1/config/desk", json={"value": {"away_reasons": ["Lunch", "Training"]}}),
                     200)
        exported = await (await admin.get("/api/v1/config/export")).text()
        assert 'away_reasons = [\n    "Lunch",' in exported or 'away_reasons = ["Lunch", "Training"]' in exported
        version = (await expect(await admin.get("/api/v1/config"), 200))["version"]
        document = tomllib.loads(exported)
        document.setdefault("chat", {})["allowed_origins"] = ["not an origin"]
        broken = tomli_w.dumps(document)
        answer = await expect(await admin.post("/api/v1/config/import", data=broken.encode(),
                                               headers={"Content-Type": "text/plain"}), 422)
        assert "allowed_origins" in answer["message"]
        assert (await expect(await admin.get("/api/v1/config"), 200))["version"] == version
        same = await expect(await admin.post("/api/v1/config/import", data=exported.encode(),
                                             headers={"Content-Type": "text/plain"}), 200)
        assert same["version"] == version  # nothing differed, so no new version
        desk = await expect(await admin.get("/api/v1/desk/config"), 200)
        assert desk["away_reasons"] == ["Lunch", "Training"]
    finally:
        await admin.close()


async def test_every_change_is_in_the_change_log(empty_app: RunningApp) -> None:
    """Creating a department and a user and changing the configuration each leave who, what, before and after."""
    admin = await _org(empty_app)
    try:
        await expect(await admin.put("/api/v1/config/desk", json={"value": {"away_reasons": ["Lunch"]}}), 200)
        changes = (await expect(await admin.get("/api/v1/audit"), 200))["entries"]
        kinds = {(c["object_type"], c["object_id"], c["action"]) for c in changes}
        assert {("department", "sales", "department_create"), ("user", "anna", "user_create"),
                ("config", "desk", "config_update")} <= kinds
        desk = next(c for c in changes if c["object_type"] == "config")
        assert desk["username"] == "root"
        assert desk["after"]["away_reasons"] == ["Lunch"]
        only_users = (await expect(await admin.get("/api/v1/audit", params={"object_type": "user"}), 200))["entries"]
        assert only_users
        assert all(c["object_type"] == "user" for c in only_users)
        assert AGENT_PASSWORD not in str(changes)
    finally:
        await admin.close()
