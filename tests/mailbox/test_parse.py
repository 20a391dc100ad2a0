"""Tests for webmail.mailbox.parse.

Most of the value is in the malformed corpus (tests/mailbox/malformed/*.eml)
plus the generated cases below (inputs that are huge, deeply nested or not
UTF-8, which are better built in memory than committed).  Every one of them
must parse without raising, keep the output invariants, and report notices
where the breakage can be detected.
"""

from __future__ import annotations

import base64
import random
import re
from datetime import UTC, datetime
from pathlib import Path

import pytest

from webmail.mailbox.parse import (
    Address,
    ParsedMessage,
    find_by_content_id,
    get_part,
    parse_message,
    safe_filename,
)

CORPUS = Path(__file__).parent / "malformed"
CORPUS_FILES = sorted(CORPUS.glob("*.eml"))

# Corpus/generated cases whose oddity is legal or harmless, so the parser is
# right not to complain about them.
NO_NOTICE_EXPECTED = {
    "11-only-headers.eml",  # a body is optional
    "13-8bit-utf8-headers.eml",  # raw UTF-8 headers are fine (RFC 6532)
    "16-x-uuencode-attachment.eml",  # non-standard but decodes cleanly
    "crlf-lf-mix",
    "very-long-line",
}

PNG = base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR4nGP4z8DwHwAFAAH/iZk9HQAAAABJRU5ErkJggg=="
)
PNG_B64 = base64.encodebytes(PNG).decode()

HEADERS = (
    "From: Alice Martin <alice@example.com>\n"
    "To: Bob Stone <bob@example.org>\n"
    "Subject: Test\n"
    "Date: Tue, 05 Mar 2024 10:15:00 +0100\n"
    "Message-ID: <test@example.com>\n"
    "MIME-Version: 1.0\n"
)


def message(body: str, headers: str = HEADERS) -> bytes:
    return (headers + body).encode("utf-8")


# --------------------------------------------------------------------------
# Invariants every parse result must satisfy
# --------------------------------------------------------------------------


def _texts(parsed: ParsedMessage):
    yield parsed.subject
    yield parsed.text or ""
    yield parsed.html or ""
    for addr in parsed.from_ + parsed.to + parsed.cc + parsed.reply_to:
        yield addr.name
        yield addr.email
    for att in parsed.attachments:
        yield att.filename
    yield from parsed.notices


def check_invariants(raw: bytes, parsed: ParsedMessage) -> None:
    assert isinstance(parsed, ParsedMessage)
    assert len(parsed.subject) <= 998
    for text in _texts(parsed):
        assert isinstance(text, str)
        text.encode("utf-8")  # no lone surrogates: must be renderable
        assert "\x00" not in text
    assert parsed.date is None or parsed.date.tzinfo is not None
    for att in parsed.attachments:
        assert att.filename and att.filename == safe_filename(att.filename)
        assert re.fullmatch(r"[a-z0-9!#$&^_.+-]+/[a-z0-9!#$&^_.+-]+", att.content_type)
        fetched = get_part(raw, att.part_id)
        assert fetched is not None, f"listed part {att.part_id} cannot be fetched"
        data, content_type, filename = fetched
        assert (len(data), content_type, filename) == (att.size, att.content_type, att.filename)


# --------------------------------------------------------------------------
# The malformed corpus
# --------------------------------------------------------------------------


def test_corpus_is_large_enough():
    assert len(CORPUS_FILES) >= 32


@pytest.mark.parametrize("path", CORPUS_FILES, ids=lambda p: p.name)
def test_corpus_message(path):
    raw = path.read_bytes()
    parsed = parse_message(raw)
    check_invariants(raw, parsed)
    if path.name not in NO_NOTICE_EXPECTED:
        assert parsed.notices, "breakage went unreported"


def _nested(depth: int) -> bytes:
    head = "".join(f"Content-Type: multipart/mixed; boundary=b{i}\n\n--b{i}\n" for i in range(depth))
    tail = "".join(f"\n--b{i}--" for i in reversed(range(depth)))
    return message(head + "Content-Type: text/plain\n\ndeep down" + tail + "\n")


