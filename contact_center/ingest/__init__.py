"""The ingest spine: how every contact enters the store.

* :mod:`.group_commit`: the one group-commit loop (queue → batch → one transaction → a result per
  item → a failed batch retried item by item) behind every writer that takes items one by one.
"""
