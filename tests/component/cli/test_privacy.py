"""``privacy export / erase / retention`` from the command line, on a real store, audited."""

from __future__ import annotations

import json
from pathlib import Path

from sqlalchemy import select

from contact_center.customers.repository import CustomerRepository
from contact_center.store.migrate import upgrade
from contact_center.store.session import Database
from contact_center.store.tables import Audit
from tests.component.cli.conftest import CliRunner


async def test_export_then_erase_from_the_command_line(run_cli: CliRunner, tmp_path: Path) -> None:
    """export prints the customer's data; erase needs --yes, then anonymises; both are audited."""
    db = Database(f"sqlite+aiosqlite:///{tmp_path / 'cc.db'}")
    await upgrade(db)
    repo = CustomerRepository(db, default_region="DE")
    ann = await repo.create("Ann Example", identities=[("email", "ann@example.org", None)])
    exported = await run_cli("privacy", "export", "--customer", str(ann.id))
    assert exported.returncode == 0, exported.stderr
    doc = json.loads(exported.stdout)
    assert doc["customer"]["display_name"] == "Ann Example"
    assert [i["value"] for i in doc["identities"]] == ["ann@example.org"]
    refused = await run_cli("privacy", "erase", "--customer", str(ann.id))
    assert refused.returncode == 2
    assert "--yes" in refused.stderr
    erased = await run_cli("privacy", "erase", "--customer", str(ann.id), "--yes")
    assert erased.returncode == 0, erased.stderr
    assert json.loads(erased.stdout)["identities"] == 1
    after = await repo.get(ann.id)
    assert after is not None
    assert after.display_name == f"Erased customer {ann.id}"
    assert not after.identities
    async with db.session() as s:
        actions = list((await s.execute(select(Audit.action).where(Audit.customer_id == ann.id))).scalars())
    await db.close()
    assert actions == ["subject_export", "subject_erase"]
