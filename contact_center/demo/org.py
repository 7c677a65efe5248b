"""The demo organisation in the core store: five departments, their queues, agents, a supervisor
and an admin, all with one demo password. Creating it again skips what already exists.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import select

from contact_center.auth.passwords import hash_password
from contact_center.auth.users import create_user
from contact_center.channels import CHANNELS as REGISTERED
from contact_center.store.session import Database
from contact_center.store.tables import CHANNELS, Department, Queue, User

DEMO_PASSWORD = "demo-password"


@dataclass(frozen=True)
class DemoDepartment:
    slug: str
    name: str
    phone_number: str
    email_address: str


DEPARTMENTS: tuple[DemoDepartment, ...] = (
    DemoDepartment("sales", "Sales", "+493012045010", "sales@example.com"),
    DemoDepartment("technical_support", "Technical support", "+493012045020", "support@example.com"),
    DemoDepartment("service", "Service", "+493012045030", "service@example.com"),
    DemoDepartment("complaints", "Complaints", "+493012045040", "complaints@example.com"),
    DemoDepartment("account_changes", "Account changes", "+493012045050", "accounts@example.com"),
)

# Queue timing per channel: (service level seconds, offer timeout seconds), from the registry.
QUEUE_TIMING = {c.name: (c.service_level_seconds, c.offer_timeout_seconds) for c in REGISTERED}
# Calls waiting too long in these queues overflow to the service desk.
OVERFLOW = {"sales.call": ("service.call", 90), "technical_support.call": ("service.call", 120)}


@dataclass(frozen=True)
class DemoUser:
    username: str
    display_name: str
    role: str
    extension: str | None
    departments: tuple[str, ...]
    skills: dict[str, int] = field(default_factory=dict)


ALL = tuple(d.slug for d in DEPARTMENTS)
USERS: tuple[DemoUser, ...] = (
    DemoUser("anna", "Anna Berger", "agent", "201", ("sales",),
             {"lang:de": 5, "lang:en": 4, "product:routers": 3}),
    DemoUser("ben", "Ben Carter", "agent", "202", ("sales",), {"lang:en": 5, "lang:de": 3, "product:phones": 4}),
    DemoUser("clara", "Clara Dubois", "agent", "203", ("sales", "service"), {"lang:fr": 5, "lang:en": 4, "lang:de": 3}),
    DemoUser("david", "David Novak", "agent", "204", ("technical_support",),
             {"lang:en": 5, "lang:de": 4, "product:routers": 5, "product:storage": 3}),
    DemoUser("emma", "Emma Virtanen", "agent", "205", ("technical_support",),
             {"lang:fi": 5, "lang:en": 5, "product:cameras": 4}),
    DemoUser("felix", "Felix Huber", "agent", "206", ("technical_support",),
             {"lang:de": 5, "product:phones": 5, "product:switches": 4}),
    DemoUser("greta", "Greta Jansen", "agent", "207", ("service",), {"lang:nl": 5, "lang:de": 4, "lang:en": 4}),
    DemoUser("hugo", "Hugo Moreau", "agent", "208", ("service",), {"lang:fr": 5, "lang:en": 3}),
    DemoUser("ida", "Ida Kowalska", "agent", "209", ("complaints",), {"lang:pl": 5, "lang:de": 4, "lang:en": 4}),
    DemoUser("jonas", "Jonas Weber", "agent", "210", ("complaints", "account_changes"), {"lang:de": 5, "lang:en": 4}),
    DemoUser("kim", "Kim Papadopoulou", "agent", "211", ("account_changes",), {"lang:el": 5, "lang:en": 5}),
    DemoUser("lena", "Lena Schmidt", "agent", "212", ("account_changes",), {"lang:de": 5, "lang:en": 3}),
    DemoUser("supervisor", "Sabine Vogt", "supervisor", "290", ALL, {"lang:de": 5, "lang:en": 5}),
    DemoUser("admin", "Admin", "admin", None, ()),
)


async def seed_org(db: Database, password: str = DEMO_PASSWORD) -> list[str]:
    """Create the departments, queues and users that are missing; return the usernames created."""
    await _departments_and_queues(db)
    async with db.session() as s:
        existing = set((await s.execute(select(User.username))).scalars())
    missing = [u for u in USERS if u.username not in existing]
    if not missing:
        return []
    hashed = hash_password(password)  # argon2 is slow on purpose: hash once for every demo user
    for user in missing:
        await create_user(
            db, username=user.username, password=password, role=user.role, display_name=user.display_name,
            extension=user.extension, departments=user.departments, skills=user.skills, password_hash=hashed,
        )
    return [u.username for u in missing]


async def _departments_and_queues(db: Database) -> None:
    async with db.session() as s:
        deps = {d.slug: d for d in (await s.execute(select(Department))).scalars()}
        for demo in DEPARTMENTS:
            if demo.slug not in deps:
                deps[demo.slug] = Department(slug=demo.slug, name=demo.name, phone_number=demo.phone_number,
                                             email_address=demo.email_address)
                s.add(deps[demo.slug])
        await s.flush()
        queues = set((await s.execute(select(Queue.slug))).scalars())
        for demo in DEPARTMENTS:
            for channel in CHANNELS:
                slug = f"{demo.slug}.{channel}"
                if slug in queues:
                    continue
                level, offer = QUEUE_TIMING[channel]
                overflow_to, overflow_after = OVERFLOW.get(slug, (None, None))
                s.add(Queue(slug=slug, department_id=deps[demo.slug].id, channel=channel,
                            service_level_seconds=level, offer_timeout_seconds=offer,
                            overflow_after_seconds=overflow_after, overflow_queue_slug=overflow_to))
