"""The customer-data federation: named external databases read concurrently with deadlines.

* :mod:`.config`: validated :class:`~.config.SourceSpec` values and read-only engine arguments.
* :mod:`.federation`: :class:`~.federation.SourceFederation` (one engine per source, per-customer
  cache with TTL, in-flight de-duplication, per-source deadlines, late results).
"""
