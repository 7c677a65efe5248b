"""The live configuration: stored, versioned, validated, announced on the bus, exported as TOML.

* :mod:`.document` (pure): the document (TOML-shaped sections), what changed, TOML in and out.
* :mod:`.secrets`: mailbox passwords encrypted at rest, PBX tokens hashed, both never returned.
* :mod:`.repository`: the ``config_revision`` table (one row per version; the newest is in force).
* :mod:`.service`: :class:`~.service.LiveConfig`, the sections plugins register (each with the
  validator they already run at start-up), applying a change all or nothing, and reloading on
  every instance when the bus (or, after a missed message, the store) says a newer version exists.
* :mod:`.http`: ``/api/v1/config`` (admins change, supervisors read).

The TOML file stays the bootstrap: a section nobody has changed live is read from the file; once
a section is changed in the browser (or by ``contact-center config import``) the store holds it.
"""

from __future__ import annotations
