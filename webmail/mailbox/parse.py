"""Parse raw RFC 5322 messages for the reading pane.

Plain Python (stdlib ``email`` with the modern policy), no Django.  The public
entry points never raise on any input: real-world mail is full of broken
MIME, bogus charsets and garbage headers, and the reading pane must still
show whatever can be shown.  Problems found on the way are reported as short
English sentences in ``ParsedMessage.notices``.

Conventions:

* ``part_id`` follows IMAP body section numbering (RFC 3501 section 6.4.5):
  a single-part message has one part "1"; children of a multipart are "1",
  "2", ..., nested children "2.1"; the body of an attached message/rfc822
  "2" is "2.1" (its children if multipart).
* ``message_id``, ``in_reply_to`` and ``references`` keep their angle
  brackets (``"<abc@example.com>"``), as written in the headers, so they can
  be compared with each other directly.  ``content_id`` has no brackets,
  because it is matched against ``cid:`` URLs.
* ``text``/``html`` use "\\n" line endings; ``html`` is NOT sanitised.
  In multipart/alternative the last text/plain and text/html win (RFC 2046);
  several inline text/plain parts (e.g. list footers) are joined.
* Attachments: parts with Content-Disposition attachment, named parts,
  non-text leaves, other text/* types, a second HTML body, and attached
  messages (message/*; named after their Subject + ".eml").  ``inline`` is
  True for a part with a Content-ID (and no "attachment" disposition) that
  sits in a multipart/related or is referenced by a ``cid:`` URL in the HTML
  body: the UI can show it inside the HTML rather than in the list.
* ``find_by_content_id`` returns any part with that Content-ID; whoever
  serves it decides which content types are acceptable for an <img>.
"""

from __future__ import annotations

import base64
import binascii
import codecs
import email
import email.generator
import email.header
import email.message
import email.parser
import email.policy
import email.utils
import functools
import io
import mimetypes
import quopri
import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, timezone
from urllib.parse import quote, unquote

from webmail.core.shallow import on_shallow_stack

__all__ = [
    "Address",
    "Attachment",
    "ParsedMessage",
    "parse_message",
    "get_part",
    "find_by_content_id",
    "safe_filename",
    "subject_and_date",
    "header_text",
    "header_date",
]

_POLICY = email.policy.default
# Re-serialising attached messages: keep header source text as-is (refolding
# can raise on garbage) and write CRLF like a normal .eml file.
_FLATTEN_POLICY = email.policy.default.clone(refold_source="none", linesep="\r\n")

MAX_DEPTH = 30  # MIME nesting we are willing to walk
MAX_SUBJECT = 998  # RFC 5322 line limit; also what we display
MAX_STRUCTURED = 8192  # the header registry costs ~3 µs/char; use cheap parsers beyond
MAX_HEADER = 65536  # anything longer is cut before any parsing
MAX_ADDRESSES = 1000
MAX_REFERENCES = 100
MAX_NOTICES = 40
MAX_FILENAME = 150


# --------------------------------------------------------------------------
# Public data types
# --------------------------------------------------------------------------


@dataclass(frozen=True)
class Address:
    name: str  # decoded display name ('' if none)
    email: str  # addr-spec, IDN domain decoded to Unicode for display

    def display(self) -> str:
        return self.name or self.email


@dataclass(frozen=True)
class Attachment:
    part_id: str  # IMAP-style section number, usable with get_part()
    filename: str  # decoded and passed through safe_filename()
    content_type: str  # lowercased maintype/subtype
    size: int  # decoded size in bytes
    content_id: str | None  # without angle brackets
    inline: bool  # shown in the HTML body through a cid: URL


@dataclass(frozen=True)
class ParsedMessage:
    subject: str
    from_: list[Address]
    to: list[Address]
    cc: list[Address]
    reply_to: list[Address]
    date: datetime | None
    message_id: str | None
    in_reply_to: str | None
    references: list[str]
    text: str | None
    html: str | None
    attachments: list[Attachment]
    notices: list[str]


# --------------------------------------------------------------------------
# safe_filename
# --------------------------------------------------------------------------

# C0, DEL, C1 controls, bidi embeddings/overrides/isolates/marks, BOM and lone
# surrogates: all either invisible, able to disguise an extension
# ("evil\u202egpj.exe" shows as "evilexe.jpg") or unencodable.
_FILENAME_DROP_RE = re.compile(
    "[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u061c\u200e\u200f"
    "\u202a-\u202e\u2066-\u2069\ufeff\ud800-\udfff]"
)
# Characters Windows refuses in file names; '"' would also break a
# Content-Disposition header built from the name.
_FILENAME_RESERVED_RE = re.compile(r'[<>:"|?*]')


def safe_filename(name: str, default: str = "attachment") -> str:
    """Return ``name`` reduced to a harmless single path component.

    Strips directories (both separators), control and bidi characters and
    leading dots, collapses whitespace and caps the length at 150 characters
    while keeping the extension.  Returns ``default`` if nothing is left.
    """
    if not isinstance(name, str):
        return default
    name = re.split(r"[/\\]", name)[-1]
    name = _FILENAME_DROP_RE.sub("", name)
    name = _FILENAME_RESERVED_RE.sub("_", name)
    name = " ".join(name.split())
    # Leading dots make hidden files (and ".." survives as a path); trailing
    # dots/spaces are silently dropped by Windows, changing the extension.
    name = name.lstrip(". ").rstrip(". ")
    if not name:
        return default
    if len(name) > MAX_FILENAME:
        stem, dot, ext = name.rpartition(".")
        if dot and stem and 0 < len(ext) <= 16 and " " not in ext:
            ext = "." + ext
            name = stem[: MAX_FILENAME - len(ext)].rstrip(". ") + ext
        else:
            name = name[:MAX_FILENAME].rstrip(". ")
    return name or default


# --------------------------------------------------------------------------
# Text decoding helpers
# --------------------------------------------------------------------------

