"""The boundary splitter (mime_tree) gives, field by field, what the stdlib parser alone gives."""

from __future__ import annotations

import importlib.util
import sysconfig
from email.message import EmailMessage
from pathlib import Path

import pytest

from connectors.email.mime import parse_email
from connectors.email.mime_tree import parse_tree

ROOT = Path(__file__).resolve().parents[3]
STDLIB_MAILS = Path(sysconfig.get_paths()["stdlib"]) / "test" / "test_email" / "data"


def _bench_templates() -> list[bytes]:
    spec = importlib.util.spec_from_file_location("bench_email_ingest", ROOT / "bench" / "email_ingest.py")
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return [module.make_message(i, "t") for i in range(120)]


def _generated() -> list[bytes]:
    out = []
    for k, charset in enumerate(["utf-8", "iso-8859-2", "iso-8859-7", "windows-1252", "koi8-r", "us-ascii"]):
        msg = EmailMessage()
        msg["From"] = f'"Zoë, Ünal" <z{k}@example.org>' if k % 2 else f"Ann {k} <ann{k}@example.org>"
        msg["To"] = "support@example.test, Bob <bob@example.test>"
        msg["Cc"] = "=?utf-8?q?J=C3=BCrgen?= <j@example.org>"
        msg["Subject"] = f"Καλησπέρα {k} [#12-abcdefgh]" if k % 3 else f"Plain subject {k}"
        msg["Message-ID"] = f"<gen-{k}@example.org>"
        msg["Date"] = "Mon, 02 Jan 2023 10:00:00 +0100"
        msg["Auto-Submitted"] = "auto-replied" if k == 4 else "no"
        text = {"koi8-r": "Привет", "us-ascii": "Hello"}.get(charset, "Dzień dobry Καλησπέρα Zoë €")
        try:
            text.encode(charset)
        except UnicodeEncodeError:
            text = "Hello there"
        msg.set_content(text * (k + 1), charset=charset, cte="quoted-printable" if k % 2 else None)
        msg.add_alternative(f"<p>{text}</p><script>alert(1)</script><img src='cid:img{k}@x'>", subtype="html")
        msg.add_attachment(b"%PDF" + bytes(range(256)) * (k + 1), maintype="application", subtype="pdf",
                           filename="Zoë's invoice.pdf" if k % 2 else f"invoice-{k}.pdf")
        msg.add_attachment(b"\x89PNG\r\n" + bytes(k), maintype="image", subtype="png", cid=f"<img{k}@x>",
                           disposition="inline")
        out.append(msg.as_bytes())
    return out