# Cases that are huge, deep, or contain bytes that are not UTF-8.
GENERATED = {
    "huge-subject": lambda: HEADERS.replace("Subject: Test", "Subject: " + "spam " * 200_000).encode()
    + b"\nbody\n",
    "huge-to-header": lambda: HEADERS.replace(
        "To: Bob Stone <bob@example.org>",
        "To: " + ", ".join(f"User {i} <u{i}@example.com>" for i in range(10_000)),
    ).encode()
    + b"\nbody\n",
    "nul-bytes": lambda: b"From: a@example.com\nSubject: nul\x00here\nDate: Tue, 05 Mar 2024 10:15:00 +0100\n"
    b"\nbody with \x00 NUL \x00 bytes\n",
    "latin1-headers": lambda: b"From: Jos\xe9 M\xfcller <jose@example.com>\nSubject: caf\xe9 cr\xe8me\n"
    b"Date: Tue, 05 Mar 2024 10:15:00 +0100\n\nbody\n",
    "latin1-filename": lambda: message(
        "Content-Type: multipart/mixed; boundary=b\n\n--b\nContent-Type: text/plain\n\nhi\n--b\n"
        'Content-Type: application/pdf\nContent-Disposition: attachment; filename="r\xe9sum\xe9.pdf"\n\n'
        "%PDF\n--b--\n"
    ).replace("résumé".encode(), "résumé".encode("latin-1")),
    "undeclared-8bit-body": lambda: message("Content-Type: text/plain\n\nna\xefve caf\xe9\n").replace(
        "naïve café".encode(), "naïve café".encode("latin-1")
    ),
    "bare-cr": lambda: message("Content-Type: text/plain\n\nline one\nline two\n").replace(b"\n", b"\r"),
    "crlf-lf-mix": lambda: message("Content-Type: text/plain\n\nline one\nline two\n").replace(
        b"MIME-Version: 1.0\n", b"MIME-Version: 1.0\r\n"
    ),
    "very-long-line": lambda: message("Content-Type: text/plain\n\n" + "x" * 1_000_000 + "\n"),
    "empty": lambda: b"",
    "whitespace-only": lambda: b"\r\n\r\n  \n",
    "binary-garbage": lambda: random.Random(7).randbytes(4096),
    "png-as-message": lambda: PNG,
}


@pytest.mark.parametrize("name", sorted(GENERATED))
def test_generated_message(name):
    raw = GENERATED[name]()
    parsed = parse_message(raw)
    check_invariants(raw, parsed)
    if name not in NO_NOTICE_EXPECTED:
        assert parsed.notices, "breakage went unreported"


def test_huge_subject_is_shortened():
    parsed = parse_message(GENERATED["huge-subject"]())
    assert parsed.subject.startswith("spam spam")
    assert 900 < len(parsed.subject) <= 998
    assert any("Subject" in n and "long" in n for n in parsed.notices)


# 2000 levels is deeper than the stdlib parser's recursion can go.
@pytest.mark.parametrize("depth", [200, 2000])
def test_deep_nesting_is_capped_but_headers_survive(depth):
    raw = _nested(depth)
    parsed = parse_message(raw)
    check_invariants(raw, parsed)
    assert parsed.subject == "Test"
    assert parsed.from_ == [Address("Alice Martin", "alice@example.com")]
    assert any("nested" in n or "could not be parsed" in n for n in parsed.notices)
    if depth == 2000:  # the fallback still shows the raw body
        assert "deep down" in parsed.text


@pytest.mark.parametrize("value", ["x" * 70_000, "=?utf-8?q?" * 7_000, "@" * 70_000, "<a@b>" * 14_000])
def test_pathological_headers_still_parse(value):
    """Long header values (which once hit quadratic regexes) still give a message with notices."""
    raw = "".join(f"{h}: {value}\n" for h in ("From", "To", "Subject", "References", "Date")).encode() + b"\nx\n"
    parsed = parse_message(raw)
    check_invariants(raw, parsed)
    assert parsed.from_ and parsed.notices


def test_8bit_headers_are_decoded():
    parsed = parse_message(GENERATED["latin1-headers"]())
    assert parsed.subject == "café crème"
    assert parsed.from_ == [Address("José Müller", "jose@example.com")]
    parsed = parse_message(GENERATED["latin1-filename"]())
    assert [a.filename for a in parsed.attachments] == ["résumé.pdf"]


