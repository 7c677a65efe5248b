"""MIME parsing: charsets, encodings, structure, attachments, HTML, automation and failures."""

from __future__ import annotations

import base64
from email.message import EmailMessage

import pytest

from connectors.email.automated import automated_reason
from connectors.email.charsets import codec_for, decode_bytes, decode_header_value
from connectors.email.mime import ParseOptions, digest_id, parse_email
from connectors.email.mime_tree import parse_tree


def _legacy(subject: str, body: str, charset: str, cte: str) -> bytes:
    data = body.encode(charset)
    payload = base64.encodebytes(data) if cte == "base64" else data
    encoded_subject = f"=?{charset}?B?{base64.b64encode(subject.encode(charset)).decode()}?="
    return (f"From: a@example.org\r\nSubject: {encoded_subject}\r\nMessage-ID: <m@x>\r\nMIME-Version: 1.0\r\n"
            f"Content-Type: text/plain; charset=\"{charset}\"\r\nContent-Transfer-Encoding: {cte}\r\n\r\n"
            ).encode() + payload


@pytest.mark.parametrize(("subject", "body", "charset", "cte"), [
    ("Παραγγελία", "Καλησπέρα σας", "iso-8859-7", "8bit"),
    ("Zażółć gęślą jaźń", "Dzień dobry", "iso-8859-2", "8bit"),
    ("Zamówienie", "Proszę o fakturę", "windows-1250", "base64"),
    ("سفارش", "سلام دوست من", "windows-1256", "base64"),
    ("Tilaus 20 €", "Hyvää päivää", "iso-8859-15", "8bit"),
    ("Größe", "Grüße aus Köln", "utf-8", "base64"),
    ("Привет", "Здравствуйте", "koi8-r", "8bit"),
    ("注文", "こんにちは", "iso-2022-jp", "7bit"),
])
def test_legacy_charsets(subject: str, body: str, charset: str, cte: str) -> None:
    """RFC 2047 subjects and bodies in traditional charsets decode to the right text."""
    parsed = parse_email(_legacy(subject, body, charset, cte))
    assert parsed.subject == subject
    assert parsed.text.strip() == body
    assert parsed.parse_error is None


@pytest.mark.parametrize(("raw", "expected"), [
    ("=?utf-8?q?Hello?= =?utf-8?q?_World?=", "Hello World"),
    ("Re: =?iso-8859-2?q?Za=BF=F3=B3=E6?= gęślą", "Re: Zażółć gęślą"),
    ("=?x-unknown-charset?q?abc?=", "abc"),
    ("=?utf-8?b?broken", "=?utf-8?b?broken"),
    ("folded\r\n  header", "folded header"),
    (None, ""),
])
def test_header_decoding(raw: str | None, expected: str) -> None:
    """Encoded words, unknown charsets, broken words and folding all give readable text."""
    assert decode_header_value(raw) == expected


@pytest.mark.parametrize(("data", "charset", "text"), [
    ("“quoted”".encode("cp1252"), "iso-8859-1", "“quoted”"),  # mail clients mean windows-1252
    ("café".encode(), "bogus-charset", "café"),
    (b"\xff\xfe\xfa", "utf-8", "ÿþú"),
])
def test_body_decoding_fallbacks(data: bytes, charset: str, text: str) -> None:
    """Mislabelled or unknown charsets still decode (declared, then UTF-8, then windows-1252)."""
    assert decode_bytes(data, charset)[0] == text
    assert codec_for("ks_c_5601-1987") == "cp949"


def _rich() -> bytes:
    msg = EmailMessage()
    msg["From"], msg["To"], msg["Subject"], msg["Message-ID"] = "Ann <Ann@Example.org>", "s@x", "Hi", "<r1@x>"
    msg["In-Reply-To"], msg["References"] = "<q2@x>", "<q1@x> <q2@x>"
    msg.set_content("plain text =\u00e9")
    msg.add_alternative('<p onmouseover="x()">html <b>bold</b><script>evil()</script><img src="cid:pic"></p>',
                        subtype="html")
    msg.get_payload()[1].add_related(b"PNGDATA", maintype="image", subtype="png", cid="<pic>")
    msg.add_attachment(b"A" * 10, maintype="application", subtype="pdf", filename="small.pdf")
    msg.add_attachment(b"B" * 100, maintype="application", subtype="zip", filename="Größe.zip")
    return msg.as_bytes()


