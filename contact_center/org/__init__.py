"""The organisation an admin sets up: departments (numbers, address, SLA target, opening hours) and users.

* :mod:`.hours` (pure): opening hours, holidays and what happens outside them.
* :mod:`.departments`: create, rename, deactivate; validated against the live configuration.
* :mod:`.users`: create, edit, deactivate (sessions end at once), reset passwords; never the last admin.
* :mod:`.http`: ``/api/v1/departments`` and ``/api/v1/users`` (admins change; supervisors read).

Every change is written with its audit row (:mod:`contact_center.config.changes`) and announced
as :class:`~contact_center.events.ConfigChanged` so routing on every instance reloads at once.
"""

from __future__ import annotations