# Labels seen in the wild, mapped to what browsers (WHATWG) actually use.
_CHARSET_ALIASES = {
    "utf8": "utf-8",
    "unicode-1-1-utf-8": "utf-8",
    "iso-8859-1": "cp1252",
    "iso8859-1": "cp1252",
    "latin1": "cp1252",
    "latin-1": "cp1252",
    "l1": "cp1252",
    "windows-1252": "cp1252",
    "ks_c_5601-1987": "cp949",
    "ks_c_5601": "cp949",
    "euc-kr": "cp949",
    "gb2312": "gb18030",
    "gbk": "gb18030",
    "x-gbk": "gb18030",
    "x-sjis": "shift_jis",
    "shift-jis": "shift_jis",
    "iso-8859-8-i": "iso-8859-8",
    "x-mac-roman": "mac-roman",
    "macintosh": "mac-roman",
    "unicode-1-1-utf-7": "utf-7",
    "windows-874": "cp874",
    "tis-620": "cp874",
}
# US-ASCII is the MIME default, so a missing/ASCII label on 8-bit text is the
# norm rather than a defect: guess quietly.
_QUIET_LABELS = {"us-ascii", "ascii", "ansi_x3.4-1968", "iso646-us", "us"}
# Python-specific "text" codecs that no mail should use.
_REFUSED_CODECS = {
    "unicode_escape",
    "raw_unicode_escape",
    "idna",
    "punycode",
    "undefined",
    "mbcs",
    "oem",
    "palmos",
}
_SURROGATES_RE = re.compile("[\ud800-\udfff]")


def _clean_charset(label: str | None) -> str | None:
    """Normalise a charset label; '' means "present but empty"."""
    if label is None:
        return None
    return str(label).strip().strip("\"'\\;").strip().lower()


def _text_codec(label: str) -> str | None:
    """Python codec name for a cleaned charset label, or None if unusable."""
    label = _CHARSET_ALIASES.get(label, label)
    try:
        name = codecs.lookup(label).name
        b"a".decode(name)  # rejects bytes-to-bytes codecs such as "base64"
    except UnicodeDecodeError:
        pass  # a text codec that just dislikes the probe (utf-16)
    except (LookupError, TypeError, ValueError):
        return None
    return None if name in _REFUSED_CODECS else name


def _guess_decode(data: bytes, utf8_declared: bool = False) -> str:
    """Decode bytes of unknown charset: UTF-8 if it mostly is, else cp1252/latin-1."""
    text = data.decode("utf-8", "replace")
    bad = text.count("\ufffd")
    if bad == 0:
        return text
    # Mostly valid UTF-8 with a few broken bytes (e.g. a truncated message):
    # keep the UTF-8 reading rather than turning every accent into mojibake.
    # Declared UTF-8 with any valid multi-byte sequence is trusted likewise;
    # cp1252 mislabelled as UTF-8 practically never contains one.
    good = len(re.findall("[^\x00-\x7f\ufffd]", text))
    if good > bad or (utf8_declared and good):
        return text
    try:
        return data.decode("cp1252")
    except UnicodeDecodeError:
        return data.decode("latin-1")


def _decode_bytes(data: bytes, charset: str | None) -> tuple[str, str | None]:
    """Decode ``data`` using the declared ``charset`` with graceful fallbacks.

    Returns (text, problem); problem is a short phrase or None.
    """
    label = _clean_charset(charset)
    problem = None
    if label == "":
        problem = "has an empty charset label"
    elif label and label not in _QUIET_LABELS:
        codec = _text_codec(label)
        if codec is None:
            problem = f"uses an unknown charset {label[:40]!r}"
        else:
            try:
                text = data.decode(codec)
            except UnicodeDecodeError:
                problem = f"is not valid {label[:40]} text"
            else:
                if label != str(charset).strip().lower():
                    problem = f"has a malformed charset label {str(charset)[:40]!r}"
                return text, problem
    try:
        return data.decode("utf-8"), problem
    except UnicodeDecodeError:
        utf8 = _CHARSET_ALIASES.get(label or "", label) in ("utf-8", "utf8")
        return _guess_decode(data, utf8), problem or "has text in an undeclared charset"


def _fix_surrogates(text: str) -> tuple[str, bool]:
    """Turn surrogate-escaped raw bytes (8-bit header bytes) back into text.

    Returns (text, guessed) where guessed means the bytes were not UTF-8.
    """
    if not _SURROGATES_RE.search(text):
        return text, False
    try:
        data = text.encode("utf-8", "surrogateescape")
    except UnicodeEncodeError:
        return _SURROGATES_RE.sub("\ufffd", text), True
    try:
        return data.decode("utf-8"), False
    except UnicodeDecodeError:
        return _guess_decode(data), True


# Header display text: no controls, no bidi overrides/isolates (spoofing), no NUL.
_HEADER_DROP_RE = re.compile(
    "[\x00-\x08\x0e-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069\ud800-\udfff]"
)


def _clean_header_text(text: str) -> str:
    return " ".join(_HEADER_DROP_RE.sub("", text).split())


def _decode_words(value: str) -> str:
    """RFC 2047 decoding without the header registry (fallback path)."""
    if "=?" not in value:
        return value
    try:
        chunks = email.header.decode_header(value)
    except Exception:
        return value
    out = []
    for chunk, charset in chunks:
        if isinstance(chunk, str):
            out.append(chunk)
        else:
            out.append(_decode_bytes(chunk, charset)[0])
    return "".join(out)


_EW_START_RE = re.compile(r"=\?[^?\s]*\?[^?\s]*\?")
_EW_RE = re.compile(r"=\?([^?\s]+)\?([bBqQ])\?([^?\s]*)\?=")
# Missing padding is common and harmless, so it is accepted.
_B64_RE = re.compile(r"(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}(?:==)?|[A-Za-z0-9+/]{3}=?)?")


def _encoded_word_problems(value: str) -> list[str]:
    """Problems with RFC 2047 encoded words, which the registry decodes silently."""
    if "=?" not in value:
        return []
    problems = []
    words = _EW_RE.findall(value)
    if len(_EW_START_RE.findall(value)) > len(words):
        problems.append("has a malformed encoded word")
    for charset, encoding, payload in words:
        label = _clean_charset(charset.split("*", 1)[0])  # drop RFC 2231 language
        if label and label not in _QUIET_LABELS and _text_codec(label) is None:
            problems.append(f"uses an unknown charset {charset[:40]!r}")
        if encoding in "bB" and not _B64_RE.fullmatch(payload):
            problems.append("has a malformed encoded word")
    return problems


# --------------------------------------------------------------------------
# Notices
# --------------------------------------------------------------------------


class _Notices:
    """Ordered, de-duplicated, capped list of human-readable problems."""

    def __init__(self) -> None:
        self._items: list[str] = []
        self._seen: set[str] = set()
        self._dropped = 0

    def add(self, text: str) -> None:
        if text in self._seen:
            return
        self._seen.add(text)
        if len(self._items) < MAX_NOTICES:
            self._items.append(text)
        else:
            self._dropped += 1

    def result(self) -> list[str]:
        items = list(self._items)
        if self._dropped:
            items.append(f"... and {self._dropped} more problems")
        return items


