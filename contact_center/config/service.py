"""The live configuration service: sections, validation, changes, reloads on every instance.

Plugins register each live section in their ``register(app)`` with the validator they use at
start-up (``live.section("routing", validate=…)``), and in their ``cleanup_ctx`` add listeners
that take the new typed value (``live.on_change("routing", router.reconfigure)``). A change:

1. is merged into the stored document and its secrets sealed (:mod:`.secrets`);
2. is validated whole - every section, against the departments in the store - so an invalid rule
   table (or one naming a department that was just deactivated) is refused and nothing changes;
3. is stored as the next version with its audit row, applied here, and announced on the bus as
   :class:`~contact_center.events.ConfigChanged`; every other instance reloads the document from
   the store and calls the listeners of the sections that changed. A poll of the newest version
   (``[config] poll_seconds``, default 5) catches an announcement lost while Redis was away.
"""

from __future__ import annotations

import asyncio
import contextlib
import copy
import inspect
import logging
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from contact_center.auth.roles import Principal
from contact_center.bus.base import Bus
from contact_center.config import secrets
from contact_center.config.changes import record_change
from contact_center.config.document import Document, changed_sections, overlay
from contact_center.config.repository import ConfigRepository
from contact_center.errors import ConfigError, Conflict, ContactCenterError, ValidationError
from contact_center.events import ConfigChanged
from contact_center.settings import Settings
from contact_center.store.session import Database
from contact_center.store.tables import ConfigRevision, Department

log = logging.getLogger(__name__)

ORG_SECTIONS = ("departments", "users")  # changes in their own tables, announced the same way


@dataclass(frozen=True)
class ValidationContext:
    """What a section's validity depends on besides itself."""

    departments: frozenset[str]  # active department slugs
    settings: Settings


Validator = Callable[[Any, ValidationContext], Any]
Listener = Callable[[Any], Awaitable[None] | None]


@dataclass
class _Section:
    name: str
    validate: Validator
    bootstrap: Callable[[Settings], Any]
    listeners: list[Listener] = field(default_factory=list)


def _section_of(settings: Settings, name: str) -> Any:
    return copy.deepcopy(dict(settings.section(name)))


