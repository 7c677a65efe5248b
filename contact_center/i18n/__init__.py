"""What the server writes for people, in their language.

* :mod:`.negotiate` (pure): parse ``Accept-Language`` and pick the language: the user's stored
  preference, else the browser's, else the installation's default (``[i18n] default_language``).
* :mod:`.catalogs`: gettext catalogs (``locales/<lang>/LC_MESSAGES/messages.po``) read with Babel
  and compiled in memory; plural forms come from CLDR through Babel. A :class:`Translator` gives
  ``gettext``/``ngettext`` and CLDR date, number and money formatting for one language.
* :mod:`.http`: the language of one request, for pages and mails the server renders.

The browser side (the desk, the wallboard, the admin console, the chat widget) has its own JSON
catalogs in ``agent_ui/static/i18n/``; the same languages exist on both sides, which a unit test
checks. A language is added by dropping in both catalogs.
"""

from contact_center.i18n.catalogs import Catalogs, Translator
from contact_center.i18n.negotiate import negotiate, parse_accept_language

__all__ = ["Catalogs", "Translator", "negotiate", "parse_accept_language"]