# email.errors defect class name -> short description.  Looked up along the
# MRO so subclasses get the nearest description.
_DEFECT_TEXT = {
    "NoBoundaryInMultipartDefect": "multipart content has no boundary parameter",
    "StartBoundaryNotFoundDefect": "MIME boundary never appears in the content",
    "CloseBoundaryNotFoundDefect": "closing MIME boundary is missing (the message may be truncated)",
    "FirstHeaderLineIsContinuationDefect": "headers start with a folded continuation line",
    "MisplacedEnvelopeHeaderDefect": "stray 'From ' envelope line among the headers",
    "MissingHeaderBodySeparatorDefect": "malformed header line (no colon); the rest was treated as body",
    "MultipartInvariantViolationDefect": "declared multipart but has no parts",
    "InvalidMultipartContentTransferEncodingDefect": "multipart content has an invalid transfer encoding",
    "UndecodableBytesDefect": "contains undecodable bytes",
    "InvalidBase64PaddingDefect": "bad base64 padding",
    "InvalidBase64CharactersDefect": "bad base64 characters",
    "InvalidBase64LengthDefect": "bad base64 length",
    "CharsetError": "uses an unknown charset",
    "NonPrintableDefect": "contains non-printable characters",
    "HeaderMissingRequiredValue": "a header is missing a required value",
    "InvalidHeaderDefect": "has a malformed header",
}
# Harmless or handled elsewhere: obsolete-but-valid syntax, SMTPUTF8 local
# parts, dates (reported by _parse_date).
_IGNORED_DEFECTS = {"ObsoleteHeaderDefect", "NonASCIILocalPartDefect", "InvalidDateDefect"}


def _defect_text(defect: object) -> str | None:
    for cls in type(defect).__mro__:
        if cls.__name__ in _IGNORED_DEFECTS:
            return None
        if cls.__name__ in _DEFECT_TEXT:
            return _DEFECT_TEXT[cls.__name__]
    return "has a structural problem"


def _header_defect_ok(defect: object) -> bool:
    """Header defects that are routine in real mail and not worth a notice."""
    if _defect_text(defect) is None:
        return True
    text = str(defect)
    # Outlook & co. put encoded words inside quotes; the registry copes.
    return "encoded word" in text or "encoded-word" in text


# --------------------------------------------------------------------------
# Header access
# --------------------------------------------------------------------------


def _raw_values(msg: email.message.Message, name: str) -> list[str]:
    """All raw values of header ``name`` (source text, unparsed)."""
    name = name.lower()
    try:
        return [v for k, v in msg.raw_items() if k.lower() == name and isinstance(v, str)]
    except Exception:
        return []


def _raw_value(msg: email.message.Message, name: str) -> str | None:
    values = _raw_values(msg, name)
    return values[0] if values else None


def _unfold(value: str) -> str:
    return re.sub(r"\r\n|\r|\n", "", value)


def _prepare(value: str, label: str, notes: _Notices | None) -> str:
    """Unfold, cap and 8-bit-decode a raw header value before parsing it."""
    value = _unfold(value)
    if len(value) > MAX_HEADER:
        value = value[:MAX_HEADER]
        if notes is not None:
            notes.add(f"{label} header is too long and was shortened")
    value, guessed = _fix_surrogates(value)
    if notes is not None:
        if guessed:
            notes.add(f"{label} header contains raw 8-bit characters in an unknown charset")
        if "\x00" in value:
            notes.add(f"{label} header contains NUL bytes")
        for problem in _encoded_word_problems(value):
            notes.add(f"{label} header {problem}")
    return value


def _parse_header(name: str, value: str):
    """Header registry object, or None if the registry chokes on the value."""
    try:
        return _POLICY.header_factory(name, value)
    except Exception:
        return None


def _unstructured(msg, name: str, notes: _Notices | None, limit: int = MAX_SUBJECT):
    """Decoded display text of an unstructured header ('' if absent)."""
    raw = _raw_value(msg, name)
    if raw is None:
        return ""
    return _decode_unstructured(raw, name, notes, limit)


def _decode_unstructured(raw: str, name: str, notes: _Notices | None, limit: int) -> str:
    label = name.title()
    value = _prepare(raw, label, notes)
    header = _parse_header(name, value[: limit * 4]) if len(value) <= MAX_STRUCTURED else None
    if header is not None:
        text = str(header)
        if notes is not None and any(not _header_defect_ok(d) for d in header.defects):
            notes.add(f"{label} header is malformed")
    else:
        text = _decode_words(value[: limit * 4])
    text = _clean_header_text(_fix_surrogates(text)[0])
    if len(text) > limit:
        text = text[: limit - 1].rstrip() + "…"
        if notes is not None:
            notes.add(f"{label} header is too long and was shortened")
    return text


def _idn_to_unicode(domain: str) -> str:
    """Decode xn-- labels for display; leave anything undecodable as it is."""
    if "xn--" not in domain.lower():
        return domain
    labels = []
    for label in domain.split("."):
        if label[:4].lower() == "xn--":
            try:
                label = label.encode("ascii").decode("idna")
            except (UnicodeError, ValueError):
                pass
        labels.append(label)
    return ".".join(labels)


def _make_address(name: str, addr: str) -> Address:
    name = _clean_header_text(_fix_surrogates(name)[0])
    addr = _clean_header_text(_fix_surrogates(addr)[0]).replace(" ", "")
    local, at, domain = addr.rpartition("@")
    if at:
        addr = f"{local}@{_idn_to_unicode(domain)}"
    return Address(name=name[:MAX_SUBJECT], email=addr[:MAX_SUBJECT])


def _addresses(msg, name: str, notes: _Notices, first_only: bool = False) -> list[Address]:
    label = name.title()
    result: list[Address] = []
    values = _raw_values(msg, name)
    for raw in values[:1] if first_only else values:
        value = _prepare(raw, label, notes)
        if not value.strip():
            continue
        found = _registry_addresses(name, value) if len(value) <= MAX_STRUCTURED else None
        if found is None:
            found = _fallback_addresses(value)
        if found is None:
            # Nothing address-like: still show the text so the user sees something.
            notes.add(f"{label} header could not be parsed")
            shown = _clean_header_text(_decode_words(value)) or _clean_header_text(value)
            found = [Address(name=shown[:200], email="")]
        result.extend(found)
    if len(result) > MAX_ADDRESSES:
        notes.add(f"{label} header lists too many addresses; only the first {MAX_ADDRESSES} are shown")
        result = result[:MAX_ADDRESSES]
    return result


