"""The address policy itself (kkp.addresses): what is stored and sent, what is refused."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kkp.addresses import (
    AddressError,
    address_problem,
    display_address,
    normalise_address,
    sendable,
)


@pytest.mark.parametrize(
    "typed, stored",
    [
        ("Anna.Beispiel@Example.org", "anna.beispiel@example.org"),
        ("x@bücher.de", "x@xn--bcher-kva.de"),
        ("X@BÜCHER.DE", "x@xn--bcher-kva.de"),
        ("x@xn--bcher-kva.de", "x@xn--bcher-kva.de"),  # the same address, typed as A-label
        ("post@пример.рф", "post@xn--e1afmkfd.xn--p1ai"),
        ("  anna@example.org ", "anna@example.org"),
        ("a" * 64 + "@example.org", "a" * 64 + "@example.org"),
    ],
)
def test_accepted_addresses_are_stored_as_they_travel(typed, stored):
    assert normalise_address(typed) == stored


@pytest.mark.parametrize(
    "typed, says",
    [
        ("ü@example.org", "umlauts"),
        ("иван@пример.рф", "umlauts"),
        ("a" * 65 + "@example.org", "too long"),
        ("a" * 64 + "@" + ".".join(["b" * 62] * 3) + ".de", "too long"),  # 256 octets
        ("", "enter"),
        ("kein-at-zeichen", "not a valid"),
        ("a@b.de\r\nBcc: x@y.de", "not a valid"),
        ("a\u0085b@example.org", "not a valid"),  # a C1 control character
        ("a@example.org\u200b", "not a valid"),
    ],
)
def test_refused_addresses_say_why(typed, says):
    with pytest.raises(AddressError, match=says):
        normalise_address(typed)


def test_a_local_part_beyond_ascii_needs_a_relay_with_smtputf8():
    asked = []

    def relay_takes_it() -> bool:
        asked.append(True)
        return True

    assert normalise_address("Ü@Example.org", smtputf8=relay_takes_it) == "ü@example.org"
    assert asked == [True]
    normalise_address("anna@example.org", smtputf8=relay_takes_it)
    assert asked == [True], "the relay is asked only for such an address"


def test_lengths_count_octets_not_characters():
    # 32 umlauts are 64 octets: the most a local part may have
    assert normalise_address("ü" * 32 + "@example.org", smtputf8=True)
    with pytest.raises(AddressError, match="too long"):
        normalise_address("ü" * 33 + "@example.org", smtputf8=True)


def test_editors_may_use_local_domains():
    assert normalise_address("Admin@localhost", local_domains=True) == "admin@localhost"
    assert normalise_address("r@kkp.test", local_domains=True) == "r@kkp.test"
    with pytest.raises(AddressError):
        normalise_address("admin@localhost")


def test_stored_addresses_are_judged_and_shown_as_people_write_them():
    assert address_problem("x@xn--bcher-kva.de") is None
    assert "x@xn--bcher-kva.de" in address_problem("x@bücher.de")
    assert "umlauts" in address_problem("ü@example.org")
    assert address_problem("ü@example.org", smtputf8=True) is None
    assert display_address("x@xn--bcher-kva.de") == "x@bücher.de"
    assert sendable("x@bücher.de") == "x@xn--bcher-kva.de"
    assert sendable("ü@example.org") == "ü@example.org"


# -- the plain local part's short way: the same answer as email_validator's whole check


def _by_email_validator(typed: str) -> str | None:
    """What normalise_address gave before it kept its domains: email_validator on the
    whole address, for every address."""
    from email_validator import EmailNotValidError, validate_email

    try:
        result = validate_email(typed.strip(), check_deliverability=False, allow_smtputf8=True)
    except EmailNotValidError:
        return None
    address = f"{result.local_part.lower()}@{result.ascii_domain.lower()}"
    return address if len(address.encode()) <= 254 and result.local_part.isascii() else None


def _by_policy(typed: str) -> str | None:
    try:
        return normalise_address(typed)
    except AddressError:
        return None


_ATOM = st.text(alphabet="aZ09_+-.é!#~ ", min_size=0, max_size=12)
_LABELS = st.sampled_from(
    ["example", "EXAMPLE", "bücher", "xn--bcher-kva", "-bad", "bad-", "a_b", "", "de", "org",
     "localhost", "test", "x" * 64, "пример", "рф", "123", "invalid"]
)  # fmt: skip


@settings(max_examples=400, deadline=None, derandomize=True)
@given(local=_ATOM, labels=st.lists(_LABELS, min_size=1, max_size=4))
def test_a_plain_address_gets_the_answer_of_the_whole_check(local, labels):
    typed = f"{local}@{'.'.join(labels)}"
    assert _by_policy(typed) == _by_email_validator(typed)


def test_the_same_domain_twice_gives_the_same_answer():
    assert normalise_address("Eva.Muster@Bücher.de") == "eva.muster@xn--bcher-kva.de"
    assert normalise_address("otto+news@BÜCHER.DE") == "otto+news@xn--bcher-kva.de"
    for typed in ("a..b@example.org", ".a@example.org", "a.@example.org", "a@localhost"):
        with pytest.raises(AddressError):
            normalise_address(typed)