class LiveConfig:
    """The configuration in force on this instance, and the one way to change it."""

    def __init__(self, settings: Settings) -> None:
        self._settings = settings
        self._sections: dict[str, _Section] = {}
        self._org_listeners: dict[str, list[Listener]] = {name: [] for name in ORG_SECTIONS}
        self._stored: Document = {}  # the newest stored document (sealed), {} before any change
        self._values: dict[str, Any] = {}
        self._version = 0
        self._db: Database | None = None
        self._bus: Bus | None = None
        self._repository: ConfigRepository | None = None
        self._box: secrets.SecretBox | None = None
        self._lock = asyncio.Lock()
        self._poller: asyncio.Task[None] | None = None

    # ------------------------------------------------------------------ registration

    def section(self, name: str, *, validate: Validator,
                bootstrap: Callable[[Settings], Any] | None = None) -> None:
        """Make *name* a live section, validated by *validate* (raw section, context) -> typed value.

        *bootstrap* reads the section from the start-up settings (default: the TOML table of that name).
        """
        self._sections[name] = _Section(name, validate, bootstrap or (lambda s: _section_of(s, name)))

    def on_change(self, name: str, listener: Listener) -> None:
        """Call *listener* with the new typed value whenever section *name* changes (on any instance).

        For ``departments`` and ``users`` the listener gets None: reload from the store.
        """
        if name in self._org_listeners:
            self._org_listeners[name].append(listener)
        else:
            self._sections[name].listeners.append(listener)

    @property
    def sections(self) -> tuple[str, ...]:
        return tuple(sorted(self._sections))

    @property
    def version(self) -> int:
        return self._version

    def value(self, name: str) -> Any:
        """The typed value of section *name* in force (what its validator returned)."""
        return self._values[name]

    # ------------------------------------------------------------------ start and stop

    async def start(self, db: Database, bus: Bus | None, *, poll_seconds: float | None = None) -> None:
        """Load the stored document over the bootstrap file and validate it (a bad one stops the start)."""
        self._db, self._bus = db, bus
        self._repository = ConfigRepository(db)
        self._box = secrets.SecretBox.for_settings(self._settings)
        revision = await self._repository.latest()
        if revision is not None:
            self._stored, self._version = revision.document, revision.version
        self._values = self._validate(self.runtime_document(), await self.departments())
        if bus is not None:
            bus.subscribe(self._on_event, ConfigChanged)
        poll = poll_seconds if poll_seconds is not None else float(
            self._settings.section("config").get("poll_seconds", 5.0))
        if poll > 0:
            self._poller = asyncio.create_task(self._poll(poll), name="live-config-poll")

    async def stop(self) -> None:
        if self._poller is not None:
            self._poller.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._poller

    # ------------------------------------------------------------------ documents

    def _bootstrap_document(self) -> Document:
        return {name: sec.bootstrap(self._settings) for name, sec in self._sections.items()}

    def stored_document(self) -> Document:
        """The document in force with secrets sealed (what ``config export`` writes)."""
        assert self._box is not None, "LiveConfig.start() first"
        effective = overlay(self._bootstrap_document(), self._stored, self._sections)
        return secrets.seal(effective, self._box)

    def runtime_document(self) -> Document:
        """The document in force with secrets in clear text (for validators and services only)."""
        assert self._box is not None, "LiveConfig.start() first"
        return secrets.reveal(self.stored_document(), self._box)

    def public_document(self) -> Document:
        """The document as the API shows it: no password, no token."""
        return secrets.mask(self.stored_document())

    async def departments(self) -> frozenset[str]:
        """The active departments' slugs in the store."""
        assert self._db is not None
        async with self._db.session() as s:
            rows = (await s.execute(select(Department.slug).where(Department.active.is_(True)))).scalars().all()
        return frozenset(rows)

    def _validate(self, document: Mapping[str, Any], departments: frozenset[str]) -> dict[str, Any]:
        context = ValidationContext(departments=departments, settings=self._settings)
        values = {}
        for name, sec in self._sections.items():
            try:
                values[name] = sec.validate(document.get(name, sec.bootstrap(self._settings)), context)
            except ValidationError:
                raise
            except ConfigError as exc:
                raise ValidationError(name, exc.message) from exc
        return values

    def check(self, document: Mapping[str, Any], departments: frozenset[str]) -> None:
        """Validate *document* (runtime form) against *departments*.

        Raises:
            ValidationError: naming the section (and, where the validator says, the key).
        """
        self._validate(document, departments)

    # ------------------------------------------------------------------ changes

    async def apply(self, changes: Mapping[str, Any], *, principal: Principal | None, remote: str | None = None,
                    replace: bool = False) -> int:
        """Replace the given sections (all or nothing) and announce the change; returns the new version.

        *replace*: the whole document is *changes* (``config import``); sections it leaves out
        go back to the bootstrap file.

        Raises:
            ValidationError: an unknown section, or a section that does not validate (nothing changed).
            Conflict: another instance stored a version meanwhile.
        """
        assert self._repository is not None
        assert self._db is not None
        assert self._box is not None
        unknown = sorted(set(changes) - set(self._sections))
        if unknown:
            raise ValidationError(unknown[0], f"{unknown[0]!r} is not a live configuration section; "
                                              f"known: {', '.join(self.sections)}")
        async with self._lock:
            await self._catch_up()
            before = self.stored_document()
            base = {} if replace else dict(self._stored)
            new_stored = {**base, **secrets.seal(dict(changes), self._box)}
            candidate = overlay(self._bootstrap_document(), new_stored, self._sections)
            values = self._validate(secrets.reveal(candidate, self._box), await self.departments())
            after = secrets.seal(candidate, self._box)
            changed = changed_sections(before, after)
            if not changed:
                return self._version
            version = await self._store(new_stored, changed, principal=principal, remote=remote,
                                        before=secrets.mask(before), after=secrets.mask(after))
            old_values, self._values = self._values, values
            self._stored, self._version = new_stored, version
        await self._notify(changed, old_values)
        if self._bus is not None:
            await self._bus.publish(ConfigChanged(version=version, sections=changed))
        return version

    async def _store(self, document: Document, changed: tuple[str, ...], *, principal: Principal | None,
                     remote: str | None, before: Document, after: Document) -> int:
        assert self._db is not None
        version = self._version + 1
        try:
            async with self._db.session() as s:
                s.add(ConfigRevision(version=version, document=document, sections=list(changed),
                                     author_id=principal.id if principal else None,
                                     author=principal.username if principal else None))
                for name in changed:
                    record_change(s, principal=principal, remote=remote, object_type="config", object_id=name,
                                  verb="update", before=before.get(name), after=after.get(name))
        except IntegrityError as exc:  # another instance stored this version number first
            raise Conflict("the configuration was changed meanwhile; reload and try again") from exc
        return version

    async def announce_org(self, section: str) -> None:
        """Departments or users changed (in their tables): tell every instance, this one included."""
        await self._on_org_change((section,))
        if self._bus is not None:
            await self._bus.publish(ConfigChanged(version=self._version, sections=(section,)))

    # ------------------------------------------------------------------ reloading

    async def _on_event(self, event: ConfigChanged) -> None:
        org = tuple(s for s in event.sections if s in ORG_SECTIONS)
        if org:
            await self._on_org_change(org)
        if event.version > self._version:
            async with self._lock:
                await self._catch_up()

    async def _on_org_change(self, sections: tuple[str, ...]) -> None:
        if "departments" in sections:
            # What is valid depends on the departments: revalidate before telling anyone.
            try:
                values = self._validate(self.runtime_document(), await self.departments())
            except ContactCenterError as exc:
                log.error("configuration no longer valid after a department change: %s", exc.message)
            else:
                old, self._values = self._values, values
                await self._notify(tuple(n for n in values if old.get(n) != values[n]), old)
        for name in sections:
            for listener in self._org_listeners.get(name, []):
                await _call(listener, None)

    async def refresh(self) -> bool:
        """Load a newer stored version if there is one (what the poll does); True when it did."""
        async with self._lock:
            return await self._catch_up()

    async def _catch_up(self) -> bool:
        assert self._repository is not None
        if await self._repository.latest_version() <= self._version:
            return False
        revision = await self._repository.latest()
        assert revision is not None
        before = self.runtime_document()
        self._stored, self._version = revision.document, revision.version
        after = self.runtime_document()
        try:
            values = self._validate(after, await self.departments())
        except ContactCenterError as exc:
            log.error("stored configuration version %d does not validate here: %s", revision.version, exc.message)
            return True
        old, self._values = self._values, values
        await self._notify(changed_sections(before, after), old)
        return True

    async def _notify(self, changed: tuple[str, ...], old: Mapping[str, Any]) -> None:
        for name in changed:
            sec = self._sections.get(name)
            if sec is None:
                continue
            log.info("configuration section %s changed (version %d)", name, self._version)
            for listener in sec.listeners:
                try:
                    await _call(listener, self._values[name])
                except Exception:
                    log.exception("applying configuration section %s failed", name)

    async def _poll(self, seconds: float) -> None:
        while True:
            await asyncio.sleep(seconds)
            try:
                await self.refresh()
            except Exception:
                log.exception("checking for a newer configuration failed")


async def _call(listener: Listener, value: Any) -> None:
    result = listener(value)
    if inspect.isawaitable(result):
        await result