def _registry_addresses(name: str, value: str) -> list[Address] | None:
    """Addresses via email.headerregistry; None if the header looks broken."""
    header = _parse_header(name, value)
    if header is None or not hasattr(header, "addresses"):
        return None
    if any(not _header_defect_ok(d) for d in header.defects):
        return None
    out = []
    try:
        for addr in header.addresses:
            if not _PLAUSIBLE_EMAIL_RE.fullmatch(addr.addr_spec):
                return None
            out.append(_make_address(addr.display_name or "", addr.addr_spec))
    except Exception:
        return None
    return out


# local@domain, local part possibly quoted; used to reject parser accidents
# like 'unterminated<a@b.c>' and to dig addresses out of garbage.
_PLAUSIBLE_EMAIL_RE = re.compile(r'(?:"[^"\r\n]*"|[^\s<>@,;:"()\[\]\\]+)@[^\s<>@,;:"()\\]+')
_ADDRESS_SPLIT_RE = re.compile(r'[\s<>,;:"()\[\]\\]+')


def _fallback_addresses(value: str) -> list[Address] | None:
    """Addresses via the lenient getaddresses, else anything address-shaped."""
    pairs = []
    # getaddresses is pure Python and slow on "@@@@…" garbage; beyond a
    # plausible address count the regex route below is good enough.
    if value.count("@") <= MAX_ADDRESSES:
        try:
            pairs = email.utils.getaddresses([value])
        except Exception:
            pass
    out = [_make_address(_decode_words(n), a) for n, a in pairs if _PLAUSIBLE_EMAIL_RE.fullmatch(a)]
    if not out:
        # Split first: a findall() over a long run without "@" is quadratic.
        tokens = _ADDRESS_SPLIT_RE.split(value)
        # One more than the cap, so that _addresses reports the truncation.
        out = [_make_address("", t) for t in tokens if _PLAUSIBLE_EMAIL_RE.fullmatch(t)][: MAX_ADDRESSES + 1]
    return out or None


_MSGID_RE = re.compile(r"<[^<>\s]+>")


def _msgids(value: str | None) -> list[str]:
    if not value:
        return []
    value = _clean_header_text(_fix_surrogates(_unfold(value[:MAX_HEADER]))[0])
    ids = _MSGID_RE.findall(value)
    if not ids and value and " " not in value:
        ids = [value]  # bare id without brackets, seen from some bulk senders
    return [i[:MAX_SUBJECT] for i in ids]


def _parse_date(msg, notes: _Notices) -> datetime | None:
    raw = _raw_value(msg, "date")
    if raw is None or not raw.strip():
        notes.add("Message has no Date header")
        return None
    date = header_date(raw)
    if date is None:
        notes.add("Date header could not be understood")
        return None
    try:
        if date > datetime.now(UTC) + timedelta(days=2):
            notes.add("Date header is in the future")
    except (OverflowError, ValueError):
        pass
    return date


# Headers RFC 5322 allows at most once; duplicates are a sign of tampering
# or a broken gateway.
_SINGLE_HEADERS = (
    "from", "sender", "reply-to", "to", "cc", "subject", "date",
    "message-id", "in-reply-to", "references", "content-type",
)


# --------------------------------------------------------------------------
# Subject and date as the message list and the reading pane show them
# --------------------------------------------------------------------------

# Both get them from the same bytes, the server's BODY[HEADER.FIELDS (SUBJECT DATE)], through
# `subject_and_date`: a message cannot be listed under one subject or day and open under another.
# (The server's ENVELOPE is no such source: Dovecot puts the *last* of two Subject or Date headers
# in it, where the pane shows the first; its date parser is imapclient's, not this one.)
SUMMARY_FIELDS = "HEADER.FIELDS (SUBJECT DATE)"
# The list also reads References, to group its rows into conversations (`conversations`).
LIST_FIELDS = "HEADER.FIELDS (SUBJECT DATE REFERENCES)"
_SUMMARY_FIELD_RE = re.compile(rb"^(subject|date)[ \t]*:[ \t]*(.*(?:\r?\n[ \t].*)*)", re.IGNORECASE | re.MULTILINE)
# The usual shape of a Date header ("Sat, 29 Nov 2026 23:11:00 -0800"), read without the email
# package's general parser (5 times slower); anything else goes through that parser.
_COMMON_DATE_RE = re.compile(
    r"(?:[A-Za-z]{3}, ?)?(\d{1,2}) ([A-Za-z]{3}) (\d{4}) (\d{2}):(\d{2})(?::(\d{2}))? ([+-])(\d{2})(\d{2})"
)
_MONTHS = {m: i for i, m in enumerate(("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"), 1)}


@functools.lru_cache(maxsize=64)
def _zone(sign: str, hours: str, minutes: str) -> timezone:
    offset = timedelta(hours=int(hours), minutes=int(minutes))
    return timezone(-offset if sign == "-" else offset) if offset else UTC


def subject_and_date(fields: bytes | None, received: datetime | None) -> tuple[str, datetime | None]:
    """(subject, date) of a message from its Subject and Date header lines (`fields`).

    The first of each is used, as in the reading pane's other headers. The date is the Date header
    when it can be read, else `received` (the server's INTERNALDATE: when the message arrived).
    """
    subject = date = None
    for match in _SUMMARY_FIELD_RE.finditer(fields or b""):
        name, value = match.groups()
        if len(name) == 7:  # Subject
            subject = value if subject is None else subject
        elif date is None:
            date = value
    # As the email package reads a header: 8-bit bytes kept as surrogate escapes, then guessed.
    text = header_text(subject.decode("ascii", "surrogateescape")) if subject is not None else ""
    when = header_date(date.decode("ascii", "surrogateescape")) if date is not None else None
    return text, when or received


_MESSAGE_ID_RE = re.compile(r"<[^<>\s]+>")
_REFERENCES_RE = re.compile(rb"^references[ \t]*:[ \t]*(.*(?:\r?\n[ \t].*)*)", re.IGNORECASE | re.MULTILINE)
# A thread of hundreds of messages has as many References: its root and the latest are enough.
MAX_REFERENCES = 20


