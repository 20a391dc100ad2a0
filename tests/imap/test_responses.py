"""The gateway's FETCH parsing (webmail/imap/responses.py) against imapclient's own.

responses.py cuts tokens with regular expressions instead of imapclient's byte-by-byte
tokenizer and hands them to imapclient's parser. These tests hold it to imapclient: the same
tokens and values where imapclient reads a response, an error where imapclient fails. The
inputs are hand-written edge cases, random bytes, and real answers of the test Dovecot for the
malformed and hostile test mail.
"""

from __future__ import annotations

import random
import subprocess
import sys
from pathlib import Path

import pytest
from imapclient import IMAPClient
from imapclient.exceptions import ProtocolError
from imapclient.response_lexer import TokenSource as ImapclientTokens
from imapclient.response_parser import parse_fetch_response

from tests.mailbox.conftest import build
from webmail.imap.responses import TokenSource, parse_fetch

MAILBOX_TESTS = Path(__file__).parent.parent / "mailbox"
LIST_ITEMS = "(UID FLAGS ENVELOPE INTERNALDATE RFC822.SIZE BODYSTRUCTURE PREVIEW BODY.PEEK[TEXT]<0.300>)"


def _imapclient_tokens(records):
    try:
        return list(ImapclientTokens(records))
    except (ValueError, ProtocolError):
        return "error"


def _our_tokens(records):
    try:
        return list(TokenSource(records))
    except ProtocolError:
        return "error"


def _imapclient_parse(records, uid_is_key):
    try:
        return parse_fetch_response(records, False, uid_is_key)
    except Exception:  # imapclient lets TypeError, AttributeError... through on broken shapes
        return "error"


def _our_parse(records, uid_is_key):
    try:
        return parse_fetch(records, uid_is_key)
    except ProtocolError:  # and nothing else: the gateway turns it into a MailServerError
        return "error"


EDGE_CASES = [
    b"",
    b"   \r\n\t ",
    b'1 (UID 5 FLAGS (\\Seen \\Flagged) INTERNALDATE "01-Jan-2024 10:00:00 +0100")',
    b'2 (BODY[HEADER.FIELDS (FROM "TO")] {12}',  # a section holds spaces, parens and quotes
    b"BODY[TEXT]<0> BODY[]<0.300> X[a]b[c]d",
    b'"plain" "with \\"escaped\\" quotes" "back\\\\slash" "other \\n escape" ""',
    b'"a"b "c""d" e(f)g%h',
    b"word\x00word \x01 \x7f\xc3\xa9t\xc3\xa9",
    b"NIL nil 0 007 123 -5 {3}",
    b'unclosed "quote',
    b'"trailing backslash\\',
    b"unclosed [bracket",
    b"[",
    b'word"quoted"',  # a quote right after a word: imapclient refuses it
    b"]]] ((( )))",
    b'"multi\r\nline"',
]


@pytest.mark.parametrize("line", EDGE_CASES)
def test_tokens_match_imapclient_on_edge_cases(line):
    assert _our_tokens([line]) == _imapclient_tokens([line])


def test_literals_are_handed_to_the_parser_as_imapclient_does():
    records = [(b'1 (UID 7 BODY[] {5}', b"Hello"), b' FLAGS (\\Seen) ENVELOPE (NIL {3}', (b"", b"abc")]
    assert _our_tokens(records) == _imapclient_tokens(records)
    records = [(b"1 (UID 7 BODY[] {5}", b"Hello"), b")"]
    assert parse_fetch(records, True) == parse_fetch_response(records, False, True)
    assert parse_fetch(records, True)[7][b"BODY[]"] == b"Hello"
    # A literal record whose line does not end with its {size}.
    assert _our_tokens([(b"1 (BODY[] x", b"Hello")]) == _imapclient_tokens([(b"1 (BODY[] x", b"Hello")]) == "error"


def test_a_line_that_fails_late_is_refused_without_backtracking():
    """A tokenizer that backtracks tries such lines split in every way: each space doubles the
    work (60 spaces: centuries). Run apart, so that a regression fails here instead of hanging."""
    lines = [b" " * 60 + b'"', b'a "b" (c) ' * 60 + b"[", b" \t\r\n" * 60 + b'x"']
    check = (
        "from imapclient.exceptions import ProtocolError\n"
        "from webmail.imap.responses import TokenSource\n"
        f"for line in {lines!r}:\n"
        "    try:\n"
        "        list(TokenSource([line]))\n"
        "    except ProtocolError:\n"
        "        continue\n"
        "    raise SystemExit(f'accepted {line!r}')\n"
    )
    done = subprocess.run([sys.executable, "-c", check], cwd=Path(__file__).parents[2], timeout=60,
                          capture_output=True, text=True)
    assert done.returncode == 0, done.stderr