def test_nul_bytes_are_removed():
    parsed = parse_message(GENERATED["nul-bytes"]())
    assert parsed.subject == "nulhere"
    assert parsed.text == "body with  NUL  bytes\n"


def test_bare_cr_line_endings():
    parsed = parse_message(GENERATED["bare-cr"]())
    assert parsed.subject == "Test"
    assert parsed.text == "line one\nline two\n"


def test_fuzzed_corpus_never_breaks():
    """Truncations, byte flips and spliced garbage over the whole corpus."""
    rng = random.Random(1234)
    sources = [p.read_bytes() for p in CORPUS_FILES]
    for i in range(200):
        raw = bytearray(rng.choice(sources))
        op = i % 4
        if op == 0:
            del raw[rng.randrange(len(raw)) :]
        elif op == 1:
            for _ in range(8):
                raw[rng.randrange(len(raw))] = rng.randrange(256)
        elif op == 2:
            pos = rng.randrange(len(raw))
            raw[pos:pos] = rng.choice([b"\n--", b"=?utf-8?b?", b"\x00", b"\r", b"\n\n", b"boundary=", b"; filename*0*="])
        else:
            pos = rng.randrange(len(raw))
            raw[pos:pos] = rng.randbytes(rng.randrange(1, 64))
        raw = bytes(raw)
        check_invariants(raw, parse_message(raw))


# --------------------------------------------------------------------------
# Headers
# --------------------------------------------------------------------------


@pytest.mark.parametrize(
    "encoded, expected",
    [
        ("=?UTF-8?B?w4ljbGFpciBhdSBjaG9jb2xhdA==?=", "Éclair au chocolat"),
        ("=?utf-8?Q?R=C3=A9union_=C3=A0_9h?=", "Réunion à 9h"),
        ("=?ISO-8859-1?Q?Caf=E9_cr=E8me?=", "Café crème"),
        # Whitespace between adjacent encoded words disappears, even across charsets.
        ("=?UTF-8?B?Q2Fmw6k=?= =?ISO-8859-1?Q?_cr=E8me?=  =?utf-8?q?_br=C3=BBl=C3=A9e?=", "Café crème brûlée"),
        ("Re: =?utf-8?q?na=C3=AFve?= question", "Re: naïve question"),
        ("=?windows-1252?Q?=93quoted=94?=", "\u201cquoted\u201d"),
    ],
)
def test_rfc2047_subjects(encoded, expected):
    parsed = parse_message(message("\nbody\n", HEADERS.replace("Subject: Test", f"Subject: {encoded}")))
    assert parsed.subject == expected
    assert parsed.notices == []


def test_unknown_charset_in_encoded_word_falls_back():
    parsed = parse_message((CORPUS / "27-encoded-word-unknown-charset.eml").read_bytes())
    assert parsed.subject == "café and more"
    assert any("x-klingon" in n for n in parsed.notices)


def test_addresses():
    headers = (
        'From: "=?utf-8?q?Jos=C3=A9?=" <jose@xn--bcher-kva.example>\n'
        "To: Bob <bob@example.org>, carol@example.net, undisclosed-recipients:;\n"
        "Cc: =?ISO-8859-1?Q?Andr=E9?= <andre@example.fr>\n"
        "Reply-To: list@example.com\n"
        "Date: Tue, 05 Mar 2024 10:15:00 +0100\n"
    )
    parsed = parse_message(message("\nbody\n", headers))
    assert parsed.from_ == [Address("José", "jose@bücher.example")]
    assert parsed.from_[0].display() == "José"
    assert parsed.to == [Address("Bob", "bob@example.org"), Address("", "carol@example.net")]
    assert parsed.to[1].display() == "carol@example.net"
    assert parsed.cc == [Address("André", "andre@example.fr")]
    assert parsed.reply_to == [Address("", "list@example.com")]
    assert parsed.notices == []


