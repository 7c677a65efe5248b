"""Email ingest benchmark: a real Dovecot mailbox into stored conversations.

Run by hand (not part of the test suite)::

    .venv/bin/python bench/email_ingest.py                    # 5,000 messages, 200 latency samples
    .venv/bin/python bench/email_ingest.py --messages 1000    # quicker
    .venv/bin/python bench/email_ingest.py --postgres         # PostgreSQL and the Redis bus

In one run, against a real Dovecot on 127.0.0.1 (started here with the tests' own server code):

1. baseline: a bare aioimaplib catch-up of the mailbox (``UID SEARCH``, then ``UID FETCH
   (BODY.PEEK[])`` in batches of 200), messages/s;
2. ingest: the product's :class:`MailboxIngest` reading the same mailbox into a fresh store
   (parse, thread, identify, store conversations + messages + checkpoint, publish events),
   messages/s and the ratio to the baseline, with the CPU the ingest spent per message in the
   event loop, its other threads, the email worker processes (they fetch a bulk catch-up over
   their own IMAP sessions and parse) and, on SQLite, the spine's writer process (it stores);
   the baseline stays one aioimaplib session in one process;
3. delivery-to-visible latency with IDLE: mails delivered one by one over LMTP while the ingest
   idles; the clock runs from the end of the LMTP delivery to the message being committed in the
   store and announced on the bus (p50/p99; goal: p99 under 2 s);
4. crash safety: the real app (email plugin) in a child process ingests a second copy of the
   mailbox, is killed with SIGKILL mid-catch-up, and restarted; duplicates and lost messages are
   counted in the store (goal: 0 and 0).

The messages mix sizes (1 KB to 200 KB), structures (plain, multipart/alternative, attachments)
and charsets (UTF-8, ISO-8859-2, ISO-8859-7, ISO-8859-15, windows-1252, windows-1256).
"""

from __future__ import annotations

import argparse
import asyncio
import imaplib
import os
import random
import signal
import smtplib
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import aioimaplib
import redis.asyncio as aioredis

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from connectors.email import email_workers  # noqa: E402
from connectors.email.config import load_email_config  # noqa: E402
from connectors.email.imap_ingest import MailboxIngest  # noqa: E402
from connectors.email.imap_protocol import batches, parse_fetch, parse_search, uid_set  # noqa: E402
from connectors.email.pipeline import BatchPipeline  # noqa: E402
from connectors.email.workers import ready as worker_ready  # noqa: E402
from contact_center.bus.memory import MemoryBus  # noqa: E402
from contact_center.bus.redis import RedisBus  # noqa: E402
from contact_center.inbox.service import InboxService  # noqa: E402
from contact_center.ingest.writer_process import WriterProcess, preload, writes_in_process  # noqa: E402
from contact_center.store.migrate import upgrade  # noqa: E402
from contact_center.store.session import Database  # noqa: E402
from tests.dbservers import PostgresServer, RedisServer  # noqa: E402
from tests.mailservers import DovecotServer  # noqa: E402

TEXTS = [
    ("utf-8", "Hello, my order has not arrived yet. Could you check? Grüße, Zoë. "),
    ("iso-8859-2", "Dzień dobry, zamówienie nie dotarło. Zażółć gęślą jaźń. "),
    ("iso-8859-7", "Καλησπέρα, η παραγγελία μου δεν έφτασε ακόμα. "),
    ("iso-8859-15", "Hyvää päivää, tilaukseni on myöhässä, hinta 20 €. "),
    ("windows-1252", "Bonjour, ma commande n\u2019est pas arriv\u00e9e \u2013 merci. "),
    ("windows-1256", "سلام، سفارش من هنوز نرسيده است. "),
]


