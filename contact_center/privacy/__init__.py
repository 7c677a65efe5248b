"""The data-subject rights (GDPR / RODO): export, erasure and retention.

* :mod:`.subject`: everything held about one customer (the store, and per source what the sources
  return) as JSON and as a readable HTML page; erasure (anonymisation) across the store, listing
  what the sources hold for the operator to erase there (the product never writes them).
* :mod:`.retention`: per-channel retention (``[privacy.retention]``, days), applied by a scheduled
  job: conversations on that channel closed longer ago lose their content.
* :mod:`.http`: the admin API; every export, erasure and retention run is audited.
"""
