"""The ``contact-center`` command: serve, demo, migrate, seed, create-user, and plugin commands.

Other packages add subcommands through the ``contact_center.commands`` entry-point group: each
entry point is ``add_command(subparsers) -> None`` and registers a subparser whose
``set_defaults(func=...)`` is a plain or ``async`` callable taking ``(args, settings)`` and
returning an exit code or None. This module never imports ``connectors``, ``routing`` or
``agent_ui``; it finds them through entry points like the application does.

Exit codes: 0 success, 1 unexpected product error, 2 bad usage, configuration or input
(validation error, conflict), 130 interrupted.
"""

from __future__ import annotations

import argparse
import asyncio
import errno
import inspect
import sys
from collections.abc import Callable
from importlib.metadata import entry_points
from pathlib import Path
from typing import Any

from aiohttp import web

from contact_center.app import create_app
from contact_center.demo.config import PBX_NAME, ensure_demo_config
from contact_center.demo.org import DEMO_PASSWORD, USERS
from contact_center.demo.seed import DEFAULT_CUSTOMERS, is_seeded, seed_demo
from contact_center.errors import ConfigError, Conflict, ContactCenterError, ValidationError
from contact_center.logs import configure_logging
from contact_center.org.cli import add_commands as add_admin_commands
from contact_center.privacy import cli as privacy_cli
from contact_center.settings import Settings, mask_url
from contact_center.store.migrate import upgrade
from contact_center.store.session import Database

COMMAND_GROUP = "contact_center.commands"
SHUTDOWN_TIMEOUT = 5.0
_USAGE_ERRORS = (ValidationError, Conflict, ConfigError)


def main(argv: list[str] | None = None) -> int:
    """Run the command line; return the process exit code."""
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        settings = Settings.load(args.config)
        result = args.func(args, settings)
        if inspect.isawaitable(result):
            result = asyncio.run(result)  # type: ignore[arg-type]
    except _USAGE_ERRORS as exc:
        print(f"contact-center: error: {exc.message}", file=sys.stderr)
        return 2
    except ContactCenterError as exc:
        print(f"contact-center: {exc.code}: {exc.message}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130
    return int(result or 0)


def build_parser() -> argparse.ArgumentParser:
    """The argument parser with the core commands and every installed plugin command."""
    parser = argparse.ArgumentParser(prog="contact-center", description="Call-center screen pop and omnichannel inbox.")
    parser.add_argument("--config", metavar="PATH", help="TOML configuration file (default: $CC_CONFIG, else none)")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    serve = sub.add_parser("serve", help="run the server (applies migrations on start)")
    serve.set_defaults(func=cmd_serve)

    demo = sub.add_parser("demo", help="migrate, seed demo data once, write <data_dir>/contact-center.toml, serve")
    _seed_size_options(demo)
    demo.set_defaults(func=cmd_demo)

    migrate = sub.add_parser("migrate", help="apply database migrations")
    migrate.set_defaults(func=cmd_migrate)

    seed = sub.add_parser("seed", help="create demo departments, users, customers and source databases")
    _seed_size_options(seed)
    seed.add_argument("--password", default=DEMO_PASSWORD, help="password of the demo users (default: %(default)s)")
    seed.set_defaults(func=cmd_seed)

    add_admin_commands(sub)
    privacy_cli.add_commands(sub)
    _add_plugin_commands(sub)
    return parser


def _seed_size_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--customers", type=_positive, default=DEFAULT_CUSTOMERS,
                        help="demo customers (default: %(default)s)")
    parser.add_argument("--orders", type=_positive, help="orders in the sales database (default: 10 per customer)")
    parser.add_argument("--seed", type=int, default=1, help="random seed; the same seed gives the same data")