def message_ids_in(value: str | None) -> tuple[str, ...]:
    """The "<id@host>" of a Message-ID, In-Reply-To or References value, in their order."""
    return tuple(_MESSAGE_ID_RE.findall(value or ""))


def references_in(fields: bytes | None) -> tuple[str, ...]:
    """The References of header lines fetched as LIST_FIELDS: the root and the latest ones."""
    match = _REFERENCES_RE.search(fields or b"")
    if match is None:
        return ()
    ids = message_ids_in(match.group(1).decode("ascii", "replace"))
    return ids if len(ids) <= MAX_REFERENCES else (ids[0], *ids[-(MAX_REFERENCES - 1):])


def header_text(value: str | None, limit: int = MAX_SUBJECT) -> str:
    """Display text of an unstructured header's raw value: unfolded, encoded words and raw 8-bit
    text decoded (UTF-8, else a guess), control and bidi characters dropped, spaces collapsed."""
    if not value:
        return ""
    if "=?" not in value and len(value) <= MAX_STRUCTURED:
        # No encoded word: the header registry (~50 µs a subject, 50 rows a page) would give the
        # text back as it is; only the 8-bit bytes need decoding.
        if value.isascii() and value.isprintable():
            text = " ".join(value.split())
        else:
            text = _clean_header_text(_fix_surrogates(_unfold(value))[0])
        if len(text) <= limit:
            return text
    return _decode_unstructured(value, "subject", None, limit)


def header_date(value: str | None) -> datetime | None:
    """A Date header's raw value as an aware datetime (UTC when it names no zone), None if unreadable."""
    if not value or not value.strip():
        return None
    common = _COMMON_DATE_RE.fullmatch(value.strip())
    if common is not None and common.group(2).lower() in _MONTHS:
        day, month, year, hour, minute, second, sign, zone_h, zone_m = common.groups()
        try:
            return datetime(int(year), _MONTHS[month.lower()], int(day), int(hour), int(minute), int(second or 0),
                            tzinfo=_zone(sign, zone_h, zone_m))
        except ValueError:  # 31 February, 25 o'clock: as the general parser would say
            pass
    value = _clean_header_text(_fix_surrogates(_unfold(value[:1000]))[0])
    try:
        date = email.utils.parsedate_to_datetime(value)
    except Exception:
        date = None
    if date is None:
        try:  # ISO 8601 dates from broken scripts
            date = datetime.fromisoformat(value)
        except Exception:
            return None
    if date.tzinfo is None:
        date = date.replace(tzinfo=UTC)  # "-0000": zone unknown, assume UTC
    return date


# --------------------------------------------------------------------------
# MIME part helpers
# --------------------------------------------------------------------------

_TOKEN = r"[a-z0-9!#$&^_.+-]+"
_CTYPE_RE = re.compile(rf"{_TOKEN}/{_TOKEN}")


def _content_type(part) -> str:
    """Lowercased maintype/subtype, safe to put in an HTTP header."""
    try:
        ctype = part.get_content_type()
    except Exception:
        raw = _raw_value(part, "content-type") or ""
        ctype = raw.split(";", 1)[0].strip().lower()
    return ctype if _CTYPE_RE.fullmatch(ctype or "") else "application/octet-stream"


def _stored_payload(part):
    """The payload as the parser stored it: a list of parts, or str/bytes.

    get_payload() would decode 8-bit text with the declared charset and
    errors="replace" on every call, losing the bytes (and time); this is what
    get_payload(decode=True) reads internally.
    """
    payload = getattr(part, "_payload", None)
    return payload if isinstance(payload, (list, str, bytes)) else part.get_payload()


def _payload_list(part) -> list | None:
    payload = _stored_payload(part)
    return payload if isinstance(payload, list) else None


def _is_multipart(part) -> bool:
    """Has sub-parts numbered directly below it (not an attached message)."""
    return _payload_list(part) is not None and not _content_type(part).startswith("message/")


def _is_encapsulated(part) -> bool:
    """An attached message (message/rfc822 and friends) parsed into a Message."""
    kids = _payload_list(part)
    return bool(kids) and _content_type(part).startswith("message/")


def _disposition(part) -> str | None:
    try:
        return part.get_content_disposition()
    except Exception:
        return None


def _content_id(part) -> str | None:
    raw = _raw_value(part, "content-id")
    if not raw:
        return None
    cid = _clean_header_text(_fix_surrogates(_unfold(raw[:1000]))[0]).strip("<> ")
    return cid or None


def _charset(part) -> str | None:
    try:
        return part.get_content_charset()
    except Exception:
        return None


def _raw_filename(part) -> str | None:
    """The declared file name, decoded (RFC 2231 / RFC 2047), not yet made safe."""
    name = None
    for header in ("content-disposition", "content-type"):
        raw = _raw_value(part, header)
        if not raw:
            continue
        # The old (compat32) parameter parser keeps unquoted values such as
        # filename=../../x intact, where the registry would cut at the slash.
        legacy = email.message.Message()
        legacy[header] = _fix_surrogates(_unfold(raw[:MAX_STRUCTURED]))[0]
        try:
            name = legacy.get_filename() if header == "content-disposition" else legacy.get_param("name")
            if isinstance(name, tuple):  # RFC 2231 triple from get_param
                name = email.utils.collapse_rfc2231_value(name)
        except Exception:
            name = None
        if name:
            break
    if not name:
        return None
    name = _fix_surrogates(str(name))[0]
    return _decode_words(name)


_EXTENSIONS = {
    "text/plain": ".txt",
    "text/html": ".html",
    "text/calendar": ".ics",
    "image/jpeg": ".jpg",
    "image/png": ".png",
    "image/gif": ".gif",
    "application/pdf": ".pdf",
    "application/octet-stream": ".bin",
    "application/ms-tnef": ".dat",
    "message/rfc822": ".eml",
    "message/global": ".eml",
    "message/delivery-status": ".txt",
    "message/disposition-notification": ".txt",
    "text/rfc822-headers": ".txt",
}


def _default_filename(ctype: str) -> str:
    if ctype == "application/ms-tnef":
        return "winmail.dat"
    ext = _EXTENSIONS.get(ctype)
    if ext is None:
        try:
            ext = mimetypes.guess_extension(ctype) or ".bin"
        except Exception:
            ext = ".bin"
    return "attachment" + ext


