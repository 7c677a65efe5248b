"""Demo data: the organisation, a few thousand customers and three separate source databases.

``contact-center seed`` and ``contact-center demo`` use it. The parts, pure first:

* :mod:`~contact_center.demo.names`, :mod:`~contact_center.demo.phones`,
  :mod:`~contact_center.demo.people` — deterministic customers with valid E.164 numbers in twelve
  countries; households and colleagues share a landline, so some callers are ambiguous;
* :mod:`~contact_center.demo.catalog`, :mod:`~contact_center.demo.orders` — products and orders
  built from real bundles, so "bought together" suggestions mean something;
* :mod:`~contact_center.demo.ledger` — invoices, payments, balances and credit accounts that
  follow from the orders and each customer's payment behaviour;
* :mod:`~contact_center.demo.sources` — the source databases' schemas, the writer and the
  screen-pop queries (its docstring is the reference for both);
* :mod:`~contact_center.demo.org`, :mod:`~contact_center.demo.seed` — writing it all (idempotently);
* :mod:`~contact_center.demo.config` — the demo configuration file.
"""