def _positive(text: str) -> int:
    try:
        value = int(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(f"not a whole number: {text!r}") from exc
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, not {value}")
    return value


def _add_plugin_commands(sub: Any) -> None:
    for ep in sorted(entry_points(group=COMMAND_GROUP), key=lambda e: e.name):
        try:
            add_command: Callable[[Any], None] = ep.load()
            add_command(sub)
        except Exception as exc:  # one broken plugin must not take the core commands down
            print(f"contact-center: warning: command plugin {ep.name!r} not loaded: {exc!r}", file=sys.stderr)


# --- commands -------------------------------------------------------------------------------


def cmd_serve(args: argparse.Namespace, settings: Settings) -> int:
    """Run the server until SIGINT/SIGTERM, then shut down gracefully."""
    configure_logging(settings.log_level, secrets=settings.secret_values())
    run_server(create_app(settings), settings, on_ready=lambda: print(
        f"Contact Center listening on http://{settings.host}:{settings.port} (public URL {settings.public_url})",
        flush=True))
    return 0


async def cmd_migrate(args: argparse.Namespace, settings: Settings) -> int:
    """Apply the store's migrations."""
    db = Database(settings.database_url)
    try:
        await upgrade(db)
    finally:
        await db.close()
    print(f"store is up to date: {mask_url(settings.database_url)}")
    return 0


async def cmd_seed(args: argparse.Namespace, settings: Settings) -> int:
    """Create the demo organisation, customers and source databases (idempotent)."""
    db = Database(settings.database_url)
    try:
        await upgrade(db)
        report = await seed_demo(db, settings.data_dir, customers=args.customers, orders=args.orders,
                                 seed=args.seed, password=args.password)
    finally:
        await db.close()
    print(f"users created: {', '.join(report.users_created) or 'none (all existed)'}")
    print(f"customers created: {report.customers_created} (identities: {report.identities_created})")
    state = "written" if report.sources_written else "unchanged"
    print(f"source databases {state}: {report.sources_dir} ({report.orders} orders)")
    return 0


def parse_skills(text: str) -> dict[str, int]:
    """``"lang:de=5,product:routers=3"`` → ``{"lang:de": 5, "product:routers": 3}``.

    Raises:
        ValidationError: an item is not ``name=level`` with a whole-number level.
    """
    skills: dict[str, int] = {}
    for item in filter(None, (part.strip() for part in text.split(","))):
        name, sep, level = item.partition("=")
        if not sep or not name.strip() or not level.strip().isdigit():
            raise ValidationError("skills", f"skill {item!r} must look like name=level, e.g. lang:de=5")
        skills[name.strip()] = int(level)
    return skills


def cmd_demo(args: argparse.Namespace, settings: Settings) -> int:
    """Migrate, seed once, write (or reuse) the demo configuration and serve with it."""
    path, _written = ensure_demo_config(settings.data_dir, host=settings.host, port=settings.port)
    demo = Settings.load(path)  # environment variables still override the file
    configure_logging(settings.log_level, secrets=demo.secret_values())
    asyncio.run(_prepare_demo(demo, args))
    run_server(create_app(demo), demo, on_ready=lambda: print(demo_banner(demo, path), flush=True))
    return 0


async def _prepare_demo(settings: Settings, args: argparse.Namespace) -> None:
    db = Database(settings.database_url)
    try:
        await upgrade(db)
        if not await is_seeded(db, settings.data_dir):
            print(f"seeding demo data into {settings.data_dir} ...", flush=True)
            await seed_demo(db, settings.data_dir, customers=args.customers, orders=args.orders, seed=args.seed)
    finally:
        await db.close()


def demo_banner(settings: Settings, config_path: Path) -> str:
    """What ``demo`` prints once the server listens: URL, logins and the hook URL."""
    token = next((p.token.reveal() for p in settings.pbx if p.name == PBX_NAME), None)
    agents = [u.username for u in USERS if u.role == "agent"]
    hook = f"{settings.public_url}/api/v1/cti/{token}" if token else "(no PBX named demo-pbx configured)"
    return "\n".join((
        "",
        "Contact Center demo is running.",
        f"  URL:        {settings.public_url}",
        f"  Password:   {DEMO_PASSWORD}   (the same for every demo user)",
        f"  Agents:     {', '.join(agents)}",
        "  Supervisor: supervisor",
        "  Admin:      admin",
        f"  CTI hook:   {hook}",
        f"  Config:     {config_path}",
        "Stop with Ctrl+C.",
        "",
    ))


def run_server(app: web.Application, settings: Settings, *, on_ready: Callable[[], None]) -> None:
    """Serve *app* on the configured host and port until SIGINT/SIGTERM; *on_ready* runs once listening.

    aiohttp's runner turns both signals into a graceful shutdown: it stops accepting, lets
    in-flight requests finish (up to :data:`SHUTDOWN_TIMEOUT` seconds) and runs every cleanup
    context (store, bus, plugins' background tasks).
    """
    try:
        web.run_app(app, host=settings.host, port=settings.port, print=lambda _message: on_ready(),
                    shutdown_timeout=SHUTDOWN_TIMEOUT, access_log=None, handle_signals=True)
    except OSError as exc:
        if exc.errno != errno.EADDRINUSE:
            raise
        raise ConfigError(f"port {settings.port} on {settings.host} is already in use: set [server] port in the "
                          f"configuration file (or CC_PORT) to a free port, or stop what uses it") from exc