ALPHABET = [b" ", b"(", b")", b'"', b"\\", b"[", b"]", b"%", b"{", b"}", b"\r", b"\n", b"\t", b"\x00",
            b"\x01", b"\x7f", b"\xc3\xa9", b"a", b"Z", b"0", b"12", b"NIL", b"BODY[", b"."]


def test_tokens_match_imapclient_on_random_bytes():
    chance = random.Random(20261129)
    for _ in range(4000):
        line = b"".join(chance.choices(ALPHABET, k=chance.randint(0, 40)))
        assert _our_tokens([line]) == _imapclient_tokens([line]), line


def _random_value(chance: random.Random, depth: int = 0) -> bytes:
    kind = chance.randrange(7 if depth < 3 else 5)
    if kind == 0:
        return b"NIL"
    if kind == 1:
        return str(chance.randint(0, 10**6)).encode()
    if kind == 2:
        return b'"' + b"".join(chance.choices([b"a", b" ", b"\\\\", b'\\"', b"\xc3\xa9", b"(", b"]"], k=5)) + b'"'
    if kind == 3:
        return chance.choice([b"\\Seen", b"atom", b"01-Jan-2024", b"BODY[TEXT]<0>", b"%"])
    if kind == 4:
        return chance.choice([b'"01-Jan-2024 10:00:00 +0100"', b'"not a date"', b'"Mon, 1 Jan 2024 10:00:00 +0000"'])
    return b"(" + b" ".join(_random_value(chance, depth + 1) for _ in range(chance.randint(0, 10))) + b")"


def test_parsed_values_match_imapclient_on_random_fetch_answers():
    """FETCH-shaped answers with random values, including shapes no server should send (an
    ENVELOPE that is a number, a BODYSTRUCTURE of one atom, an odd number of items...)."""
    chance = random.Random(1129)
    names = [b"UID", b"FLAGS", b"ENVELOPE", b"INTERNALDATE", b"BODYSTRUCTURE", b"BODY", b"RFC822.SIZE", b"PREVIEW"]
    for _ in range(3000):
        items = []
        for _ in range(chance.randint(0, 5)):
            items += [chance.choice(names), _random_value(chance)]
        if chance.random() < 0.1:
            items.pop() if items else items.append(b"UID")
        line = str(chance.randint(1, 99)).encode() + b" (" + b" ".join(items) + b")"
        for uid_is_key in (True, False):
            theirs = _imapclient_parse([line], uid_is_key)
            assert _our_parse([line], uid_is_key) == theirs, line


@pytest.mark.imap
def test_parsed_values_match_imapclient_on_real_answers(dovecot, mail_user, imap):
    """The list page's FETCH of every malformed and hostile test message, of non-ASCII and
    quoted headers and of attachments, as the real Dovecot answers it."""
    raws = [path.read_bytes() for path in sorted((MAILBOX_TESTS / "malformed").iterdir())]
    raws += [build(subject=f"Hostile {path.name}", html=path.read_text(errors="replace"))
             for path in sorted((MAILBOX_TESTS / "hostile").iterdir())]
    raws += [
        build(subject='Objet "entre guillemets" \\ et barre', sender='"Martin, Claire" <claire@example.fr>'),
        build(subject="Réunion — ordre du jour ✓", sender="Zoë Ünal <zoe@exämple.fr>", cc="a@b.fr, c@d.fr"),
        build(subject="Pièces", attachments=[("rapport final.pdf", "application/pdf", b"%PDF-1.4")]),
    ]
    with imap(mail_user) as mailbox:
        mailbox.append_many("INBOX", raws)
    client = IMAPClient("127.0.0.1", port=dovecot.imap_port, ssl=False)
    try:
        client.login(mail_user.email, mail_user.password)
        client.select_folder("INBOX")
        typ, records = client._imap.uid("FETCH", "1:*", LIST_ITEMS)
    finally:
        client.logout()
    assert typ == "OK"
    for uid_is_key in (True, False):
        ours = parse_fetch(records, uid_is_key)
        assert len(ours) == len(raws)
        assert ours == parse_fetch_response(records, False, uid_is_key)