def test_multipart_alternative_with_related_and_attachments() -> None:
    """Text and sanitised HTML side by side; inline image and attachments; the big one omitted."""
    parsed = parse_email(_rich(), max_attachment_bytes=50)
    assert parsed.text.strip() == "plain text =\u00e9"
    assert "<script>" not in (parsed.html or "")
    assert "onmouseover" not in (parsed.html or "")
    assert "<b>bold</b>" in (parsed.html or "")
    assert parsed.from_address == "ann@example.org"
    assert parsed.from_name == "Ann"
    assert parsed.reply_to == ("<q2@x>", "<q1@x>")
    parts = {p.filename: p for p in parsed.parts}
    assert parts["small.pdf"].data == b"A" * 10
    assert parts["Größe.zip"].data is None
    assert parts["Größe.zip"].size == 100
    [image] = [p for p in parsed.parts if p.content_id == "pic"]
    assert image.inline
    assert image.data == b"PNGDATA"


def test_fast_splitter_agrees_with_the_stdlib() -> None:
    """The boundary splitter builds the same tree as the stdlib parser for well-formed mail."""
    import email

    raw = _rich()
    fast, slow = parse_tree(raw), email.message_from_bytes(raw)
    assert fast is not None
    assert [p.get_content_type() for p in fast.walk()] == [p.get_content_type() for p in slow.walk()]
    assert [p.get_payload(decode=True) for p in fast.walk() if not p.is_multipart()] == \
        [p.get_payload(decode=True) for p in slow.walk() if not p.is_multipart()]


@pytest.mark.parametrize("raw", [
    b"From: a@x\r\nContent-Type: multipart/mixed; boundary=zz\r\n\r\n--zz\r\nContent-Type: text/plain\r\n\r\nhi\r\n",
    b"From: a@x\r\nContent-Type: message/rfc822\r\n\r\nFrom: b@x\r\n\r\ninner\r\n",
    b"no header separator at all",
])
def test_fast_splitter_defers_unusual_mail(raw: bytes) -> None:
    """An unclosed multipart, message/* parts or no header block go to the stdlib parser."""
    assert parse_tree(raw) is None


def test_html_only_mail_gets_a_text_version() -> None:
    """Without text/plain, the text comes from the HTML (tags, scripts and entities removed)."""
    raw = (b"From: a@x\r\nSubject: h\r\nContent-Type: text/html; charset=utf-8\r\n\r\n"
           b"<p>Hello&nbsp;<b>there</b></p><script>alert(1)</script><div>line two</div>")
    parsed = parse_email(raw)
    assert parsed.text == "Hello there\nline two"


@pytest.mark.parametrize("raw", [
    b"From: a@x\r\nSubject: s\r\nContent-Type: multipart/mixed; boundary=\"nope\"\r\n\r\nno parts here\r\n",
    b"\xff\xfe\x00garbage without any header\r\n",
])
def test_unusable_mail_reports_a_parse_error_and_keeps_text(raw: bytes) -> None:
    """Broken structure or no headers: parse_error set, a text derived from the raw bytes."""
    parsed = parse_email(raw)
    assert parsed.parse_error
    assert parsed.text.strip()
    assert parsed.message_id == digest_id(raw) or parsed.message_id.startswith("<")


def test_missing_message_id_gets_a_stable_digest() -> None:
    """The same bytes without Message-ID always get the same stand-in id (idempotent ingest)."""
    raw = b"From: a@x\r\nSubject: none\r\n\r\nbody\r\n"
    assert parse_email(raw).message_id == parse_email(raw).message_id == digest_id(raw)


@pytest.mark.parametrize(("headers", "ctype", "reason"), [
    ({"auto-submitted": "auto-replied"}, "text/plain", "auto-submitted: auto-replied"),
    ({"auto-submitted": "no"}, "text/plain", None),
    ({}, "multipart/report", "delivery or read report"),
    ({"return-path": "<>"}, "text/plain", "null return path (bounce)"),
    ({"precedence": "bulk"}, "text/plain", "precedence: bulk"),
    ({"x-autoreply": "yes"}, "text/plain", "x-autoreply"),
    ({"x-auto-response-suppress": "OOF, AutoReply"}, "text/plain", "x-auto-response-suppress"),
    ({"from-address": "mailer-daemon@example.org"}, "text/plain", "mailer daemon"),
    ({"list-id": "<news.example.org>"}, "text/plain", "mailing list"),
    ({"subject": "Out of Office: holiday"}, "text/plain", "auto-reply subject"),
    ({"subject": "Automatische Antwort: Urlaub"}, "text/plain", "auto-reply subject"),
    ({"subject": "Αυτόματη απάντηση"}, "text/plain", "auto-reply subject"),
    ({"subject": "Re: my order", "from-address": "ann@example.org"}, "text/plain", None),
])
def test_automated_mail_is_recognised(headers: dict[str, str], ctype: str, reason: str | None) -> None:
    """Auto-replies, bounces, reports and list mail are flagged; a person's mail is not."""
    assert automated_reason(headers, ctype) == reason


