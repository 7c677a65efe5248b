"""Pure demo generators: valid phone numbers per country, deterministic customers, shared lines."""

from __future__ import annotations

import random
from collections import Counter

import phonenumbers
import pytest

from contact_center.demo.names import ascii_slug, gendered_surname
from contact_center.demo.org import DEPARTMENTS, DemoDepartment
from contact_center.demo.people import customer_key, generate_customers
from contact_center.demo.phones import PREFIXES, is_valid_e164, random_number

CASES = [(region, kind) for region, kinds in PREFIXES.items() for kind in kinds]


@pytest.mark.parametrize(("region", "kind"), CASES)
def test_random_numbers_are_valid_e164_of_the_region_and_kind(region: str, kind: str) -> None:
    """Every generated number parses, is valid per phonenumbers, is in its region and of its kind."""
    rng = random.Random(f"{region}-{kind}")
    for _ in range(25):
        number = random_number(rng, region, kind)
        parsed = phonenumbers.parse(number, None)
        assert phonenumbers.is_valid_number(parsed)
        assert phonenumbers.region_code_for_number(parsed) == region
        assert number == phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)
        assert is_valid_e164(number, kind)


def test_unknown_region_is_refused() -> None:
    """Asking for a region without demo prefixes raises ValueError rather than inventing numbers."""
    with pytest.raises(ValueError, match="XX"):
        random_number(random.Random(1), "XX", "mobile")


@pytest.mark.parametrize("department", DEPARTMENTS, ids=lambda d: d.slug)
def test_department_numbers_are_valid(department: DemoDepartment) -> None:
    """The demo departments' own phone numbers are valid E.164 numbers."""
    assert is_valid_e164(department.phone_number)


def test_same_seed_gives_same_customers_and_other_seed_differs() -> None:
    """Generation is deterministic for a seed and changes with the seed."""
    assert generate_customers(80, seed=7) == generate_customers(80, seed=7)
    assert generate_customers(80, seed=7) != generate_customers(80, seed=8)


def test_first_customers_do_not_depend_on_the_count() -> None:
    """Customer i is the same whether 50 or 120 are generated (seeding more extends, never contradicts)."""
    assert generate_customers(120, seed=3)[:50] == generate_customers(50, seed=3)


def test_customers_have_keys_identities_and_lower_case_unique_emails() -> None:
    """Keys are C + 8 digits in order; everyone has a valid phone or email; emails are unique ASCII lower case."""
    people = generate_customers(300, seed=1)
    assert [p.key for p in people[:3]] == ["C00000001", "C00000002", "C00000003"]
    assert customer_key(1233) == "C00001234"
    emails = [e for p in people for e in p.emails]
    assert len(emails) == len(set(emails))
    assert all(e == e.lower() and e.isascii() and e.count("@") == 1 for e in emails)
    for p in people:
        assert p.phones or p.emails
        assert all(is_valid_e164(number) for number, _label in p.phones)
        assert {label for _n, label in p.phones} <= {"mobile", "home", "work"}


def test_some_customers_share_a_line_so_callers_can_be_ambiguous() -> None:
    """Households and colleagues share a landline: some numbers belong to two or more customers."""
    people = generate_customers(100, seed=1)
    owners = Counter(number for p in people for number, _label in p.phones)
    shared = [n for n, count in owners.items() if count > 1]
    assert len(shared) >= 5
    for number in shared:
        sharing = [p for p in people if any(n == number for n, _ in p.phones)]
        labels = {label for p in sharing for n, label in p.phones if n == number}
        assert labels <= {"home", "work"}
        assert len({p.last_name for p in sharing}) == 1 or len({p.company for p in sharing}) == 1


def test_customers_come_from_several_countries_and_some_are_businesses() -> None:
    """The default mix spans many countries, languages and both private and business customers."""
    people = generate_customers(1000, seed=1)
    assert len({p.country for p in people}) >= 9
    assert len({p.language for p in people}) >= 7
    assert 100 < sum(p.business for p in people) < 500
    assert {p.payer for p in people} == {"prompt", "late", "bad"}


@pytest.mark.parametrize(
    ("text", "expected"),
    [("Jürgen", "jurgen"), ("Weiß", "weiss"), ("Łukasz", "lukasz"), ("de Jong", "de.jong"), ("O'Brien", "o.brien"),
     ("Müller Elektrotechnik GmbH", "muller.elektrotechnik.gmbh")],
)
def test_ascii_slug(text: str, expected: str) -> None:
    """Names fold to ASCII email local parts."""
    assert ascii_slug(text) == expected


@pytest.mark.parametrize(
    ("first", "last", "names", "expected"),
    [("Anna", "Kowalski", "pl", "Kowalska"), ("Jan", "Kowalska", "pl", "Kowalski"), ("Ewa", "Nowak", "pl", "Nowak"),
     ("Anna", "Kowalski", "de", "Kowalski")],
)
def test_polish_surnames_agree_with_the_first_name(first: str, last: str, names: str, expected: str) -> None:
    """Polish -ski/-ska surnames follow the bearer; other languages are left alone."""
    assert gendered_surname(first, last, names) == expected
