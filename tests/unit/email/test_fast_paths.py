"""The parser's fast paths give exactly what the stdlib gives, and hand everything unusual to it."""

from __future__ import annotations

import binascii
from email.parser import BytesHeaderParser
from email.policy import compat32
from email.utils import getaddresses, parseaddr

import pytest

from connectors.email.addresses import address_list, parse_address
from connectors.email.mime import decode_base64, parse_email
from connectors.email.mime_tree import _header_block

ADDRESSES = [
    "a@b", "a@b.c", " a@b.c ", "<a@b.c>", "Ann <a@b.c>", "Ann  Lee <a@b.c>", "Ann\tLee<a@b.c>", "Zoë Ünal <z@x.org>",
    "Ann Lee <a.b+c@x-y.org>", "Ann <a@b> x", "A.B <a@b>", '"Ann, Lee" <a@b>', "Ann (c) <a@b>", "a@b, c@d",
    "Ann <a@b>, Bob <c@d>", "a@b,", ",a@b", "", "a", "Ann", "<>", "a@", "@b", "a@b.", "a..b@c", "Ann <a@[1.2.3.4]>",
    "Ann!# <a@b>", "x\u00a0y <a@b>", "a@b\u00e9.c", "Ann\u2028Lee <a@b>", "Ann <a@b>;", "Team: a@b, c@d;", "a@b c@d",
    "Ann <a@b> <c@d>", "Customer 5 <customer5-12@example.org>",
]


@pytest.mark.parametrize("value", ADDRESSES)
def test_address_fast_path_matches_the_stdlib(value: str) -> None:
    """parse_address/address_list answer exactly like parseaddr/getaddresses."""
    assert parse_address(value) == parseaddr(value)
    assert address_list(value) == getaddresses([value])


HEADER_BLOCKS = [
    b"From: a@b\r\nSubject: hi\r\nTo: c@d",
    b"Subject: folded\r\n  over\r\n\ttwo lines\r\nX-A: 1",
    b"Subject: lf only\nX-B:no space\nX-C:   many spaces  ",
    b"Subject: cr only\rX-D: 2",
    b"X-Empty:\r\nX-Dup: 1\r\nX-Dup: 2",
    b"Subject: =?utf-8?q?caf=C3=A9?=\r\nFrom: \xc3\xa9 <a@b>",
]
LEFT_TO_THE_STDLIB = [
    b" starts folded\r\nSubject: x",
    b"From a@b Mon Jan  1 00:00:00 2024\r\nSubject: x",
    b"Subject: x\r\nno colon here",
    b"Subject: x\r\n: no name",
    b"Bad Name: x",
]


@pytest.mark.parametrize("head", HEADER_BLOCKS)
def test_header_block_matches_the_stdlib_header_parser(head: bytes) -> None:
    """Well-formed header blocks give the fields the stdlib's BytesHeaderParser stores."""
    fast = _header_block(head)
    slow = BytesHeaderParser(policy=compat32).parsebytes(head + b"\r\n\r\n")
    assert fast is not None
    assert list(fast.raw_items()) == list(slow.raw_items())
    assert not slow.defects


@pytest.mark.parametrize("head", LEFT_TO_THE_STDLIB)
def test_header_block_leaves_odd_shapes_to_the_stdlib(head: bytes) -> None:
    """Anything the stdlib flags or treats specially is not parsed by the fast path."""
    assert _header_block(head) is None


@pytest.mark.parametrize(("body", "defects"), [
    (b"aGVsbG8gd29y\r\nbGQ=\r\n", ()),
    (b"aGVsbG8gd29ybGQ\r\n", ("InvalidBase64PaddingDefect",)),
    (b"aGVsbG8*gd29ybGQ=\r\n", ("InvalidBase64CharactersDefect",)),
])
def test_base64_bodies_decode_with_the_stdlib_defects(body: bytes, defects: tuple[str, ...]) -> None:
    """Well-formed base64 decodes in one call; bad padding or characters keep the stdlib's defects."""
    raw = (b"From: a@b\r\nMessage-ID: <m@x>\r\nContent-Type: application/octet-stream; name=x.bin\r\n"
           b"Content-Transfer-Encoding: base64\r\n\r\n" + body)
    parsed = parse_email(raw)
    assert parsed.parts[0].data == b"hello world"
    assert parsed.defects == defects


BASE64_SHAPES = [b"", b"QQ==", b"QR==", b"QUF=", b"QUFB", b"QUFBQQ==", b"QUFB\r\nQUFB\r\n", b"QUFB\nQQ==\n",
                 b"QQ==QUFB", b"Q===", b"=QUF", b"QU=B", b"QU*B", b"QUF", b"QU FB", b"QUFB\r\nQQ=\r\n=",
                 b"QUFB-_Q=", b"QUFB+/Q="]


@pytest.mark.parametrize("body", BASE64_SHAPES)
def test_simd_base64_accepts_and_decodes_what_strict_binascii_does(body: bytes) -> None:
    """decode_base64 returns strict binascii's bytes for well-formed input and None for the rest."""
    try:
        expected: bytes | None = binascii.a2b_base64(body.replace(b"\r", b"").replace(b"\n", b""), strict_mode=True)
    except binascii.Error:
        expected = None
    assert decode_base64(body) == expected
