"""What the composer accepts as recipients, and how addresses are shown."""

import pytest

from mailapp.core.addresses import Address, AddressError, is_valid_email, parse_address_list


def test_typed_recipient_list_with_names_and_mixed_separators() -> None:
    text = 'ann@example.org, "Doe, John" <john@example.com>; Zoë Ærø <zoe@example.net>\nbob@x.io'
    assert parse_address_list(text) == [
        Address(None, "ann@example.org"),
        Address("Doe, John", "john@example.com"),
        Address("Zoë Ærø", "zoe@example.net"),
        Address(None, "bob@x.io"),
    ]


def test_comment_form_and_mailto_prefix_are_understood() -> None:
    assert parse_address_list("x@y.org (Xavier Y), mailto:z@y.org") == [
        Address("Xavier Y", "x@y.org"),
        Address(None, "z@y.org"),
    ]


def test_empty_and_blank_text_means_no_recipients() -> None:
    assert parse_address_list("") == []
    assert parse_address_list(" ,, ; \n") == []


@pytest.mark.parametrize(
    ("text", "named_part"),
    [
        ("ann@example.org, not an address", "not an address"),
        ("bob@", "bob@"),
        ("@example.org", "@example.org"),
        ("Ann <ann at example.org>", "ann at example.org"),
    ],
)
def test_invalid_entry_is_refused_and_named(text: str, named_part: str) -> None:
    with pytest.raises(AddressError) as raised:
        parse_address_list(text)
    assert named_part in str(raised.value)
    assert isinstance(raised.value, ValueError)


@pytest.mark.parametrize(
    "email",
    ["a@b.org", "first.last+tag@sub.example.co.uk", "o'brien@example.ie", "jörg@bücher.de",
     "user@xn--bcher-kva.de", "x_y-z@a-b.example"],
)
def test_valid_addresses(email: str) -> None:
    assert is_valid_email(email)


@pytest.mark.parametrize(
    "email",
    ["", "plain", "a b@c.org", "a@b c.org", "@b.org", "a@", "a@@b.org", "a@b@c.org", ".a@b.org",
     "a.@b.org", "a..b@c.org", "a@localhost", "a@-b.org", "a@b-.org", "a@b..org", "a@1.2.3.4",
     "a\x00@b.org", "a@b.org\n", "a@" + "x" * 64 + ".org", "x" * 65 + "@b.org", 'a"b@c.org',
     "a@exa_mple.org"],
)
def test_invalid_addresses_are_refused(email: str) -> None:
    assert not is_valid_email(email)


def test_display_form_quotes_names_with_specials_only() -> None:
    assert str(Address(None, "a@b.org")) == "a@b.org"
    assert str(Address("Ann Lee", "ann@b.org")) == "Ann Lee <ann@b.org>"
    assert str(Address("Doe, John", "j@b.org")) == '"Doe, John" <j@b.org>'
    assert str(Address('Say "hi"', "h@b.org")) == '"Say \\"hi\\"" <h@b.org>'


def test_display_form_parses_back_to_the_same_address() -> None:
    addresses = [Address("Doe, John", "j@b.org"), Address('Say "hi"', "h@b.org"),
                 Address("Zoë", "z@b.org"), Address(None, "n@b.org")]
    text = ", ".join(str(a) for a in addresses)
    assert parse_address_list(text) == addresses
