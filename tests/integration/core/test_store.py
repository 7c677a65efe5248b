"""The core store on SQLite and on a real PostgreSQL: migrations, constraints, times, cascades."""

from __future__ import annotations

import datetime as dt
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import Connection, delete, func, inspect, select
from sqlalchemy.exc import IntegrityError, StatementError

from contact_center.auth.passwords import hash_password
from contact_center.auth.sessions import principal_of
from contact_center.auth.users import create_user
from contact_center.channels import default_capacity
from contact_center.store.migrate import include_name, upgrade
from contact_center.store.session import Database
from contact_center.store.tables import (
    AuthSession,
    Base,
    Conversation,
    Customer,
    Department,
    Identity,
    Message,
    Queue,
    User,
    UserDepartment,
)

HASH = hash_password("store-tests-password")


def _sqlite_url(tmp_path: Path) -> str:
    return f"sqlite+aiosqlite:///{tmp_path / 'store.db'}"


ENGINES = ["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)]


@pytest.fixture(params=ENGINES)
async def empty_db(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[Database]:
    """A store with no tables yet, on each engine in turn."""
    db = Database(_sqlite_url(tmp_path) if request.param == "sqlite" else request.getfixturevalue("postgres_url"))
    yield db
    await db.close()


@pytest.fixture(params=ENGINES)
async def db(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[Database]:
    """A store at the latest schema, on each engine in turn (PostgreSQL copies a migrated template)."""
    if request.param == "sqlite":
        db = Database(_sqlite_url(tmp_path))
        await upgrade(db)
    else:
        db = Database(request.getfixturevalue("postgres_migrated_url"))
    yield db
    await db.close()


def _schema_diffs(conn: Connection) -> list[object]:
    ctx = MigrationContext.configure(conn, opts={"compare_type": True, "compare_server_default": False,
                                                   "include_name": include_name})
    return list(compare_metadata(ctx, Base.metadata))


async def test_migrations_create_exactly_the_modelled_schema(empty_db: Database) -> None:
    """From empty, the migrations build a schema that autogenerate finds identical to the models."""
    await upgrade(empty_db)
    async with empty_db.engine.connect() as conn:
        diffs = await conn.run_sync(_schema_diffs)
        tables = {t for t in await conn.run_sync(lambda c: inspect(c).get_table_names())
                  if include_name(t, "table", {})}
    assert diffs == []
    assert set(Base.metadata.tables) | {"alembic_version"} == tables


async def test_migrating_twice_is_a_no_op(db: Database) -> None:
    """upgrade() on an up-to-date store changes nothing and keeps the data."""
    async with db.session() as s:
        s.add(Department(slug="sales", name="Sales"))
    await upgrade(db)
    async with db.session() as s:
        assert (await s.execute(select(func.count()).select_from(Department))).scalar_one() == 1


async def test_identity_is_unique_per_customer(db: Database) -> None:
    """A customer holds a (kind, value) once; a shared landline may belong to several customers."""
    async with db.session() as s:
        a, b = Customer(display_name="A"), Customer(display_name="B")
        s.add_all([a, b])
        await s.flush()
        s.add_all([Identity(customer_id=a.id, kind="phone", value="+4930123456"),
                   Identity(customer_id=b.id, kind="phone", value="+4930123456"),
                   Identity(customer_id=b.id, kind="chat", value="+4930123456")])
    with pytest.raises(IntegrityError):
        async with db.session() as s:
            s.add(Identity(customer_id=b.id, kind="phone", value="+4930123456"))
    async with db.session() as s:
        owners = (await s.execute(select(Identity.customer_id).where(
            Identity.kind == "phone", Identity.value == "+4930123456").order_by(Identity.customer_id))).scalars().all()
    assert owners == [a.id, b.id]


async def test_message_external_id_is_unique_per_channel(db: Database) -> None:
    """(channel, external_id) is unique, so ingesting the same email twice stores it once."""
    async with db.session() as s:
        conv = Conversation(channel="email")
        s.add(conv)
        await s.flush()
        s.add_all([
            Message(conversation_id=conv.id, channel="email", direction="in", external_id="<m1@x>"),
            Message(conversation_id=conv.id, channel="chat", direction="in", external_id="<m1@x>"),
            Message(conversation_id=conv.id, channel="email", direction="out", external_id=None),
            Message(conversation_id=conv.id, channel="email", direction="out", external_id=None),
        ])
    with pytest.raises(IntegrityError):
        async with db.session() as s:
            s.add(Message(conversation_id=conv.id, channel="email", direction="in", external_id="<m1@x>"))


@pytest.mark.parametrize(
    "moment",
    [
        dt.datetime(2024, 3, 31, 1, 59, 59, 123456, tzinfo=dt.UTC),
        dt.datetime(2024, 10, 27, 2, 30, tzinfo=dt.timezone(dt.timedelta(hours=2))),
        dt.datetime(1999, 12, 31, 23, 0, tzinfo=dt.timezone(dt.timedelta(hours=-8, minutes=-30))),
    ],
)
async def test_times_come_back_utc_and_equal(db: Database, moment: dt.datetime) -> None:
    """Any aware datetime is stored as UTC and read back aware, in UTC, as the same instant."""
    async with db.session() as s:
        c = Customer(display_name="T", created_at=moment)
        s.add(c)
    async with db.sessions() as s:
        back = (await s.execute(select(Customer.created_at).where(Customer.id == c.id))).scalar_one()
    assert back == moment
    assert back.utcoffset() == dt.timedelta(0)


async def test_naive_datetimes_are_refused(db: Database) -> None:
    """A naive datetime is a bug in the caller: the store refuses it instead of guessing a zone."""
    with pytest.raises(StatementError, match="naive datetime"):
        async with db.session() as s:
            s.add(Customer(display_name="N", created_at=dt.datetime(2024, 1, 1, 12, 0)))


async def test_deleting_a_customer_deletes_its_identities(db: Database) -> None:
    """Identities cascade with their customer, in SQL and through the ORM."""
    async with db.session() as s:
        for name in ("sql", "orm"):
            c = Customer(display_name=name, identities=[Identity(kind="email", value=f"{name}@example.test"),
                                                        Identity(kind="phone", value=f"+49301{len(name)}")])
            s.add(c)
    async with db.session() as s:
        await s.execute(delete(Customer).where(Customer.display_name == "sql"))
        orm = (await s.execute(select(Customer).where(Customer.display_name == "orm"))).scalar_one()
        await s.delete(orm)
    async with db.session() as s:
        assert (await s.execute(select(func.count()).select_from(Identity))).scalar_one() == 0


async def test_deleting_a_user_or_department_cascades(db: Database) -> None:
    """A user's sessions and memberships go with the user; a department takes its queues and memberships."""
    async with db.session() as s:
        sales, service = Department(slug="sales", name="Sales"), Department(slug="service", name="Service")
        s.add_all([sales, service])
        await s.flush()
        s.add_all([Queue(slug="sales.call", department_id=sales.id, channel="call"),
                   Queue(slug="service.call", department_id=service.id, channel="call")])
    uid = await create_user(db, username="ann", password="irrelevant", role="agent",
                            departments=["sales", "service"], password_hash=HASH)
    async with db.session() as s:
        s.add(AuthSession(token_hash=b"\x01" * 32, user_id=uid,
                          expires_at=dt.datetime.now(dt.UTC) + dt.timedelta(hours=1)))
    async with db.session() as s:
        await s.execute(delete(Department).where(Department.slug == "sales"))
    async with db.session() as s:
        assert (await s.execute(select(Queue.slug))).scalars().all() == ["service.call"]
        assert (await s.execute(select(func.count()).select_from(UserDepartment))).scalar_one() == 1
        await s.execute(delete(User).where(User.id == uid))
    async with db.session() as s:
        assert (await s.execute(select(func.count()).select_from(AuthSession))).scalar_one() == 0
        assert (await s.execute(select(func.count()).select_from(UserDepartment))).scalar_one() == 0


async def test_user_departments_relationship(db: Database) -> None:
    """A user created with departments loads them eagerly, and the principal lists their slugs."""
    async with db.session() as s:
        s.add_all([Department(slug=slug, name=slug.title()) for slug in ("sales", "service", "complaints")])
    uid = await create_user(db, username="bea", password="irrelevant", role="agent", extension="201",
                            departments=["service", "sales"], skills={"lang:de": 5}, password_hash=HASH)
    async with db.session() as s:
        user = await s.get(User, uid)
        assert user is not None
        assert sorted(d.slug for d in user.departments) == ["sales", "service"]
        assert user.skills == {"lang:de": 5}
        assert user.capacity == default_capacity()  # the registry's defaults
        assert user.capacity == {"call": 1, "email": 5, "chat": 3, "api": 3, "callback": 1}
        principal = principal_of(user)
        user.departments.append((await s.execute(select(Department).where(Department.slug == "complaints")))
                                .scalar_one())
    assert principal.departments == ("sales", "service")
    assert principal.sees_department("sales")
    assert not principal.sees_department("complaints")
    async with db.session() as s:
        again = await s.get(User, uid)
        assert again is not None
        assert len(again.departments) == 3