HEAD = b"From: Ann <ann@example.org>\r\nTo: s@example.test\r\nSubject: shapes\r\nMessage-ID: <s@x>\r\n"
SHAPES = [
    HEAD + b"\r\nno content type at all\r\n",
    HEAD + b"Content-Type: text/plain; charset=UTF-8;\r\n\r\ntrailing semicolon\r\n",
    HEAD + b"Content-Type: text/plain;\r\n charset=\"iso-8859-2\"\r\nContent-Transfer-Encoding: 8bit\r\n\r\n"
           b"\xb1\xea\r\n",
    HEAD + b"Content-Type: text/plain; charset=<utf-8>\r\n\r\nangle brackets\r\n",
    HEAD + b"Content-Type: TEXT/PLAIN; CHARSET=Windows-1252\r\nContent-Transfer-Encoding: QUOTED-PRINTABLE\r\n\r\n"
           b"caf=E9 soft=\r\nbreak\r\n",
    HEAD + b"Content-Type: text/plain\r\nContent-Transfer-Encoding: base64 \r\n\r\naGVsbG8=\r\n",
    HEAD + b"Content-Type: text/plain\r\nContent-Transfer-Encoding: base64\r\n\r\naGVsbG8\r\n",
    HEAD + b"Content-Type: text/plain\r\nContent-Transfer-Encoding: x-uuencode\r\n\r\nbegin 644 x\r\n`\r\nend\r\n",
    HEAD + b"Content-Type: text/plain; charset*=utf-8''%C3%A9\r\n\r\nRFC 2231\r\n",
    HEAD + b"Content-Type: application/octet-stream; name=\"a;b.bin\"\r\n\r\nsemicolon in quotes\r\n",
    HEAD + b"Content-Type: application/octet-stream\r\nContent-Disposition: attachment;\r\n"
           b" filename*=utf-8''Z%C3%B6e.txt\r\n\r\nRFC 2231 name\r\n",
    HEAD + b"Content-Type: application/octet-stream\r\nContent-Disposition: ATTACHMENT; filename=\"  spaced.txt \"\r\n"
           b"Content-ID: <c@x>\r\n\r\ndata\r\n",
    HEAD + b"Content-Type: image/gif; name=\"x.gif\"\r\nContent-ID: <g@x>\r\n\r\nGIF89a\r\n",
    HEAD + b"Content-Type: multipart/mixed; boundary=\"b1\"\r\n\r\npreamble\r\n--b1\r\n"
           b"Content-Type: multipart/alternative; boundary=b2\r\n\r\n--b2\r\nContent-Type: text/plain\r\n\r\nt\r\n"
           b"--b2\r\nContent-Type: text/html\r\n\r\n<b>h</b>\r\n--b2--\r\n--b1\r\nContent-Type: text/plain\r\n"
           b"Content-Disposition: attachment\r\n\r\nnotes\r\n--b1--\r\nepilogue\r\n",
    HEAD + b"Content-Type: multipart/mixed; boundary=\"b1\"\r\n\r\n--b1\r\nContent-Type: text/plain\r\n\r\nt\r\n",
    HEAD + b"Content-Type: multipart/digest; boundary=d\r\n\r\n--d\r\n\r\nFrom: x@y\r\n\r\nhi\r\n--d--\r\n",
    HEAD + b"Content-Type: multipart/mixed; boundary=m\r\n\r\n--m\r\nContent-Type: message/rfc822\r\n\r\n"
           b"From: x@y\r\nSubject: inner\r\n\r\nhi\r\n--m--\r\n",
    HEAD.replace(b"\r\n", b"\n") + b"Content-Type: text/plain; format=flowed; delsp=yes\n\nLF only\n",
    HEAD.replace(b"\r\n", b"\r") + b"\rCR only\r",
    HEAD + b"Subject: second subject\r\nX-Folded: a\r\n\tb\r\n\r\nduplicate field\r\n",
    b"From: =?iso-8859-1?q?Andr=E9?= <a@x>\r\nSubject: =?utf-8?b?w6k=?= =?bogus?q?x?=\r\n\r\nencoded words\r\n",
    b"From: \xc3\xa9 <raw@x>\r\nSubject: raw 8-bit\r\n\r\nbody\r\n",
    b"From a@b Mon Jan  1 00:00:00 2024\r\nSubject: mbox line\r\n\r\nbody\r\n",
    b"Subject: no separator",
    b"\r\nno header at all\r\n",
    b"not a mail at all\xff\r\n",
    HEAD + b"Content-Type: text/plain; charset=\"utf-8\" x\r\n\r\ngarbage after a quoted value\r\n",
    HEAD + b"Content-Type: text/plain; charset=bogus-charset\r\n\r\n\xe9t\xe9\r\n",
    HEAD + b"Content-Type: text/html; charset=utf-8\r\nContent-Disposition: inline\r\n\r\n<p>only html</p>\r\n",
]


def _stdlib_mails() -> list[Path]:
    return sorted(STDLIB_MAILS.glob("msg_*.txt")) if STDLIB_MAILS.is_dir() else []


@pytest.mark.parametrize("raw", _bench_templates() + _generated() + SHAPES)
def test_fast_path_equals_the_message_paths(raw: bytes) -> None:
    """Every ParsedEmail field is the same whether or not the splitter reads the mail."""
    assert parse_email(raw, max_attachment_bytes=2_000) == parse_email(raw, max_attachment_bytes=2_000, fast=False)


@pytest.mark.parametrize("path", _stdlib_mails(), ids=lambda p: p.name)
def test_fast_path_equals_the_message_paths_on_the_stdlibs_test_mails(path: Path) -> None:
    """The stdlib's own test messages (odd shapes on purpose) parse the same both ways."""
    raw = path.read_bytes()
    assert parse_email(raw) == parse_email(raw, fast=False)


def test_splitter_takes_the_bench_mail_and_the_generated_mail() -> None:
    """The benchmark's mail and the generated mail (RFC 2231 names included) are all cut by the
    splitter, so the equivalence tests above compare two different parses."""
    assert all(parse_tree(raw) is not None for raw in _bench_templates() + _generated())


@pytest.mark.parametrize("index", [14, 15, 16, 18, 23, 25])
def test_splitter_leaves_unusual_shapes_to_the_stdlib(index: int) -> None:
    """Unclosed boundaries, digests, message parts, mbox lines, missing separators and headers the stdlib
    flags go to the stdlib parser."""
    assert parse_tree(SHAPES[index]) is None