# Worth telling the user about: a path, hidden/bidi/control characters, or a
# leading dot.  (Characters merely replaced for Windows, like ":", are not.)
_UNSAFE_NAME_RE = re.compile(r"[/\\]|^\s*\.|" + _FILENAME_DROP_RE.pattern)


def _filename(part, ctype: str) -> tuple[str, str | None]:
    """(safe display file name, original declared name or None)."""
    declared = _raw_filename(part)
    if declared and declared.strip():
        return safe_filename(declared, _default_filename(ctype)), declared
    if _is_encapsulated(part) and ctype in ("message/rfc822", "message/global"):
        subject = _unstructured(part.get_payload(0), "subject", None, limit=100)
        if subject:
            return safe_filename(subject + ".eml", "message.eml"), None
        return "message.eml", None
    return _default_filename(ctype), declared


def _raw_payload(part) -> bytes:
    payload = _stored_payload(part)
    if isinstance(payload, bytes):
        return payload
    if not isinstance(payload, str):
        return b""
    try:
        return payload.encode("ascii", "surrogateescape")
    except UnicodeEncodeError:
        return payload.encode("utf-8", "surrogateescape")


def _transfer_encoding(part) -> str:
    raw = _raw_value(part, "content-transfer-encoding") or ""
    words = re.split(r"[;\s]+", raw.strip().strip("\"'").lower(), maxsplit=1)
    return words[0] if words else ""


_B64_JUNK_RE = re.compile(rb"[^A-Za-z0-9+/=]")


def _b64decode(data: bytes) -> tuple[bytes, bool]:
    """Decode base64, salvaging what can be salvaged; returns (bytes, clean)."""
    compact = data.translate(None, b" \t\r\n")
    try:
        return base64.b64decode(compact, validate=True), True
    except (binascii.Error, ValueError):
        pass
    cleaned = _B64_JUNK_RE.sub(b"", compact)
    out = []
    # Padding in the middle usually means concatenated encodings: decode each.
    for chunk in re.split(rb"=+", cleaned):
        chunk = chunk[: len(chunk) - (len(chunk) % 4 == 1)]  # one stray char can't decode
        if chunk:
            try:
                out.append(base64.b64decode(chunk + b"=" * (-len(chunk) % 4)))
            except (binascii.Error, ValueError):
                pass
    return b"".join(out), False


# "=" must start "=XX" or a soft line break (possibly after trailing blanks).
_QP_BAD_RE = re.compile(rb"=(?![0-9A-Fa-f]{2})(?![ \t]*(?:\r\n|\n|\r|$))")


def _uudecode(data: bytes) -> bytes | None:
    """Decode the first begin/end block; None if there is none."""
    lines = data.splitlines()
    start = next((i for i, line in enumerate(lines) if line.startswith(b"begin")), None)
    if start is None:
        return None
    out = []
    for line in lines[start + 1:]:
        if line.strip() in (b"end", b"`", b""):
            if line.strip() == b"end":
                break
            continue
        try:
            out.append(binascii.a2b_uu(line))
        except binascii.Error:
            # Workaround for broken encoders that emit too many characters.
            try:
                nbytes = (((line[0] - 32) & 63) * 4 + 5) // 3
                out.append(binascii.a2b_uu(line[:nbytes]))
            except (binascii.Error, IndexError):
                return None
    return b"".join(out)


def _decode_payload(part) -> tuple[bytes, str | None]:
    """Transfer-decode a leaf part: (bytes, problem or None)."""
    cte = _transfer_encoding(part)
    if _payload_list(part) is not None:
        data = _flatten_payload(part)
        if cte not in ("base64", "quoted-printable"):
            return data, None
        # RFC 2046 forbids encoding message/rfc822, but some clients do; the
        # parser then took the encoded text for a message body.  Decode it.
    else:
        data = _raw_payload(part)
    if cte in ("", "7bit", "8bit", "binary"):
        return data, None
    if cte == "base64":
        decoded, clean = _b64decode(data)
        return decoded, None if clean else "bad base64"
    if cte == "quoted-printable":
        problem = "bad quoted-printable" if _QP_BAD_RE.search(data) else None
        return quopri.decodestring(data), problem
    if cte in ("x-uuencode", "uuencode", "uue", "x-uue"):
        decoded = _uudecode(data)
        if decoded is None:
            return data, "bad uuencode"
        return decoded, None
    return data, f"unknown transfer encoding {cte[:40]!r}"


def _flatten(msg) -> bytes:
    """Serialise a (sub)message back to bytes, as close to the source as we can."""
    buf = io.BytesIO()
    try:
        email.generator.BytesGenerator(buf, mangle_from_=False, policy=_FLATTEN_POLICY).flatten(msg)
        return buf.getvalue()
    except Exception:
        pass
    try:
        return msg.as_bytes(policy=email.policy.compat32)
    except Exception:
        return b""


def _flatten_payload(part) -> bytes:
    """Bytes of an attached message (or the blocks of a delivery-status part)."""
    return b"".join(_flatten(m) for m in (_payload_list(part) or []))


def _text_content(part, where: str, notes: _Notices) -> str:
    """Decoded, display-ready text of a leaf part."""
    data, problem = _decode_payload(part)
    if problem:
        notes.add(f"{where} could not be fully decoded ({problem})")
    text, problem = _decode_bytes(data, _charset(part))
    if problem:
        notes.add(f"{where} {problem}; some characters may be wrong")
    if "\x00" in text:
        notes.add(f"{where} contains NUL bytes")
        text = text.replace("\x00", "")
    # Normalise line endings; lone surrogates cannot be encoded for output.
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    return _SURROGATES_RE.sub("\ufffd", text)


# --------------------------------------------------------------------------
# MIME tree walk
# --------------------------------------------------------------------------


@dataclass
class _Found:
    part_id: str
    filename: str
    content_type: str
    size: int
    content_id: str | None
    disposition: str | None
    in_related: bool