def test_idn_address_displayed_in_unicode():
    parsed = parse_message(message("\nx\n", HEADERS.replace("alice@example.com", "jose@xn--bcher-kva.example")))
    assert parsed.from_[0].email == "jose@bücher.example"
    # A broken punycode label is left alone instead of failing.
    parsed = parse_message(message("\nx\n", HEADERS.replace("alice@example.com", "jose@xn--zz-.example")))
    assert parsed.from_[0].email == "jose@xn--zz-.example"


def test_garbage_address_is_still_shown():
    parsed = parse_message((CORPUS / "37-garbage-from.eml").read_bytes())
    assert parsed.from_ and parsed.from_[0].email == ""
    assert "garbage" in parsed.from_[0].display()
    assert parsed.to == []


def test_dates():
    parsed = parse_message(message("\nx\n"))
    assert parsed.date == datetime(2024, 3, 5, 9, 15, tzinfo=UTC)
    # "-0000" means "zone unknown": still timezone-aware (UTC).
    unknown_zone = HEADERS.replace("+0100", "-0000")
    assert parse_message(message("\nx\n", unknown_zone)).date == datetime(2024, 3, 5, 10, 15, tzinfo=UTC)
    assert parse_message((CORPUS / "25-invalid-date.eml").read_bytes()).date is None
    future = parse_message((CORPUS / "26-future-date.eml").read_bytes())
    assert future.date.year == 2100
    assert "Date header is in the future" in future.notices


def test_message_ids_keep_brackets():
    headers = HEADERS + "In-Reply-To: <parent@example.com>\nReferences: <root@example.com>\n <parent@example.com>\n"
    parsed = parse_message(message("\nx\n", headers))
    assert parsed.message_id == "<test@example.com>"
    assert parsed.in_reply_to == "<parent@example.com>"
    assert parsed.references == ["<root@example.com>", "<parent@example.com>"]


def test_duplicate_headers_show_the_first():
    parsed = parse_message((CORPUS / "18-duplicate-headers.eml").read_bytes())
    assert parsed.subject == "The real subject"
    assert parsed.from_ == [Address("Alice Martin", "alice@example.com")]
    assert any("2 From headers" in n for n in parsed.notices)


# --------------------------------------------------------------------------
# Bodies and attachments
# --------------------------------------------------------------------------

CLEAN = message(
    "Content-Type: multipart/mixed; boundary=outer\n\n"
    "--outer\n"
    "Content-Type: multipart/alternative; boundary=alt\n\n"
    "--alt\nContent-Type: text/plain; charset=utf-8\nContent-Transfer-Encoding: quoted-printable\n\n"
    "Bonjour, voici le logo =E2=80=94 =C3=A0 bient=C3=B4t.\n"
    "--alt\nContent-Type: multipart/related; boundary=rel\n\n"
    '--rel\nContent-Type: text/html; charset=utf-8\n\n<p>Bonjour <img src="cid:logo@example.com"></p>\n'
    "--rel\nContent-Type: image/png; name=logo.png\nContent-Transfer-Encoding: base64\n"
    f"Content-ID: <logo@example.com>\nContent-Disposition: inline; filename=logo.png\n\n{PNG_B64}"
    "--rel--\n"
    "--alt--\n"
    "--outer\nContent-Type: application/pdf\nContent-Transfer-Encoding: base64\n"
    "Content-Disposition: attachment;\n filename*0*=UTF-8''%C3%A9t%C3%A9;\n filename*1*=%20report.pdf\n\n"
    "JVBERi0xLjQKJSVFT0YK\n"
    "--outer--\n"
)


def test_clean_message():
    parsed = parse_message(CLEAN)
    assert parsed.notices == []
    assert parsed.subject == "Test"
    assert parsed.text == "Bonjour, voici le logo — à bientôt."
    assert parsed.html == '<p>Bonjour <img src="cid:logo@example.com"></p>'
    logo, pdf = parsed.attachments
    # IMAP numbering: outer part 1 is the alternative, its part 2 the related.
    assert (logo.part_id, logo.filename, logo.content_type, logo.size) == ("1.2.2", "logo.png", "image/png", len(PNG))
    assert (logo.content_id, logo.inline) == ("logo@example.com", True)
    # RFC 2231 continuation with a charset.
    assert (pdf.part_id, pdf.filename, pdf.content_type, pdf.inline) == ("2", "été report.pdf", "application/pdf", False)
    assert get_part(CLEAN, "2") == (b"%PDF-1.4\n%%EOF\n", "application/pdf", "été report.pdf")
    # Body parts can be fetched too.
    assert get_part(CLEAN, "1.1")[1] == "text/plain"
    check_invariants(CLEAN, parsed)


