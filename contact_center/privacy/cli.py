"""``contact-center privacy …``: the data-subject rights from the command line (audited as the system).

* ``privacy export --customer N [--html] [--output FILE]``
* ``privacy erase --customer N --yes``
* ``privacy retention``
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from contact_center.audit.log import AuditLog
from contact_center.privacy.retention import apply_retention, parse_rules
from contact_center.privacy.subject import erase_subject, export_html, export_subject
from contact_center.screenpop.config import ScreenPopConfig
from contact_center.settings import Settings
from contact_center.sources.federation import SourceFederation
from contact_center.store.migrate import upgrade
from contact_center.store.session import Database


def add_commands(sub: Any) -> None:
    """Add ``privacy`` and its sub-commands to the CLI's sub-parsers *sub*."""
    privacy = sub.add_parser("privacy", help="data-subject export and erasure, retention (GDPR)")
    actions = privacy.add_subparsers(dest="privacy_command", required=True)
    export = actions.add_parser("export", help="everything held about a customer, as JSON (or --html)")
    export.add_argument("--customer", type=int, required=True)
    export.add_argument("--html", action="store_true", help="a readable HTML page instead of JSON")
    export.add_argument("--output", type=Path, help="write here instead of standard output")
    export.set_defaults(func=cmd_export)
    erase = actions.add_parser("erase", help="anonymise a customer across the store (cannot be undone)")
    erase.add_argument("--customer", type=int, required=True)
    erase.add_argument("--yes", action="store_true", help="confirm: the erasure cannot be undone")
    erase.set_defaults(func=cmd_erase)
    retention = actions.add_parser("retention", help="apply the [privacy.retention] rules now")
    retention.set_defaults(func=cmd_retention)


async def _audited(settings: Settings, action: str, **fields: Any) -> None:
    db = Database(settings.database_url)
    audit = AuditLog(db)
    audit.start()
    try:
        await audit.record(None, action=action, **fields)
    finally:
        await audit.close()
        await db.close()


async def cmd_export(args: argparse.Namespace, settings: Settings) -> int:
    db = Database(settings.database_url)
    config = ScreenPopConfig.from_settings(settings)
    federation = SourceFederation(config.specs, ttl_seconds=config.cache_ttl_seconds,
                                  late_limit_seconds=config.late_result_seconds) if settings.sources else None
    try:
        await upgrade(db)
        if federation is not None:
            await federation.start()
        doc = await export_subject(db, federation, args.customer)
    finally:
        if federation is not None:
            await federation.close()
        await db.close()
    await _audited(settings, "subject_export", customer_id=args.customer,
                   detail={"via": "cli", "format": "html" if args.html else "json"})
    text = export_html(doc) if args.html else json.dumps(doc, indent=2, ensure_ascii=False, default=str)
    if args.output:
        args.output.write_text(text, encoding="utf-8")
        args.output.chmod(0o600)
    else:
        sys.stdout.write(text + "\n")
    return 0


async def cmd_erase(args: argparse.Namespace, settings: Settings) -> int:
    if not args.yes:
        print("contact-center: erasure cannot be undone; add --yes to confirm", file=sys.stderr)
        return 2
    db = Database(settings.database_url)
    try:
        await upgrade(db)
        done = await erase_subject(db, args.customer, source_names=[s.name for s in settings.sources])
    finally:
        await db.close()
    await _audited(settings, "subject_erase", customer_id=args.customer, after=done, detail={"via": "cli"})
    print(json.dumps(done, indent=2))
    return 0


async def cmd_retention(args: argparse.Namespace, settings: Settings) -> int:
    db = Database(settings.database_url)
    try:
        await upgrade(db)
        done = await apply_retention(db, parse_rules(settings.section("privacy").get("retention", {})))
    finally:
        await db.close()
    await _audited(settings, "retention_run", detail={"via": "cli", "scrubbed": done})
    print(json.dumps({"scrubbed": done}))
    return 0