class _Walker:
    """Walks the MIME tree once, choosing bodies and listing attachments."""

    def __init__(self, msg, notes: _Notices) -> None:
        self.msg = msg
        self.notes = notes
        self.texts: list[str] = []
        self.html: str | None = None
        self.found: list[_Found] = []
        self.root_single = not _is_multipart(msg)

    def where(self, pid: str) -> str:
        if not pid or (pid == "1" and self.root_single):
            return "Message body"
        return f"Part {pid}"

    def run(self) -> None:
        self.walk(self.msg, "1" if self.root_single else "", 0, True, False)

    def note_defects(self, part, pid: str) -> None:
        where = "Message" if part is self.msg else f"Part {pid}"
        for defect in getattr(part, "defects", ()):
            text = _defect_text(defect)
            if text:
                self.notes.add(f"{where}: {text}")
        for name in ("content-type", "content-disposition"):
            raw = _raw_value(part, name)
            if raw is None or len(raw) > MAX_STRUCTURED:
                continue
            main = raw.split(";", 1)[0].strip()
            if name == "content-type" and "/" not in main:
                self.notes.add(f"{where}: invalid Content-Type {main[:40]!r}")
                continue
            value, guessed = _fix_surrogates(_unfold(raw))
            if guessed:
                self.notes.add(f"{where}: {name.title()} header contains raw 8-bit characters in an unknown charset")
            header = _parse_header(name, value)
            if header is not None and any(not _header_defect_ok(d) for d in header.defects):
                self.notes.add(f"{where}: malformed {name.title()} header")

    def walk(self, part, pid: str, depth: int, may_be_body: bool, in_related: bool) -> None:
        if depth > MAX_DEPTH:
            self.notes.add(f"MIME structure is nested more than {MAX_DEPTH} levels deep; deeper parts were skipped")
            return
        self.note_defects(part, pid)
        ctype = _content_type(part)
        if _is_encapsulated(part):
            self.attach(part, pid, ctype, in_related)
            return
        kids = _payload_list(part)
        if kids is None:
            self.leaf(part, pid, ctype, may_be_body, in_related)
            return
        if not kids:
            self.notes.add(f"{self.where(pid)} is a multipart with no parts")
            return
        prefix = f"{pid}." if pid else ""
        children = [(f"{prefix}{i}", child) for i, child in enumerate(kids, 1)]
        subtype = ctype.partition("/")[2]
        if subtype == "alternative" and may_be_body:
            self.alternative(children, depth)
        elif subtype == "related" and may_be_body:
            root = self.related_root(part, children)
            for i, (cid, child) in enumerate(children):
                self.walk(child, cid, depth + 1, i == root, i != root)
        else:
            for cid, child in children:
                self.walk(child, cid, depth + 1, may_be_body, in_related)

    def alternative(self, children, depth: int) -> None:
        # RFC 2046: alternatives are in increasing order of preference, so
        # the last text/plain and the last text/html win.  A later multipart
        # (typically related: HTML + images) beats an earlier bare HTML part.
        chosen: dict[str, str] = {}
        for cid, child in children:
            ctype = _content_type(child)
            if _payload_list(child) is not None:
                chosen.pop("text/html", None)
            elif ctype in ("text/plain", "text/html") and _disposition(child) != "attachment":
                chosen[ctype] = cid
        for cid, child in children:
            ctype = _content_type(child)
            if cid in chosen.values() or _payload_list(child) is not None:
                self.walk(child, cid, depth + 1, True, False)
            elif (
                not ctype.startswith("text/")
                or ctype == "text/calendar"
                or _disposition(child) == "attachment"
            ):
                self.walk(child, cid, depth + 1, False, False)
            # else: a less preferred rendering of the same text; skip it

    @staticmethod
    def related_root(part, children) -> int:
        """Index of the root part of a multipart/related (RFC 2387 "start")."""
        try:
            start = part.get_param("start")
        except Exception:
            start = None
        if isinstance(start, str) and start.strip("<> "):
            want = start.strip("<> ")
            for i, (_, child) in enumerate(children):
                if _content_id(child) == want:
                    return i
        return 0

    def leaf(self, part, pid: str, ctype: str, may_be_body: bool, in_related: bool) -> None:
        where = self.where(pid)
        if ctype.startswith("multipart/"):
            # Boundary missing or never found: the parser left the raw text.
            # Showing it beats showing nothing.
            text = _text_content(part, where, self.notes)
            if text.strip():
                self.notes.add(f"{where} has a broken MIME structure; its raw content is shown as text")
                self.texts.append(text)
            return
        if (
            may_be_body
            and ctype in ("text/plain", "text/html")
            and _disposition(part) != "attachment"
            and not _raw_filename(part)
        ):
            if ctype == "text/plain":
                self.texts.append(_text_content(part, where, self.notes))
                return
            if self.html is None:
                self.html = _text_content(part, where, self.notes)
                return
        self.attach(part, pid, ctype, in_related)

    def attach(self, part, pid: str, ctype: str, in_related: bool) -> None:
        where = self.where(pid)
        filename, declared = _filename(part, ctype)
        data, problem = _decode_payload(part)
        if problem:
            self.notes.add(f"{where} could not be fully decoded ({problem})")
        disposition = _disposition(part)
        if declared is not None and _UNSAFE_NAME_RE.search(declared):
            self.notes.add(f"{where} has an unsafe file name; it was cleaned up")
        elif declared is None and disposition == "attachment" and not _is_encapsulated(part):
            self.notes.add(f"{where} is an attachment without a file name")
        if ctype == "application/ms-tnef":
            self.notes.add(f"{where} is a Microsoft TNEF (winmail.dat) attachment; its contents cannot be shown")
        if _is_encapsulated(part):
            inner = part.get_payload(0)
            if _transfer_encoding(part) in ("base64", "quoted-printable"):
                self.notes.add(f"{where} is an attached message with a transfer encoding it must not have")
            elif getattr(inner, "defects", None) or not list(inner.raw_items()):
                self.notes.add(f"{where} is an attached message that is malformed")
        self.found.append(_Found(pid, filename, ctype, len(data), _content_id(part), disposition, in_related))

    def attachments(self) -> list[Attachment]:
        html = (self.html or "").lower()
        out = []
        for f in self.found:
            inline = False
            if f.content_id and f.disposition != "attachment":
                cid = f.content_id.lower()
                inline = f.in_related or ("cid:" + cid) in html or ("cid:" + quote(cid, safe="@")) in html
            out.append(Attachment(f.part_id, f.filename, f.content_type, f.size, f.content_id, inline))
        return out


# --------------------------------------------------------------------------
# Public functions
# --------------------------------------------------------------------------


def _as_bytes(raw) -> bytes:
    if isinstance(raw, bytes):
        return raw
    if isinstance(raw, (bytearray, memoryview)):
        return bytes(raw)
    if isinstance(raw, str):
        return raw.encode("utf-8", "surrogateescape")
    return b""