def test_raw_8bit_utf8_headers_are_read_as_utf8() -> None:
    """A Subject and From name in raw 8-bit UTF-8 (no encoded-words) come out as written, not U+FFFD."""
    raw = ("From: Zoë Łukasiewicz <zoe@example.pl>\r\nTo: support@example.test\r\n"
           "Subject: Zamówienie: zażółć gęślą jaźń — ΑΒΓ\r\nMessage-ID: <u8@example.pl>\r\n\r\nHi\r\n").encode()
    parsed = parse_email(raw)
    assert parsed.subject == "Zamówienie: zażółć gęślą jaźń — ΑΒΓ"
    assert (parsed.from_name, parsed.from_address) == ("Zoë Łukasiewicz", "zoe@example.pl")
    assert parsed.headers["subject"] == parsed.subject


@pytest.mark.parametrize(
    ("head_charset", "declared", "legacy", "subject"),
    [
        ("iso-8859-7", "iso-8859-7", None, "Παραγγελία 55"),  # the message's own charset
        ("windows-1250", None, "windows-1250", "Reklamacja: źle"),  # the configured legacy charset
    ],
)
def test_raw_8bit_legacy_headers(head_charset: str, declared: str | None, legacy: str | None, subject: str) -> None:
    """Raw 8-bit headers that are not UTF-8 are read in the message's charset, else the legacy one."""
    ctype = f"Content-Type: text/plain; charset={declared}\r\n" if declared else ""
    raw = (f"From: x@example.org\r\nSubject: {subject}\r\nMessage-ID: <l@x>\r\n{ctype}\r\nHi\r\n").encode(head_charset)
    parsed = parse_email(raw, options=ParseOptions(legacy_charset=legacy))
    assert parsed.subject == subject


def test_encoded_display_name_never_supplies_the_address() -> None:
    """Issue 15 item 1: an encoded From name holding a customer's address leaves the sender the real address."""
    raw = (b"From: =?utf-8?q?Ann_=3Cann=40customer.example=3E?= <attacker@evil.example>\r\n"
           b"Reply-To: =?utf-8?q?ann=40customer.example?= <collect@evil.example>\r\n"
           b"To: =?utf-8?q?x=40evil.example?= <support@example.test>\r\nSubject: Invoice\r\n"
           b"Message-ID: <s@evil.example>\r\n\r\nPay here\r\n")
    parsed = parse_email(raw)
    assert (parsed.from_address, parsed.from_name) == ("attacker@evil.example", "Ann <ann@customer.example>")
    assert parsed.from_claimed == "ann@customer.example"
    assert parsed.reply_to_address == "collect@evil.example"
    assert parsed.to == ("support@example.test",)


def test_delivery_status_is_kept_readable() -> None:
    """A bounce's message/delivery-status is one readable text part, not blank lines in the text (RFC 3464)."""
    raw = (b"From: MAILER-DAEMON@mx.example\r\nTo: support@example.test\r\nSubject: Undelivered Mail\r\n"
           b"Message-ID: <b@mx.example>\r\nMIME-Version: 1.0\r\n"
           b'Content-Type: multipart/report; report-type=delivery-status; boundary="B"\r\n\r\n'
           b"--B\r\nContent-Type: text/plain\r\n\r\nYour message could not be delivered.\r\n"
           b"--B\r\nContent-Type: message/delivery-status\r\n\r\n"
           b"Reporting-MTA: dns; mx.example\r\n\r\n"
           b"Final-Recipient: rfc822; nobody@customer.example\r\nAction: failed\r\nStatus: 5.1.1\r\n\r\n"
           b"--B--\r\n")
    parsed = parse_email(raw)
    assert parsed.text.strip() == "Your message could not be delivered."
    (status,) = parsed.parts
    assert (status.filename, status.content_type) == ("delivery-status.txt", "message/delivery-status")
    assert status.data == (b"Reporting-MTA: dns; mx.example\n\nFinal-Recipient: rfc822; nobody@customer.example\n"
                           b"Action: failed\nStatus: 5.1.1")
    assert parsed.automated is not None


def test_thread_index_and_authentication_results() -> None:
    """Outlook's Thread-Index head and the receiving server's SPF/DKIM/DMARC verdicts are read."""
    head = bytes(range(22))
    raw = (b"Authentication-Results: mx.example.test; spf=fail smtp.mailfrom=evil.example; dmarc=fail\r\n"
           b"From: a@example.org\r\nSubject: x\r\nMessage-ID: <t@x>\r\n"
           b"Thread-Index: " + base64.b64encode(head + b"\x01\x02\x03\x04\x05") + b"\r\n\r\nhi\r\n")
    parsed = parse_email(raw)
    assert parsed.thread_key == head.hex()
    assert parsed.authentication == {"spf": "fail", "dmarc": "fail"}
