"""A small call-center world for component tests: source databases, a PBX, agents on websockets.

Shared by the telephony, screenpop and agent_ui component tests (imported, not a conftest).
"""

from __future__ import annotations

import asyncio
import json
import sqlite3
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import aiohttp
import websockets

import agent_ui
import connectors.telephony
from contact_center import keys
from contact_center.settings import Settings, SourceSettings
from tests.conftest import RunningApp, seed_org

TOKEN = "pbx-token-0123456789"
OTHER_TOKEN = "second-pbx-token-42"
PLUGINS = [("agent_ui", agent_ui.register), ("telephony", connectors.telephony.register)]
# About a quarter of a second of real SQLite work: longer than the slow source's deadline.
SLOW_QUERY = ("WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < 500000) "
              "SELECT count(*) AS counted, :customer_key AS customer_key FROM c")


def write_sources(folder: Path) -> dict[str, Path]:
    """Three tiny source databases keyed by ``customer_key``: sales, accounting, credit."""
    folder.mkdir(parents=True, exist_ok=True)
    scripts = {
        "sales": """
            CREATE TABLE orders (id INTEGER PRIMARY KEY, customer_key TEXT, product TEXT, ordered_at TEXT);
            INSERT INTO orders (customer_key, product, ordered_at) VALUES
              ('C-1', 'router', '2024-05-01'), ('C-1', 'cable', '2024-05-01'),
              ('C-2', 'router', '2024-04-01'), ('C-2', 'switch', '2024-04-01'),
              ('C-3', 'router', '2024-03-01'), ('C-3', 'switch', '2024-03-01'), ('C-3', 'antenna', '2024-03-01'),
              ('C-4', 'cable', '2024-02-01'), ('C-4', 'antenna', '2024-02-01');
            CREATE TABLE lines (order_id TEXT, product TEXT);
            INSERT INTO lines SELECT customer_key || ordered_at, product FROM orders;
        """,
        "accounting": """
            CREATE TABLE balances (customer_key TEXT PRIMARY KEY, balance REAL, overdue INTEGER);
            INSERT INTO balances VALUES ('C-1', 120.5, 1), ('C-2', 0, 0);
        """,
        "credit": """
            CREATE TABLE credit (customer_key TEXT PRIMARY KEY, credit_limit REAL, terms TEXT);
            INSERT INTO credit VALUES ('C-1', 5000, 'net 30');
        """,
    }
    paths = {}
    for name, script in scripts.items():
        path = folder / f"{name}.db"
        with sqlite3.connect(path) as conn:
            conn.executescript(script)
        conn.close()
        paths[name] = path
    return paths


def source_settings(paths: dict[str, Path], *, slow: bool = False, dead: bool = False) -> tuple[SourceSettings, ...]:
    """Sources over :func:`write_sources`; optionally a slow one and one whose file is gone."""
    url = {n: f"sqlite+aiosqlite:///{p}" for n, p in paths.items()}
    out = [
        SourceSettings(name="sales", title="Recent purchases", url=url["sales"], timeout_ms=2000,
                       query="SELECT product, ordered_at FROM orders WHERE customer_key = :customer_key "
                             "ORDER BY ordered_at DESC, id",
                       history_query="SELECT product, ordered_at FROM orders WHERE customer_key = :customer_key"),
        SourceSettings(name="accounting", title="Balance", url=url["accounting"], kind="row", timeout_ms=2000,
                       query="SELECT balance, overdue FROM balances WHERE customer_key = :customer_key"),
    ]
    if slow:
        out.append(SourceSettings(name="credit", title="Credit", url=url["credit"], kind="row", timeout_ms=30,
                                  query=SLOW_QUERY))
    else:
        out.append(SourceSettings(name="credit", title="Credit", url=url["credit"], kind="row", timeout_ms=2000,
                                  query="SELECT credit_limit, terms FROM credit WHERE customer_key = :customer_key"))
    if dead:
        gone = paths["sales"].parent / "no-such-dir" / "gone.db"
        out.append(SourceSettings(name="legacy", title="Legacy CRM", url=f"sqlite+aiosqlite:///{gone}",
                                  timeout_ms=2000, query="SELECT * FROM t WHERE k = :customer_key"))
    return tuple(out)


SUGGESTIONS = {
    "suggestions_source": "sales",
    "suggestions_owned_query": "SELECT DISTINCT product FROM orders WHERE customer_key = :customer_key",
    "suggestions_items_query": "SELECT order_id, product FROM lines",
}