@pytest.mark.parametrize(
    "headers, expected",
    [
        ("Content-Disposition: attachment; filename*0*=UTF-8''%C3%A9t%C3%A9; filename*1*=.pdf", "été.pdf"),
        ("Content-Disposition: attachment; filename*=iso-8859-1'fr'%E9t%E9.pdf", "été.pdf"),
        ('Content-Disposition: attachment; filename*0="long"; filename*1="name.txt"', "longname.txt"),
        ('Content-Disposition: attachment; filename="=?UTF-8?B?w6l0w6kucGRm?="', "été.pdf"),
        ('Content-Disposition: attachment\nContent-Type: text/plain; name="=?iso-8859-1?Q?r=E9sum=E9.txt?="', "résumé.txt"),
    ],
)
def test_attachment_filename_decoding(headers, expected):
    raw = message(
        "Content-Type: multipart/mixed; boundary=b\n\n--b\nContent-Type: text/plain\n\nhi\n"
        f"--b\n{headers}\n\ndata\n--b--\n"
    )
    parsed = parse_message(raw)
    assert [a.filename for a in parsed.attachments] == [expected]
    assert get_part(raw, "2")[2] == expected


def test_alternative_prefers_last_of_each_kind():
    raw = message(
        "Content-Type: multipart/alternative; boundary=a\n\n"
        "--a\nContent-Type: text/plain\n\nplain\n"
        "--a\nContent-Type: text/html\n\n<b>html</b>\n"
        "--a\nContent-Type: text/x-amp-html\n\n<amp>\n"
        "--a\nContent-Type: text/calendar; method=REQUEST\n\nBEGIN:VCALENDAR\n"
        "--a--\n"
    )
    parsed = parse_message(raw)
    assert (parsed.text, parsed.html) == ("plain", "<b>html</b>")
    # The calendar invite is offered; the AMP rendering is not.
    assert [(a.part_id, a.filename) for a in parsed.attachments] == [("4", "attachment.ics")]
    assert parsed.notices == []


def test_related_html_beats_an_earlier_bare_html_alternative():
    raw = message(
        "Content-Type: multipart/alternative; boundary=a\n\n"
        "--a\nContent-Type: text/plain\n\nplain\n"
        "--a\nContent-Type: text/html\n\n<p>simple</p>\n"
        "--a\nContent-Type: multipart/related; boundary=r\n\n"
        '--r\nContent-Type: text/html\n\n<p>rich <img src="cid:i"></p>\n'
        f"--r\nContent-Type: image/png\nContent-ID: <i>\nContent-Transfer-Encoding: base64\n\n{PNG_B64}"
        "--r--\n--a--\n"
    )
    parsed = parse_message(raw)
    assert parsed.html == '<p>rich <img src="cid:i"></p>'
    assert [(a.part_id, a.inline) for a in parsed.attachments] == [("3.2", True)]


def test_base64_encoded_rfc822_is_decoded():
    inner = base64.encodebytes(b"From: carol@example.net\nSubject: Encoded\n\nhello\n").decode()
    raw = message(
        "Content-Type: multipart/mixed; boundary=b\n\n--b\nContent-Type: text/plain\n\nfwd\n"
        f"--b\nContent-Type: message/rfc822\nContent-Transfer-Encoding: base64\n\n{inner}--b--\n"
    )
    parsed = parse_message(raw)
    assert [a.content_type for a in parsed.attachments] == ["message/rfc822"]
    assert any("transfer encoding" in n for n in parsed.notices)
    assert parse_message(get_part(raw, "2")[0]).subject == "Encoded"


