"""Alembic environment: runs on the connection handed over by :mod:`contact_center.store.migrate`."""

from __future__ import annotations

from alembic import context

from contact_center.store.migrate import include_name
from contact_center.store.tables import Base

connection = context.config.attributes.get("connection")
if connection is None:  # pragma: no cover - only used through contact_center.store.migrate
    raise RuntimeError("run migrations through `contact-center migrate`")
context.configure(
    connection=connection,
    target_metadata=Base.metadata,
    render_as_batch=connection.dialect.name == "sqlite",
    compare_type=True,
    include_name=include_name,
)
with context.begin_transaction():
    context.run_migrations()
