"""The admin's command line: users, departments and the live configuration as TOML.

::

    contact-center create-user --username U --role agent [--departments a,b] …   create, or update if U exists
    contact-center create-user --username U --reset-password                      new password (prompt or stdin)
    contact-center user deactivate U            sessions end at once; never the last admin
    contact-center department add --slug S --name N [--numbers +49…,+49…] [--email a@b]
    contact-center department set S [--name N] [--numbers …] [--email …] [--deactivate]
    contact-center department list
    contact-center config export [--output FILE]
    contact-center config import FILE           validated whole; all or nothing

Passwords are never options: they are asked for on a terminal, else read from stdin's first line.
The commands use the same services (validation, audit, announcement) as the REST API; a running
instance takes a change through the bus (with Redis) or its next poll of the store.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import getpass
import sys
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

from contact_center import keys
from contact_center.auth.policy import DEFAULT_MIN_LENGTH
from contact_center.bus.base import Bus
from contact_center.config.document import from_toml, to_toml
from contact_center.config.pbx import hash_clear_tokens
from contact_center.config.service import LiveConfig
from contact_center.customers.identity import normalise_phone
from contact_center.errors import ValidationError
from contact_center.events import SessionsEnded
from contact_center.org.departments import DepartmentRepository
from contact_center.org.users import UserAdmin
from contact_center.settings import Settings
from contact_center.store.migrate import upgrade
from contact_center.store.session import Database


def read_password(prompt: str = "Password: ") -> str:
    """The password from a terminal prompt (asked twice), else stdin's first line.

    Raises:
        ValidationError: the two entries differ, or nothing was given.
    """
    if sys.stdin.isatty():
        first = getpass.getpass(prompt)
        if getpass.getpass("Again: ") != first:
            raise ValidationError("password", "the two passwords differ")
        password = first
    else:
        password = sys.stdin.readline().rstrip("\n")
    if not password:
        raise ValidationError("password", "no password given (type it at the prompt or pipe it to stdin)")
    return password


@contextlib.asynccontextmanager
async def admin_services(settings: Settings) -> AsyncIterator[tuple[LiveConfig, DepartmentRepository, UserAdmin]]:
    """The store, the live configuration (every installed plugin's sections) and the org services."""
    from contact_center.app import create_app

    app = create_app(settings)  # registers each plugin's live sections; nothing is started
    live = app[keys.LIVE_CONFIG]
    db = Database(settings.database_url)
    bus = await _bus(settings)
    try:
        await upgrade(db)
        await live.start(db, bus, poll_seconds=0)

        def phone(raw: str) -> str | None:
            return normalise_phone(raw, settings.default_region)

        min_length = int(settings.section("auth").get("password_min_length", DEFAULT_MIN_LENGTH))
        async def close_sessions(user_id: int, reason: str) -> None:
            if bus is not None:  # without Redis the instances' websockets notice at their next session check
                await bus.publish(SessionsEnded(user_id=user_id, session=None, reason=reason))

        yield live, DepartmentRepository(db, live, phone), UserAdmin(
            db, live, normalise_phone=phone, min_password_length=min_length, close_sessions=close_sessions)
    finally:
        await live.stop()
        if bus is not None:
            await bus.close()
        await db.close()


async def _bus(settings: Settings) -> Bus | None:
    """With Redis, the bus that tells running instances at once (without it they poll the store)."""
    if not settings.redis_url:
        return None
    import redis.asyncio as aioredis

    from contact_center.bus.redis import RedisBus

    bus = RedisBus(aioredis.Redis.from_url(settings.redis_url))
    await bus.start()
    return bus


def _csv(text: str | None) -> list[str] | None:
    return None if text is None else [item.strip() for item in text.split(",") if item.strip()]


async def cmd_create_user(args: argparse.Namespace, settings: Settings) -> int:
    """Create a user, or update the one with that username (only the options given change)."""
    from contact_center.cli import parse_skills

    changes: dict[str, Any] = {}
    for option, key in (("display_name", "display_name"), ("extension", "extension"), ("role", "role")):
        if getattr(args, option) is not None:
            changes[key] = getattr(args, option)
    if args.departments is not None:
        changes["departments"] = _csv(args.departments)
    if args.skills is not None:
        changes["skills"] = parse_skills(args.skills)
    async with admin_services(settings) as (_live, _deps, users):
        existing = await users.find(args.username)
        if existing is None:
            changes.setdefault("role", "agent")
            created = await users.create({**changes, "username": args.username, "password": read_password()},
                                         principal=None)
            print(f"created {created['role']} {args.username!r} (id {created['id']})")
            return 0
        if changes:
            await users.update(existing, changes, principal=None)
        if args.reset_password:
            await users.set_password(existing, read_password("New password: "), principal=None)
        print(f"updated {args.username!r} (id {existing}): {', '.join(sorted(changes)) or 'nothing'}"
              + (", password" if args.reset_password else ""))
    return 0


async def cmd_user(args: argparse.Namespace, settings: Settings) -> int:
    async with admin_services(settings) as (_live, _deps, users):
        if args.action == "list":
            for u in await users.list():
                state = "active" if u["active"] else "inactive"
                print(f"{u['username']}\t{u['role']}\t{state}\t{u['extension'] or '-'}\t{','.join(u['departments'])}")
            return 0
        user_id = await users.find(args.username or "")
        if user_id is None:
            raise ValidationError("username", f"no user {args.username!r}")
        await users.update(user_id, {"active": args.action == "activate"}, principal=None)
        print(f"{args.action}d {args.username!r}")
    return 0


async def cmd_department(args: argparse.Namespace, settings: Settings) -> int:
    body: dict[str, Any] = {}
    for option, key in (("name", "name"), ("email", "email_address"), ("phone_number", "phone_number")):
        if getattr(args, option, None) is not None:
            body[key] = getattr(args, option)
    if getattr(args, "numbers", None) is not None:
        body["numbers"] = _csv(args.numbers)
    async with admin_services(settings) as (_live, departments, _users):
        if args.action == "list":
            for d in await departments.list():
                state = "active" if d["active"] else "inactive"
                print(f"{d['slug']}\t{d['name']}\t{state}\t{','.join(d['numbers'])}\t{d['email_address'] or '-'}")
            return 0
        if args.action == "add":
            created = await departments.create({**body, "slug": args.slug}, principal=None)
            print(f"created department {created['slug']!r} with queues "
                  f"{', '.join(q['slug'] for q in created['queues'])}")
            return 0
        if args.deactivate:
            body["active"] = False
        await departments.update(args.slug, body, principal=None)
        print(f"updated department {args.slug!r}")
    return 0


async def cmd_config(args: argparse.Namespace, settings: Settings) -> int:
    async with admin_services(settings) as (live, _deps, _users):
        if args.action == "export":
            text = to_toml(live.stored_document(), version=live.version)
            if args.output:
                await asyncio.to_thread(Path(args.output).write_text, text, encoding="utf-8")
                print(f"wrote version {live.version} to {args.output}")
            else:
                sys.stdout.write(text)
            return 0
        try:
            document = from_toml(await asyncio.to_thread(Path(args.file).read_text, encoding="utf-8"))
        except OSError as exc:
            raise ValidationError("file", f"cannot read {args.file}: {exc.strerror}") from exc
        if "pbx" in document:
            import time

            document["pbx"] = hash_clear_tokens(document["pbx"], now=time.time())
        version = await live.apply(document, principal=None, replace=True)
        print(f"configuration version {version} is in force")
    return 0


def add_commands(sub: Any) -> None:
    """Register the admin commands on the core parser."""
    user = sub.add_parser("create-user", help="create a user, or update the one with that username")
    user.add_argument("--username", required=True)
    user.add_argument("--role", choices=("agent", "supervisor", "admin"), help="(new users: agent)")
    user.add_argument("--extension", help="phone extension, e.g. 201")
    user.add_argument("--departments", help="comma-separated department slugs, e.g. sales,service")
    user.add_argument("--display-name", help="name shown to colleagues (default: the username)")
    user.add_argument("--skills", help="comma-separated skill=level, e.g. lang:de=5,product:routers=3")
    user.add_argument("--reset-password", action="store_true",
                      help="set a new password for an existing user (asked for, or read from stdin)")
    user.set_defaults(func=cmd_create_user)

    users = sub.add_parser("user", help="list, deactivate or activate users")
    users.add_argument("action", choices=("list", "deactivate", "activate"))
    users.add_argument("username", nargs="?")
    users.set_defaults(func=cmd_user)

    dep = sub.add_parser("department", help="list, add or change departments")
    dep.add_argument("action", choices=("list", "add", "set"))
    dep.add_argument("slug", nargs="?", help="the department's short name, e.g. sales")
    dep.add_argument("--name")
    dep.add_argument("--numbers", help="comma-separated numbers customers dial (DNIS)")
    dep.add_argument("--email", help="the department's email address")
    dep.add_argument("--phone-number", help="where the PBX sends its calls (a hunt group)")
    dep.add_argument("--deactivate", action="store_true")
    dep.set_defaults(func=cmd_department)

    config = sub.add_parser("config", help="export the live configuration as TOML, or import one")
    config.add_argument("action", choices=("export", "import"))
    config.add_argument("file", nargs="?", help="import: the TOML file")
    config.add_argument("--output", help="export: write here instead of stdout")
    config.set_defaults(func=cmd_config)