def test_find_by_content_id():
    assert find_by_content_id(CLEAN, "logo@example.com") == (PNG, "image/png")
    assert find_by_content_id(CLEAN, "<logo@example.com>") == (PNG, "image/png")
    assert find_by_content_id(CLEAN, "cid:logo%40example.com") == (PNG, "image/png")
    assert find_by_content_id(CLEAN, "LOGO@example.com") == (PNG, "image/png")
    assert find_by_content_id(CLEAN, "missing@example.com") is None
    assert find_by_content_id(CLEAN, "") is None
    assert find_by_content_id(b"\xff\x00garbage", "x") is None


def test_cid_image_outside_related():
    """Apple Mail style: the image sits in multipart/mixed; inline only if the HTML uses it."""
    raw = message(
        "Content-Type: multipart/mixed; boundary=m\n\n"
        '--m\nContent-Type: text/html\n\n<img src="cid:pic1">\n'
        f"--m\nContent-Type: image/png\nContent-ID: <pic1>\nContent-Transfer-Encoding: base64\n\n{PNG_B64}"
        f"--m\nContent-Type: image/png\nContent-ID: <pic2>\nContent-Transfer-Encoding: base64\n\n{PNG_B64}"
        "--m--\n"
    )
    parsed = parse_message(raw)
    assert [(a.part_id, a.content_id, a.inline) for a in parsed.attachments] == [
        ("2", "pic1", True),
        ("3", "pic2", False),
    ]


NESTED = message(
    "Content-Type: multipart/mixed; boundary=outer\n\n"
    "--outer\nContent-Type: text/plain\n\nSee below.\n"
    "--outer\nContent-Type: message/rfc822\n\n"
    "From: Carol <carol@example.net>\nSubject: Lunch at noon\nDate: Mon, 04 Mar 2024 09:00:00 +0000\n"
    "MIME-Version: 1.0\nContent-Type: multipart/mixed; boundary=inner\n\n"
    "--inner\nContent-Type: text/plain\n\nShall we?\n"
    f"--inner\nContent-Type: image/png; name=map.png\nContent-Transfer-Encoding: base64\n\n{PNG_B64}"
    "--inner--\n"
    "--outer--\n"
)


def test_nested_rfc822():
    parsed = parse_message(NESTED)
    assert parsed.notices == []
    assert parsed.text == "See below."
    [forwarded] = parsed.attachments
    assert (forwarded.part_id, forwarded.filename, forwarded.content_type) == (
        "2",
        "Lunch at noon.eml",
        "message/rfc822",
    )
    data, _, _ = get_part(NESTED, "2")
    inner = parse_message(data)
    assert (inner.subject, inner.text, inner.notices) == ("Lunch at noon", "Shall we?", [])
    assert [a.filename for a in inner.attachments] == ["map.png"]
    # IMAP numbering continues into the attached message.
    assert get_part(NESTED, "2.2") == (PNG, "image/png", "map.png")
    assert get_part(NESTED, "2.1")[0] == b"Shall we?"


def test_single_part_message_is_part_1():
    raw = message(
        "Content-Type: application/pdf; name=scan.pdf\nContent-Transfer-Encoding: base64\n\nJVBERi0xLjQKJSVFT0YK\n"
    )
    parsed = parse_message(raw)
    assert parsed.text is None and parsed.html is None
    assert [(a.part_id, a.filename) for a in parsed.attachments] == [("1", "scan.pdf")]
    assert get_part(raw, "1") == (b"%PDF-1.4\n%%EOF\n", "application/pdf", "scan.pdf")


def test_get_part_unknown_ids_return_none():
    for part_id in ["", "0", "3", "1.3", "1.2.3", "01", "a", "1..2", "9" * 50, None]:
        assert get_part(CLEAN, part_id) is None, part_id
    assert get_part(b"", "1") == (b"", "text/plain", "attachment.txt")
    assert get_part(b"", "2") is None


def test_charset_fallbacks():
    parsed = parse_message((CORPUS / "14-cp1252-labelled-utf8.eml").read_bytes())
    assert parsed.text.startswith("Café crème \u201cquoted\u201d \u2013 price €5")
    parsed = parse_message((CORPUS / "06-unknown-charset.eml").read_bytes())
    assert parsed.text == "Café crème, see you at the café.\n"
    parsed = parse_message((CORPUS / "28-invalid-utf8-body.eml").read_bytes())
    assert parsed.text.startswith("Valid: café. Invalid: \ufffd(")
    parsed = parse_message(GENERATED["undeclared-8bit-body"]())
    assert parsed.text == "naïve café\n"