def make_template(k: int, rng: random.Random) -> bytes:
    """Template *k*: a charset, size and structure; ``@@N@@``/``@@TAG@@`` are filled in per message."""
    charset, sentence = TEXTS[k % len(TEXTS)]
    size = rng.choice([1_000, 2_000, 4_000, 8_000, 20_000, 60_000])
    body = (sentence * (size // len(sentence) + 1))[:size]
    msg = EmailMessage()
    msg["From"] = f"Customer {k} <customer{k}-@@N@@@example.org>"
    msg["To"] = "support@example.test"
    msg["Subject"] = f"{sentence[:30].strip()} ({k})"
    msg["Message-ID"] = "<bench-@@TAG@@-@@N@@@example.org>"
    msg["X-Bench-Seq"] = "@@N@@"
    msg.set_content(body, charset=charset)
    if k % 3 == 0:
        msg.add_alternative(f"<html><body><p>{body[:5000]}</p><script>x()</script></body></html>",
                            subtype="html", charset=charset)
    if k % 10 == 0:
        msg.add_attachment(rng.randbytes(rng.choice([10_000, 50_000, 140_000])), maintype="application",
                           subtype="pdf", filename=f"invoice-{k}.pdf")
    return msg.as_bytes()


TEMPLATES = [make_template(k, random.Random(k)) for k in range(60)]


def make_message(i: int, tag: str) -> bytes:
    """Message *i* (template ``i % 60``); every fifth one replies to the one five before it."""
    raw = TEMPLATES[i % len(TEMPLATES)].replace(b"@@N@@", str(i).encode()).replace(b"@@TAG@@", tag.encode())
    if i % 5 == 0 and i > 0:
        raw = f"In-Reply-To: <bench-{tag}-{i - 5}@example.org>\r\n".encode() + raw
    return raw


def fill(server: DovecotServer, user: Any, count: int, tag: str, connections: int = 8) -> int:
    """APPEND *count* generated messages over several connections at once; returns the total bytes.

    (Dovecot syncs every APPEND to disk, so one connection would spend most of the time waiting.)
    """

    def append(indexes: range) -> int:
        client = imaplib.IMAP4(server.host, server.imap_port)
        client.login(user.name, user.password)
        size = 0
        for i in indexes:
            raw = make_message(i, tag)
            size += len(raw)
            client.append("INBOX", None, None, raw)
        client.logout()
        return size

    step = -(-count // connections)
    with ThreadPoolExecutor(connections) as pool:
        return sum(pool.map(append, [range(n, min(n + step, count)) for n in range(0, count, step)]))


async def bare_fetch(server: DovecotServer, user: Any) -> tuple[int, float]:
    """Baseline: aioimaplib alone, the same commands the ingest sends."""
    client = aioimaplib.IMAP4(server.host, server.imap_port, timeout=60)
    await client.wait_hello_from_server()
    await client.login(user.name, user.password)
    await client.select("INBOX")
    started = time.perf_counter()
    uids = parse_search((await client.uid_search("UID 1:*", charset=None)).lines)
    got = 0
    for chunk in batches(uids):
        response = await client.uid("fetch", uid_set(chunk), "(UID BODY.PEEK[])")
        got += len(parse_fetch(response.lines))
    elapsed = time.perf_counter() - started
    await client.logout()
    return got, elapsed


def mailbox_section(server: DovecotServer, user: Any, name: str = "bench") -> dict[str, Any]:
    """The ``[email]`` section reading *user*'s INBOX."""
    return {"mailboxes": [{"name": name, "host": server.host, "port": server.imap_port, "security": "none",
                           "user": user.name, "password": user.password, "department": "service"}],
            "reconnect_min_seconds": 0.05, "reconnect_max_seconds": 1}


async def ingest_run(
    server: DovecotServer, user: Any, workdir: Path, count: int, samples: int, parse_workers: int,
    store: Any = None, redis_url: str | None = None, in_loop: bool = False,
) -> dict[str, Any]:
    """Catch up the mailbox with the product's ingest, then measure IDLE latency on new mail.

    *store*: a PostgreSQL server (a fresh database per run), else a SQLite file in *workdir*;
    *redis_url*: announce on the Redis bus there instead of the in-process bus; *in_loop*: on
    SQLite, store through ``run_sync`` in the event loop instead of the spine's writer process.
    """
    os.makedirs(workdir, exist_ok=True)
    db = Database(store.url(store.create_database()) if store is not None
                  else f"sqlite+aiosqlite:///{workdir / 'ingest.db'}")
    await upgrade(db)
    redis_client = aioredis.from_url(redis_url) if redis_url else None
    bus: Any = RedisBus(redis_client) if redis_client is not None else MemoryBus()
    await bus.start()
    process = WriterProcess(db.url) if writes_in_process(db.url) and not in_loop else None
    if process is not None:
        await process.start()  # as the app does
    inbox = InboxService(db=db, bus=bus, process=process)
    config = load_email_config({**mailbox_section(server, user), "parse_workers": parse_workers})
    seen: dict[str, float] = {}
    done = asyncio.Event()
    arrived = asyncio.Condition()

    async def on_stored(stored: list[Any]) -> None:
        now = time.perf_counter()
        async with arrived:
            for s in stored:
                seen.setdefault(s.external_id, now)
            arrived.notify_all()
        if len(seen) >= count:
            done.set()

    workers = email_workers(config)
    loop = asyncio.get_running_loop()
    for worker in workers:
        await loop.run_in_executor(worker, worker_ready)  # warm, as at app start-up
    pipeline = BatchPipeline(inbox=inbox, config=config, workers=workers)
    ingest = MailboxIngest(mailbox=config.mailboxes[0], inbox=inbox, config=config, on_stored=on_stored,
                           pipeline=pipeline)
    cpu_before = cpu_seconds(workers, process)
    started = time.perf_counter()
    task = asyncio.create_task(ingest.run())
    await asyncio.wait_for(done.wait(), 600)
    await ingest.wait_connected()  # caught up: the last batch committed, the final WAL checkpoint started
    if inbox.writer.wal is not None:
        await inbox.writer.wal.wait()  # the clock includes copying the WAL into the database file
    elapsed = time.perf_counter() - started
    cpu = {k: v - cpu_before.get(k, 0.0) for k, v in cpu_seconds(workers, process).items()}
    latencies = []
    rng = random.Random(7)
    for i in range(samples):
        msg_id = f"<bench-lat-{i}@example.org>"
        raw = make_message(i, "lat")
        await asyncio.sleep(rng.uniform(0.05, 0.6))  # arrivals at random points of the IDLE cycle
        await asyncio.to_thread(_deliver, server, user.name, raw)
        delivered = time.perf_counter()
        async with arrived:
            await arrived.wait_for(lambda msg_id=msg_id: msg_id in seen)
        latencies.append(seen[msg_id] - delivered)
    ingest.stop()
    await asyncio.wait_for(task, 10)
    for pool in workers:
        pool.shutdown()
    await inbox.close()
    if process is not None:
        await process.close()
    await bus.close()
    await db.close()
    await _close_redis(redis_client)
    return {"count": count, "elapsed": elapsed, "latencies": latencies, "cpu": cpu}


async def _close_redis(client: Any) -> None:
    if client is not None:
        await client.aclose()


def _stat_cpu(path: str) -> float:
    fields = Path(path).read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")  # utime + stime


def cpu_seconds(workers: list[Any], process: WriterProcess | None) -> dict[str, float]:
    """CPU seconds so far (Linux /proc) of this process's event-loop thread, its other threads
    (WAL checkpointer, database driver threads), the email worker processes and the writer process."""
    loop = _stat_cpu(f"/proc/self/task/{os.getpid()}/stat")
    threads = sum(_stat_cpu(str(t / "stat")) for t in Path("/proc/self/task").iterdir()) - loop
    pids = [pid for pool in workers for pid in pool._processes]  # (the pools' own bookkeeping)
    writer = process.pid if process is not None else None
    return {"loop": loop, "threads": threads, "workers": sum(_stat_cpu(f"/proc/{pid}/stat") for pid in pids),
            "writer": _stat_cpu(f"/proc/{writer}/stat") if writer is not None else 0.0}


def _deliver(server: DovecotServer, user: str, raw: bytes) -> None:
    with smtplib.LMTP(server.host, server.lmtp_port) as lmtp:
        lmtp.sendmail("bench@example.org", [user], raw)


WORKER = """
import sys, asyncio
sys.path.insert(0, {root!r})
from aiohttp import web
import connectors.email
from contact_center.app import create_app
from contact_center.settings import Settings
settings = Settings.load(environ={{}}, database_url={url!r}, sections={{"email": {section!r}}}, port={port})
app = create_app(settings, plugins=[("email", connectors.email.register)])
web.run_app(app, host="127.0.0.1", port={port}, print=None)
"""


def _count(db_file: Path) -> tuple[int, int]:
    """(stored inbound messages, distinct Message-IDs among them) read straight from the file."""
    if not db_file.exists():
        return 0, 0
    with sqlite3.connect(db_file, timeout=30) as conn:
        try:
            row = conn.execute("SELECT count(*), count(DISTINCT external_id) FROM message "
                               "WHERE direction = 'in'").fetchone()
        except sqlite3.OperationalError:
            return 0, 0
    return int(row[0]), int(row[1])


def _spawn(workdir: Path, db_file: Path, section: dict[str, Any], port: int) -> subprocess.Popen[bytes]:
    code = WORKER.format(root=str(ROOT), url=f"sqlite+aiosqlite:///{db_file}", section=section, port=port)
    log = (workdir / "worker.log").open("ab")
    return subprocess.Popen([sys.executable, "-c", code], stdout=log, stderr=subprocess.STDOUT)


def crash_run(server: DovecotServer, user: Any, workdir: Path, count: int) -> dict[str, Any]:
    """SIGKILL the ingesting app mid catch-up, restart it, count duplicates and losses."""
    db_file = workdir / "crash.db"
    section = mailbox_section(server, user, name="crash")
    port = 18000 + os.getpid() % 1000
    kills = []
    for target in (count // 4, count // 2):
        proc = _spawn(workdir, db_file, section, port)
        deadline = time.monotonic() + 300
        while _count(db_file)[0] < target and time.monotonic() < deadline and proc.poll() is None:
            time.sleep(0.01)
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        kills.append(_count(db_file)[0])
    proc = _spawn(workdir, db_file, section, port)
    deadline = time.monotonic() + 600
    while _count(db_file)[0] < count and time.monotonic() < deadline:
        time.sleep(0.1)
    time.sleep(2)  # anything still arriving would be a duplicate
    proc.send_signal(signal.SIGTERM)
    proc.wait(30)
    stored, distinct = _count(db_file)
    return {"killed_at": kills, "stored": stored, "duplicates": stored - distinct, "lost": count - distinct}


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q / 100 * (len(ordered) - 1)))]


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--messages", type=int, default=5000)
    parser.add_argument("--latency-samples", type=int, default=200)
    parser.add_argument("--rounds", type=int, default=3, help="baseline/ingest pairs; medians are reported")
    parser.add_argument("--parse-workers", type=int, default=2, help="email.parse_workers for the ingest")
    parser.add_argument("--in-loop", action="store_true",
                        help="SQLite: store through run_sync in the event loop, not the spine's writer process "
                             "(the A/B behind keeping that process)")
    parser.add_argument("--skip-crash", action="store_true")
    parser.add_argument("--postgres", action="store_true",
                        help="store in PostgreSQL (a fresh database per round) and announce on the Redis bus, both "
                             "started here with the tests' server code; the SIGKILL check stays on SQLite")
    args = parser.parse_args()
    preload()  # as the app does on a SQLite file (the forkserver imports the store code once)
    root = Path(tempfile.mkdtemp(prefix="cc-bench-email-"))
    os.chmod(root, 0o755)  # Dovecot's services run as other users below it
    server = DovecotServer(root)
    server.launch()
    store, redis = (PostgresServer(root), RedisServer(root)) if args.postgres else (None, None)
    for extra in (store, redis):
        if extra is not None:
            extra.launch()
    server.wait_ready()
    for extra in (store, redis):
        if extra is not None:
            extra.wait_ready()
    try:
        user, crash_user = server.new_user("bench"), server.new_user("crash")
        t0 = time.perf_counter()
        size = fill(server, user, args.messages, "a")
        fill(server, crash_user, args.messages, "b")
        print(f"mailboxes filled: 2 x {args.messages} messages, {size / 1e6:.1f} MB each "
              f"({time.perf_counter() - t0:.1f} s); load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs")
        bare_rates, rates, lat = [], [], []
        for n in range(args.rounds):
            got, bare = await bare_fetch(server, user)
            bare_rates.append(got / bare)
            samples = args.latency_samples if n == args.rounds - 1 else 0
            result = await ingest_run(server, user, root / f"round{n}", args.messages, samples, args.parse_workers,
                                      store=store, redis_url=redis.url if redis is not None else None,
                                      in_loop=args.in_loop)
            rates.append(result["count"] / result["elapsed"])
            lat = result["latencies"] or lat
            per = {k: v / args.messages * 1000 for k, v in result["cpu"].items()}
            print(f"round {n + 1}: bare {bare_rates[-1]:,.0f} msgs/s, ingest {rates[-1]:,.0f} msgs/s "
                  f"(ratio {rates[-1] / bare_rates[-1]:.2f}); ingest CPU per message: event loop "
                  f"{per['loop']:.3f} ms, its other threads {per['threads']:.3f} ms, workers {per['workers']:.3f} ms, "
                  f"writer process {per['writer']:.3f} ms; "
                  f"load average {os.getloadavg()[0]:.1f}")
        bare_rate, rate = statistics.median(bare_rates), statistics.median(rates)
        print(f"baseline  bare aioimaplib UID SEARCH + UID FETCH x200: median {bare_rate:,.0f} msgs/s")
        print(f"ingest    IMAP -> parse -> stored conversations (parse_workers={args.parse_workers}): median "
              f"{rate:,.0f} msgs/s  (ratio to baseline {rate / bare_rate:.2f})")
        if lat:
            print(f"latency   delivery -> visible with IDLE, {len(lat)} mails: p50 {pct(lat, 50) * 1000:.0f} ms, "
                  f"p99 {pct(lat, 99) * 1000:.0f} ms, max {max(lat) * 1000:.0f} ms, mean "
                  f"{statistics.mean(lat) * 1000:.0f} ms (goal p99 < 2000 ms)")
        if not args.skip_crash:
            crash = crash_run(server, crash_user, root, args.messages)
            print(f"crash     SIGKILL at {crash['killed_at']} stored, restarted: stored {crash['stored']}, "
                  f"duplicates {crash['duplicates']}, lost {crash['lost']} (goal 0 and 0)")
    finally:
        for extra in (redis, store):
            if extra is not None:
                extra.stop()
        server.stop()


if __name__ == "__main__":
    asyncio.run(main())
