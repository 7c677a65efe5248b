"""Customers and identity resolution: who is calling, writing or chatting.

* :mod:`.identity` (pure): normalise phone numbers to E.164 and emails to lower case; rank the
  customers an identity matches.
* :mod:`.repository`: find by identity, create, link an identity, merge two customers.
* :mod:`.timeline`: a customer's recent conversations across channels.
* :mod:`.http`: ``POST /api/v1/customers`` and ``POST /api/v1/customers/{id}/identities``.
"""