def _parse_bytes(raw: bytes):
    return email.message_from_bytes(raw, policy=_POLICY)


def parse_message(raw: bytes) -> ParsedMessage:
    """Parse a raw message for display (on a shallow stack: `on_shallow_stack`).  Never raises."""
    return on_shallow_stack(_parse_or_fallback, _as_bytes(raw))


def _parse_or_fallback(raw: bytes) -> ParsedMessage:
    try:
        return _parse(raw)
    except Exception as exc:  # RecursionError on absurd nesting, parser bugs
        return _fallback(raw, exc)


def _headers(msg, notes: _Notices) -> dict:
    for name in _SINGLE_HEADERS:
        count = len(_raw_values(msg, name))
        if count > 1:
            shown = "all are shown" if name in ("to", "cc") else "the first one is shown"
            notes.add(f"Message has {count} {name.title()} headers; {shown}")
    # Recipients from repeated To/Cc are merged; the sender is taken from the
    # first header only, so a second From cannot sneak in next to it.
    from_ = _addresses(msg, "from", notes, first_only=True)
    if not _raw_values(msg, "from"):
        notes.add("Message has no From header")
    refs = _msgids(_raw_value(msg, "references"))
    if len(refs) > MAX_REFERENCES:  # keep the thread root and the most recent
        refs = refs[:1] + refs[-(MAX_REFERENCES - 1):]
    return dict(
        subject=_unstructured(msg, "subject", notes),
        from_=from_,
        to=_addresses(msg, "to", notes),
        cc=_addresses(msg, "cc", notes),
        reply_to=_addresses(msg, "reply-to", notes, first_only=True),
        date=_parse_date(msg, notes),
        message_id=next(iter(_msgids(_raw_value(msg, "message-id"))), None),
        in_reply_to=next(iter(_msgids(_raw_value(msg, "in-reply-to"))), None),
        references=refs,
    )


def _raw_notices(raw: bytes, notes: _Notices) -> None:
    """Problems visible only in the raw bytes."""
    if not raw.strip():
        notes.add("Message is empty")
    if b"\x00" in raw:
        notes.add("Message contains NUL bytes")
    if raw.count(b"\r") != raw.count(b"\r\n"):
        notes.add("Message has bare CR line endings")


def _parse(raw: bytes) -> ParsedMessage:
    notes = _Notices()
    _raw_notices(raw, notes)
    msg = _parse_bytes(raw)
    headers = _headers(msg, notes)
    walker = _Walker(msg, notes)
    walker.run()
    return ParsedMessage(
        **headers,
        text="\n\n".join(walker.texts) if walker.texts else None,
        html=walker.html,
        attachments=walker.attachments(),
        notices=notes.result(),
    )


def _fallback(raw: bytes, exc: Exception) -> ParsedMessage:
    """Headers plus the raw body as text, for messages the parser can't handle."""
    notes = _Notices()
    _raw_notices(raw, notes)
    notes.add(f"Message structure could not be parsed ({type(exc).__name__}); showing it as plain text")
    headers = dict(subject="", from_=[], to=[], cc=[], reply_to=[], date=None,
                   message_id=None, in_reply_to=None, references=[])
    body = raw
    try:
        msg = email.parser.BytesParser(policy=_POLICY).parsebytes(raw, headersonly=True)
        headers = _headers(msg, notes)
        body = _raw_payload(msg)
    except Exception:
        pass
    text = _guess_decode(body).replace("\x00", "").replace("\r\n", "\n").replace("\r", "\n")
    return ParsedMessage(**headers, text=text, html=None, attachments=[], notices=notes.result())


# Section numbers like "2.1.3"; a handful of digits per level is plenty.
_PART_ID_RE = re.compile(r"[1-9][0-9]{0,5}(?:\.[1-9][0-9]{0,5}){0,64}")


def _resolve(msg, part_id: str):
    """The part with IMAP section number ``part_id``, or None."""
    if not isinstance(part_id, str) or not _PART_ID_RE.fullmatch(part_id):
        return None
    node = msg
    for i, n in enumerate(int(x) for x in part_id.split(".")):
        if i > 0 and _is_encapsulated(node):
            node = node.get_payload(0)  # step into the attached message
            if not _is_multipart(node):
                if n != 1:
                    return None
                continue  # "2.1" is the body of a single-part attached message
        if _is_multipart(node):
            kids = _payload_list(node)
            if n > len(kids):
                return None
            node = kids[n - 1]
        elif i == 0 and n == 1:
            continue  # a single-part message's only part is "1"
        else:
            return None
    return node


def get_part(raw: bytes, part_id: str) -> tuple[bytes, str, str] | None:
    """(decoded payload, content type, safe file name) of a part, or None."""
    try:
        msg = _parse_bytes(_as_bytes(raw))
        part = _resolve(msg, part_id)
        if part is None or _is_multipart(part):
            return None
        ctype = _content_type(part)
        data, _ = _decode_payload(part)
        return data, ctype, _filename(part, ctype)[0]
    except Exception:
        return None


def part_charset(raw: bytes, part_id: str) -> str | None:
    """The charset a text part declares (for the attachment preview), or None."""
    try:
        part = _resolve(_parse_bytes(_as_bytes(raw)), part_id)
        return _charset(part) if part is not None else None
    except Exception:
        return None


def _leaves(part, depth: int = 0):
    """Leaf parts of the message (not descending into attached messages)."""
    if depth > MAX_DEPTH:
        return
    if _is_multipart(part):
        for child in _payload_list(part):
            yield from _leaves(child, depth + 1)
    else:
        yield part


def find_by_content_id(raw: bytes, content_id: str) -> tuple[bytes, str] | None:
    """(decoded payload, content type) of the part a ``cid:`` URL points to.

    Accepts "cid:abc%40x", "<abc@x>" or "abc@x".  Exact match first, then
    case-insensitive (some mailers change case when rewriting HTML).
    """
    try:
        want = str(content_id).strip()
        if want[:4].lower() == "cid:":
            want = unquote(want[4:])
        want = want.strip("<> ")
        if not want:
            return None
        msg = _parse_bytes(_as_bytes(raw))
        fallback = None
        for part in _leaves(msg):
            cid = _content_id(part)
            if cid is None:
                continue
            if cid == want:
                fallback = part
                break
            if fallback is None and cid.lower() == want.lower():
                fallback = part
        if fallback is None:
            return None
        return _decode_payload(fallback)[0], _content_type(fallback)
    except Exception:
        return None
