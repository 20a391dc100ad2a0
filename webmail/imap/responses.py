"""FETCH answers parsed as imapclient parses them, with a faster tokenizer.

imapclient's tokenizer walks the answer one byte at a time through Python iterators: on a list
page's 35 KB answer that is 3 ms, a quarter of the page's server time. Here regular expressions
cut the same tokens (C speed, ~0.9 ms), and imapclient's own parser turns them into the same values:
`atom` and `parse_tuple` build the nested tuples, its converters build dates, envelopes and body
structures. Only the cutting is ours. tests/imap/test_responses.py holds it to imapclient's
tokenizer, token for token and error for error, on real answers and on random bytes. `atom` and
the converters are imapclient internals (its version is pinned in requirements.lock): the same
tests fail if an upgrade changes them.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterator

from imapclient.exceptions import ProtocolError
from imapclient.response_parser import _convert_ENVELOPE, _convert_INTERNALDATE, atom
from imapclient.response_types import BodyData

# The token grammar of imapclient's tokenizer (response_lexer.Lexer), in its words:
# - whitespace (space, tab, CR, LF) separates tokens;
# - a word runs over bytes that are not control bytes or ' ()%"['; a "[...]" (a BODY[...]
#   section) is part of the word whatever it holds, and must be closed;
# - a quoted string keeps its quotes; inside it backslash escapes '"' and '\', other
#   backslashes are kept;
# - any other byte ('(', ')', '%' or a control byte) is a token of its own;
# - a quote right after a word, an unclosed quote or an unclosed '[' is an error.
_WORD = rb'(?=[^\x00-\x20()%"])[^\x00-\x20()%"\[]*(?:\[[^\]]*\][^\x00-\x20()%"\[]*)*'
_QUOTED = rb'"[^"\\]*(?:\\.[^"\\]*)*"'
_SINGLE = rb"[\x00-\x08\x0b\x0c\x0e-\x1f()%]"
_TOKEN = re.compile(rb"%s|%s|%s" % (_WORD, _QUOTED, _SINGLE), re.DOTALL)
# The whole line must be such tokens. Nothing here backtracks: the word is atomic, so that "word"
# followed by a quote cannot pass as "wor" and "d", and the loop is possessive, so that a line
# that fails is not tried again split in other ways (with 24 spaces before a stray quote, that
# took a second; it doubles with each space).
_LINE = re.compile(rb'(?:[ \t\r\n]++|(?>%s)(?![\["])|(?>%s)|%s)*+' % (_WORD, _QUOTED, _SINGLE), re.DOTALL)
_ESCAPE = re.compile(rb'\\(["\\])')


class TokenSource:
    """imapclient's TokenSource over regex-cut tokens: iterate for the tokens;
    `current_literal` is the literal of the record being read (imaplib hands a line that ends
    with a literal as a (line, literal) pair)."""

    def __init__(self, records: list) -> None:
        self.current_literal: bytes | None = None
        self._tokens = self._cut(records)

    def __iter__(self) -> Iterator[bytes]:
        return self._tokens

    def _cut(self, records: list) -> Iterator[bytes]:
        for record in records:
            if isinstance(record, tuple):
                line, self.current_literal = record
                if not line.endswith(b"}"):
                    raise ProtocolError(f"a literal without its {{size}}: {_short(line)}")
            else:
                line, self.current_literal = record, None
            if _LINE.fullmatch(line) is None:
                raise ProtocolError(f"unreadable response line: {_short(line)}")
            tokens = _TOKEN.findall(line)
            if b"\\" in line:
                tokens = [_ESCAPE.sub(rb"\1", token) if token[:1] == b'"' else token for token in tokens]
            yield from tokens


_MISSING = object()


def parse_fetch(records: list, uid_is_key: bool) -> defaultdict[int, dict]:
    """imapclient's parse_fetch_response(records, normalise_times=False, uid_is_key), same values."""
    parsed: defaultdict[int, dict] = defaultdict(dict)
    if records == [None]:
        return parsed
    source = TokenSource(records)
    values = _atoms(source)
    for number in values:
        message_id = sequence = _integer(number, "invalid message ID")
        items = next(values, _MISSING)
        if items is _MISSING:
            raise ProtocolError("unexpected EOF")
        if not isinstance(items, tuple):
            raise ProtocolError(f"bad response type: {_short(items)}")
        if len(items) % 2:
            raise ProtocolError(f"uneven number of response items: {_short(items)}")
        found: dict = {b"SEQ": sequence}
        for name, value in zip(items[::2], items[1::2], strict=True):
            if not isinstance(name, bytes):
                raise ProtocolError(f"bad item name: {_short(name)}")
            name = name.upper()
            if name == b"UID":
                uid = _integer(value, "invalid UID")
                if uid_is_key:
                    message_id = uid
                else:
                    found[name] = uid
            else:
                found[name] = _convert(name, value)
        parsed[message_id].update(found)
    return parsed


def _convert(name: bytes, value):
    """The item's value as imapclient gives it; a shape imapclient cannot convert (a broken
    server) is a ProtocolError, like the rest of a response that cannot be read."""
    try:
        if name == b"INTERNALDATE":
            return _convert_INTERNALDATE(value, False)
        if name == b"ENVELOPE":
            return _convert_ENVELOPE(value, False)
        if name in (b"BODY", b"BODYSTRUCTURE"):
            return BodyData.create(value)
    except (TypeError, IndexError, AttributeError, ValueError) as exc:
        raise ProtocolError(f"unreadable {name.decode(errors='replace')}: {_short(value)}") from exc
    return value


def _atoms(source: TokenSource) -> Iterator:
    token = None
    try:
        for token in source:
            yield atom(source, token)
    except ValueError as exc:  # as imapclient's gen_parsed_response reports it
        raise ProtocolError(f"{exc}: {_short(token)}") from exc


def _integer(value, error: str) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        raise ProtocolError(f"{error}: {_short(value)}") from None


def _short(value) -> str:
    """The start of a value for an error message: enough to recognise it, not a whole message."""
    text = repr(value)
    return text if len(text) <= 80 else f"{text[:77]}..."
