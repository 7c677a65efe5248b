"""The screen pop: the customer's picture on the agent's screen when they pick up.

* :mod:`.compose` (pure): sections, timeline and suggestions -> the ``screen_pop`` frame.
* :mod:`.suggestions` (pure): co-purchase suggestions.
* :mod:`.context`: who the conversation is with (customer or candidates, timeline), cached.
* :mod:`.service`: prefetch at ``CallRang``, deliver at ``CallAnswered``/``OfferAccepted``,
  follow-up frames for late sections, audit.
* :mod:`.wiring`: routes and the ``cleanup_ctx`` that builds the services.
"""
