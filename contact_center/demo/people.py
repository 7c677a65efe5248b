"""Pure: deterministic demo customers (names, companies, phones, emails, payment behaviour).

The same ``(count, seed)`` always gives the same customers, and the first *n* customers do not
depend on *count* (customer ``i`` only depends on the seed and customers before it), so seeding
again with more customers adds to the old ones instead of contradicting them.

Some customers share a phone number on purpose, which makes ambiguous callers:

* a *household member* shares the previous customer's landline (label ``home``), same surname;
* a *colleague* shares the previous business customer's switchboard (label ``work``), same company.

Every 20th customer (and about 3 % more, at random) is one of these.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, replace
from itertools import accumulate

from contact_center.demo.names import (
    COUNTRIES,
    FIRST_NAMES,
    LAST_NAMES,
    PRIVATE_EMAIL_DOMAINS,
    TRADES,
    Country,
    ascii_slug,
    gendered_surname,
)
from contact_center.demo.phones import random_number

PAYERS = ("prompt", "late", "bad")
_PAYER_WEIGHTS = (80, 14, 6)
_COUNTRY_CUM = list(accumulate(c.weight for c in COUNTRIES))


@dataclass(frozen=True)
class DemoCustomer:
    """One generated customer, as both the core store and the source databases know them."""

    key: str  # customer.external_key and the sources' customer_key, e.g. "C00000042"
    first_name: str
    last_name: str
    company: str | None
    country: str
    language: str
    phones: tuple[tuple[str, str], ...]  # (E.164, label) label: mobile | home | work
    emails: tuple[str, ...]
    payer: str  # prompt | late | bad — drives invoices, overdue amounts and credit status

    @property
    def display_name(self) -> str:
        return f"{self.first_name} {self.last_name}"

    @property
    def business(self) -> bool:
        return self.company is not None


def customer_key(index: int) -> str:
    """The external key of the *index*-th (0-based) demo customer: ``C00000001`` …"""
    return f"C{index + 1:08d}"


def generate_customers(count: int, seed: int) -> list[DemoCustomer]:
    """*count* customers, deterministic for *seed*; see the module docstring for shared numbers."""
    rng = random.Random(f"customers:{seed}")
    out: list[DemoCustomer] = []
    taken_emails: set[str] = set()
    for i in range(count):
        shares = i > 0 and (i % 20 == 19 or rng.random() < 0.03)
        if shares:
            prev, person = _relative_of(rng, out[-1], customer_key(i), taken_emails)
            out[-1] = prev
        else:
            person = _new_customer(rng, customer_key(i), taken_emails)
        out.append(person)
    return out


def _new_customer(rng: random.Random, key: str, taken_emails: set[str]) -> DemoCustomer:
    country = rng.choices(COUNTRIES, cum_weights=_COUNTRY_CUM)[0]
    first = rng.choice(FIRST_NAMES[country.names])
    last = gendered_surname(first, rng.choice(LAST_NAMES[country.names]), country.names)
    company = _company(rng, country) if rng.random() < 0.25 else None
    phones: list[tuple[str, str]] = []
    if rng.random() < 0.9:
        phones.append((random_number(rng, country.region, "mobile"), "mobile"))
    if not phones or rng.random() < 0.45:
        phones.append((random_number(rng, country.region, "landline"), "work" if company else "home"))
    return DemoCustomer(
        key=key, first_name=first, last_name=last, company=company, country=country.region,
        language=country.language, phones=tuple(phones),
        emails=(_email(rng, first, last, company, taken_emails),),
        payer=rng.choices(PAYERS, weights=_PAYER_WEIGHTS)[0],
    )


def _relative_of(
    rng: random.Random, prev: DemoCustomer, key: str, taken_emails: set[str]
) -> tuple[DemoCustomer, DemoCustomer]:
    """A household member or colleague of *prev* sharing its landline; returns (prev', new)."""
    label = "work" if prev.business else "home"
    shared = next((p for p in prev.phones if p[1] == label), None)
    if shared is None:
        shared = (random_number(rng, prev.country, "landline"), label)
        prev = replace(prev, phones=(*prev.phones, shared))
    names = _country(prev.country).names
    first = rng.choice([n for n in FIRST_NAMES[names] if n != prev.first_name])
    last = gendered_surname(first, rng.choice(LAST_NAMES[names]) if prev.business else prev.last_name, names)
    phones = [shared]
    if rng.random() < 0.7:
        phones.insert(0, (random_number(rng, prev.country, "mobile"), "mobile"))
    person = DemoCustomer(
        key=key, first_name=first, last_name=last, company=prev.company, country=prev.country,
        language=prev.language, phones=tuple(phones),
        emails=(_email(rng, first, last, prev.company, taken_emails),),
        payer=rng.choices(PAYERS, weights=_PAYER_WEIGHTS)[0],
    )
    return prev, person


def _country(region: str) -> Country:
    return next(c for c in COUNTRIES if c.region == region)


def _company(rng: random.Random, country: Country) -> str:
    owner = rng.choice(LAST_NAMES[country.names])
    return f"{owner} {rng.choice(TRADES[country.names])} {rng.choice(country.company_suffixes)}"


def _email(rng: random.Random, first: str, last: str, company: str | None, taken: set[str]) -> str:
    """A lower-case address, unique among *taken* (which it extends)."""
    f, la = ascii_slug(first, ""), ascii_slug(last, "")
    local = rng.choice((f"{f}.{la}", f"{f[0]}.{la}", f"{f}{la}", f"{la}.{f}"))
    if company:
        words = ascii_slug(company, "-").split("-")
        domain = "-".join(words[:2]) + ".example.com"
    else:
        domain = rng.choice(PRIVATE_EMAIL_DOMAINS)
    address, n = f"{local}@{domain}", 1
    while address in taken:
        n += 1
        address = f"{local}{n}@{domain}"
    taken.add(address)
    return address
