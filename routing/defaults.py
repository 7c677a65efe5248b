"""The rule table shipped with the product, used when ``[routing]`` has no ``rules`` of its own.

Order matters (first department match wins): IVR digits and the chat topic the visitor picked
are explicit choices, so they come first; then words in the subject and body (complaints before
billing before technical before sales, so "complaint about my invoice" reaches complaints);
then what the customer data says; finally a modifier that raises the priority of valuable
customers. Keywords are matched as whole words, case-insensitively; ``word*`` matches words
starting with ``word`` (German compounds: ``rechnung*`` matches ``Rechnungsadresse``).
"""

from __future__ import annotations

from typing import Any

DEFAULT_DEPARTMENTS = ("sales", "technical_support", "service", "complaints", "account_changes")

COMPLAINT_WORDS = [
    "complaint*", "complain*", "dissatisfied", "unacceptable",  # en
    "beschwerde*", "reklamation*", "unzufrieden",  # de
    "plainte*", "réclamation*", "mécontent*",  # fr
    "reklamacja*", "reklamacje", "skarga*", "niezadowolon*",  # pl
    "valitus*", "reklamaatio*",  # fi
    "queja*", "reclamación", "reclamo*",  # es
    "παράπονο", "παράπονα",  # el
    "شکایت",  # fa
]
BILLING_WORDS = [
    "invoice*", "billing", "bill", "payment*", "refund*", "iban",  # en
    "rechnung*", "zahlung*", "mahnung*", "lastschrift*", "bankverbindung*",  # de
    "facture*", "facturation", "paiement*", "remboursement*",  # fr
    "faktur*", "płatnoś*", "rachun*", "zwrot*",  # pl
    "lasku*", "maksu*",  # fi
    "factura*", "pago*",  # es
    "τιμολόγιο", "πληρωμή",  # el
    "فاکتور", "پرداخت",  # fa
]
TECHNICAL_WORDS = [
    "broken", "defect*", "error*", "crash*", "not working", "doesn't work", "does not work",  # en
    "defekt*", "kaputt", "fehler*", "störung*", "funktioniert nicht",  # de
    "panne*", "cassé", "ne fonctionne pas", "erreur*",  # fr
    "uszkodzon*", "zepsut*", "awaria", "nie działa", "błąd",  # pl
    "rikki", "rikkinäinen", "vika", "ei toimi",  # fi
    "avería", "roto", "no funciona",  # es
    "βλάβη", "σφάλμα",  # el
    "خراب",  # fa
]
SALES_WORDS = [
    "buy", "purchase", "order*", "quote", "price*", "pricing",  # en
    "kaufen", "kauf", "bestell*", "angebot*", "preis*",  # de
    "acheter", "achat*", "commande*", "devis", "prix",  # fr
    "kupić", "kupno", "zamówieni*", "zamówić", "cena", "oferta",  # pl
    "ostaa", "tilaus*", "tarjous*", "hinta*",  # fi
    "comprar", "pedido*", "presupuesto",  # es
    "αγορά", "παραγγελία",  # el
    "خرید", "سفارش",  # fa
]

DEFAULT_RULES: list[dict[str, Any]] = [
    {"name": "ivr 1", "field": "dtmf", "operator": "equals", "value": "1", "department": "sales"},
    {"name": "ivr 2", "field": "dtmf", "operator": "equals", "value": "2", "department": "technical_support"},
    {"name": "ivr 3", "field": "dtmf", "operator": "equals", "value": "3", "department": "service"},
    {"name": "ivr 4", "field": "dtmf", "operator": "equals", "value": "4", "department": "complaints"},
    {"name": "ivr 5", "field": "dtmf", "operator": "equals", "value": "5", "department": "account_changes"},
    {"name": "chat topic sales", "field": "chat_topic", "operator": "in", "value": ["sales", "buy", "order"],
     "department": "sales"},
    {"name": "chat topic support", "field": "chat_topic", "operator": "in",
     "value": ["support", "technical", "technical_support"], "department": "technical_support"},
    {"name": "chat topic billing", "field": "chat_topic", "operator": "in",
     "value": ["billing", "invoice", "account", "account_changes"], "department": "account_changes"},
    {"name": "chat topic complaint", "field": "chat_topic", "operator": "in", "value": ["complaint", "complaints"],
     "department": "complaints"},
    {"name": "complaint words", "field": "text", "operator": "contains_any", "value": COMPLAINT_WORDS,
     "department": "complaints"},
    {"name": "billing words", "field": "text", "operator": "contains_any", "value": BILLING_WORDS,
     "department": "account_changes"},
    {"name": "technical words", "field": "text", "operator": "contains_any", "value": TECHNICAL_WORDS,
     "department": "technical_support"},
    {"name": "sales words", "field": "text", "operator": "contains_any", "value": SALES_WORDS,
     "department": "sales"},
    {"name": "open complaint", "field": "customer.open_complaint", "operator": "equals", "value": True,
     "department": "complaints"},
    {"name": "overdue balance", "field": "customer.overdue", "operator": "gt", "value": 0,
     "department": "account_changes"},
    {"name": "valuable customer", "field": "customer.lifetime_value", "operator": "gte", "value": 10000,
     "priority": 2},
]