def test_broken_transfer_encodings_decode_what_they_can():
    assert parse_message((CORPUS / "07-bad-base64.eml").read_bytes()).text == "Hello Bob, this is broken base64."
    assert parse_message((CORPUS / "39-base64-inner-padding.eml").read_bytes()).text == "Hello Bob! Bye."
    qp = parse_message((CORPUS / "08-bad-quoted-printable.eml").read_bytes())
    assert qp.text.startswith("Price € 10 =ZZ not hex.")
    assert get_part((CORPUS / "16-x-uuencode-attachment.eml").read_bytes(), "2")[0] == b"Hello from uuencode!\n"


def test_broken_structure_still_shows_text():
    parsed = parse_message((CORPUS / "02-boundary-never-appears.eml").read_bytes())
    assert "The body everybody should still be able to read." in parsed.text
    parsed = parse_message((CORPUS / "01-missing-close-boundary.eml").read_bytes())
    assert parsed.text == "Hello Bob, the report is attached.\n"
    assert [a.filename for a in parsed.attachments] == ["report.csv"]


def test_unsafe_attachment_names_are_cleaned():
    names = [a.filename for a in parse_message((CORPUS / "23-filename-path-traversal.eml").read_bytes()).attachments]
    assert names == ["passwd", "x.exe"]
    names = [a.filename for a in parse_message((CORPUS / "24-filename-bidi-override.eml").read_bytes()).attachments]
    assert names == ["invoicefdp.exe"]


def test_non_bytes_input_does_not_raise():
    assert parse_message(bytearray(CLEAN)).subject == "Test"
    assert parse_message(memoryview(CLEAN)).subject == "Test"
    assert isinstance(parse_message(None), ParsedMessage)  # type: ignore[arg-type]


def test_1mb_message_with_10_attachments_lists_them_all():
    parts = "".join(
        f'--b\nContent-Type: application/octet-stream\nContent-Disposition: attachment; filename="f{i}.bin"\n'
        f"Content-Transfer-Encoding: base64\n\n{base64.encodebytes(random.Random(i).randbytes(75_000)).decode()}"
        for i in range(10)
    )
    raw = message(f"Content-Type: multipart/mixed; boundary=b\n\n--b\nContent-Type: text/plain\n\nhi\n{parts}--b--\n")
    assert len(raw) > 1_000_000
    parsed = parse_message(raw)
    assert len(parsed.attachments) == 10 and parsed.notices == []


# --------------------------------------------------------------------------
# safe_filename
# --------------------------------------------------------------------------


@pytest.mark.parametrize(
    "name, expected",
    [
        ("report.pdf", "report.pdf"),
        ("../../etc/passwd", "passwd"),
        ("C:\\evil\\x.exe", "x.exe"),
        ("evil\u202egpj.exe", "evilgpj.exe"),
        ("a\u2066b\u2069c\u200e\u200f\u061cd.txt", "abcd.txt"),
        ("bad\x00na\x1fme\x7f\x85.txt", "badname.txt"),
        ("tab\tand\nnewline.txt", "tab and newline.txt"),
        ("  lots   of \t space .txt ", "lots of space .txt"),
        ("...hidden", "hidden"),
        (".bashrc", "bashrc"),
        ("trailing dots...", "trailing dots"),
        ('what?:"<>|*.txt', "what_______.txt"),
        ("CON.txt", "CON.txt"),
        ("été.pdf", "été.pdf"),
        ("", "attachment"),
        ("   ", "attachment"),
        ("..", "attachment"),
        ("dir/", "attachment"),
        ("\u202e\u202e", "attachment"),
    ],
)
def test_safe_filename(name, expected):
    assert safe_filename(name) == expected


def test_safe_filename_default_and_length():
    assert safe_filename("", default="file.bin") == "file.bin"
    long = safe_filename("x" * 500 + ".pdf")
    assert len(long) == 150 and long.endswith(".pdf")
    assert len(safe_filename("y" * 500)) == 150
    assert safe_filename(None) == "attachment"  # type: ignore[arg-type]