def world_settings(settings_factory: Callable[..., Settings], tmp_path: Path, *, slow: bool = False,
                   dead: bool = False, sections: dict[str, Any] | None = None, main: dict[str, Any] | None = None,
                   **overrides: Any) -> Settings:
    """Settings with two PBXs (*main*: extra PbxSettings fields for the first), the test sources,
    suggestions and any extra config sections."""
    from contact_center.settings import PbxSettings, Secret

    raw = {"screenpop": SUGGESTIONS, **(sections or {})}
    return settings_factory(
        pbx=(PbxSettings(name="main", token=Secret(TOKEN), **(main or {})),
             PbxSettings(name="branch", token=Secret(OTHER_TOKEN))),
        sources=source_settings(write_sources(tmp_path / "sources"), slow=slow, dead=dead),
        sections=raw, **overrides)


async def add_customers(app: RunningApp) -> dict[str, int]:
    """Ann (C-1, known number), Bob and Cleo sharing one landline (ambiguous), Dan (no key)."""
    repo = app.app[keys.CUSTOMERS]
    ann = await repo.create("Ann Example", company="Example GmbH", external_key="C-1",
                            identities=[("phone", "+49 30 1111111", "office"), ("email", "ann@example.org", None)])
    bob = await repo.create("Bob Shared", external_key="C-2", identities=[("phone", "+49 30 2222222", "home")])
    cleo = await repo.create("Cleo Shared", external_key="C-3", identities=[("phone", "030 2222222", "home")])
    dan = await repo.create("Dan NoKey", identities=[("phone", "+49 40 3333333", None)])
    return {"ann": ann.id, "bob": bob.id, "cleo": cleo.id, "dan": dan.id}


@dataclass
class Pbx:
    """Posts CTI events the way a PBX does (JSON by default, or form-encoded)."""

    app: RunningApp
    client: aiohttp.ClientSession
    token: str = TOKEN
    replies: list[tuple[int, Any]] = field(default_factory=list)

    async def post(self, body: dict[str, Any] | list[tuple[str, str]], *, form: bool = False,
                   token: str | None = None) -> tuple[int, Any]:
        """Post one event (JSON, or url-encoded with *form*); returns (status, decoded reply)."""
        url = f"{self.app.url}/api/v1/cti/{token or self.token}"
        kwargs: dict[str, Any] = {"data": body} if form else {"json": body}
        async with self.client.post(url, **kwargs) as resp:
            result = (resp.status, await resp.json(content_type=None))
        self.replies.append(result)
        return result

    async def call(self, call_id: str, number: str, **extra: Any) -> tuple[int, Any]:
        return await self.post({"event": "newCall", "callId": call_id, "from": number, "to": "+49301234500",
                                "direction": "in", **extra})

    async def answer(self, call_id: str, agent: str, **extra: Any) -> tuple[int, Any]:
        return await self.post({"event": "answer", "callId": call_id, "answeringNumber": agent, **extra})

    async def hangup(self, call_id: str, cause: str = "normalClearing", **extra: Any) -> tuple[int, Any]:
        return await self.post({"event": "hangup", "callId": call_id, "cause": cause, **extra})


class AgentSocket:
    """An agent's websocket, played with the independent ``websockets`` client."""

    def __init__(self, ws: Any) -> None:
        self.ws = ws
        self.seen: list[dict[str, Any]] = []

    @classmethod
    async def open(cls, app: RunningApp, username: str) -> AgentSocket:
        client = await app.login(username)
        cookie = app.cookie_header(client)
        await client.close()
        ws = await websockets.connect(app.ws_url + "/ws/agent", additional_headers={"Cookie": cookie})
        sock = cls(ws)
        assert (await sock.next("hello"))["user"]["username"] == username
        return sock

    async def next(self, kind: str, within: float = 10.0) -> dict[str, Any]:
        """The next frame of type *kind* (other frames are kept in ``seen``)."""
        async with asyncio.timeout(within):
            while True:
                frame = json.loads(await self.ws.recv())
                self.seen.append(frame)
                if frame.get("type") == kind:
                    return frame

    async def drain(self) -> list[dict[str, Any]]:
        """Every frame that arrives before the answer to a ping sent now."""
        start = len(self.seen)
        await self.ws.send(json.dumps({"type": "ping", "id": "drain"}))
        await self.next("pong")
        return self.seen[start:-1]

    async def close(self) -> None:
        await self.ws.close()


async def start_world(start_app: Callable[..., Any], settings: Settings) -> tuple[RunningApp, dict[str, int]]:
    """The app with the telephony and agent UI plugins, the org, and the customers."""
    app = await start_app(settings, plugins=PLUGINS)
    users = await seed_org(app.db)
    users.update({f"customer:{k}": v for k, v in (await add_customers(app)).items()})
    return app, users
