"""The one place that speaks IMAP.

Everything else in the project calls the functions and `Mailbox` methods here and sees plain
dataclasses, UIDs and folder names; only this package imports imapclient (responses.py parses
FETCH answers for this module). Server failures become `MailServerError` subclasses that say
whether trying again later could help.

Connections are pooled per process and per account (see `mailbox_for`): signing in over TLS
costs several round trips, which a click in the message list should not pay every time.
"""

from __future__ import annotations

import hashlib
import imaplib
import logging
import os
import socket
import ssl
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace
from datetime import datetime
from email.errors import HeaderParseError
from email.header import decode_header, make_header

from django.conf import settings
from imapclient import IMAPClient
from imapclient.exceptions import IMAPClientError, LoginError
from imapclient.imap_utf7 import decode as decode_utf7
from imapclient.imapclient import join_message_ids, seq_to_parenstr_upper
from imapclient.response_parser import parse_response

from webmail.imap.responses import parse_fetch
from webmail.mailbox.parse import LIST_FIELDS, SUMMARY_FIELDS, message_ids_in, references_in, subject_and_date

logger = logging.getLogger(__name__)

SPECIAL_USES = ("\\Drafts", "\\Sent", "\\Archive", "\\Junk", "\\Trash")


@dataclass(frozen=True)
class Moved:
    """Where `Mailbox.move` put messages: the target's UIDVALIDITY, and each message's UID there
    with its Message-ID (to find it again if the server renumbers the folder)."""

    uidvalidity: int
    uids: dict[int, str]


def _parse_copyuid(data: bytes | str) -> tuple[int, dict[int, int]]:
    """`COPYUID <uidvalidity> <source uids> <target uids>` (RFC 4315) → (uidvalidity, {source: target})."""
    text = data.decode() if isinstance(data, bytes) else data
    validity, sources, targets = text.split()[:3]

    def expand(uid_set: str) -> list[int]:
        uids = []
        for part in uid_set.split(","):
            low, _sep, high = part.partition(":")
            first, last = int(low), int(high or low)
            uids.extend(range(first, last + 1) if first <= last else range(first, last - 1, -1))
        return uids

    return int(validity), dict(zip(expand(sources), expand(targets), strict=True))


class MailServerError(Exception):
    """The mail server could not do what was asked. `temporary` says whether a retry may help."""

    temporary = True


class AuthenticationFailed(MailServerError):
    temporary = False


class ServerUnreachable(MailServerError):
    temporary = True


class FolderNotFound(MailServerError):
    temporary = False


@dataclass(frozen=True)
class ServerConfig:
    host: str
    port: int
    security: str  # "tls", "starttls" or "none"
    timeout: float
    verify_tls: bool

    @classmethod
    def imap(cls) -> ServerConfig:
        return cls(
            settings.IMAP_HOST or "127.0.0.1",
            settings.IMAP_PORT,
            settings.IMAP_SECURITY,
            settings.MAIL_TIMEOUT,
            settings.MAIL_VERIFY_TLS,
        )

    def ssl_context(self) -> ssl.SSLContext:
        context = ssl.create_default_context()
        if not self.verify_tls:
            context.check_hostname = False
            context.verify_mode = ssl.CERT_NONE
        return context


@dataclass(frozen=True)
class Folder:
    name: str  # the full server name, decoded from modified UTF-7
    delimiter: str
    special_use: str | None  # one of SPECIAL_USES, or None
    messages: int
    unseen: int
    selectable: bool

    @property
    def depth(self) -> int:
        return self.name.count(self.delimiter) if self.delimiter else 0

    @property
    def leaf(self) -> str:
        return self.name.rsplit(self.delimiter, 1)[-1] if self.delimiter else self.name


@dataclass(frozen=True)
class Envelope:
    uid: int
    subject: str  # subject and date: `parse.subject_and_date`, as the reading pane shows them
    sender_name: str
    sender_email: str
    to: tuple[str, ...]
    date: datetime | None
    seen: bool
    flagged: bool
    answered: bool
    has_attachment: bool
    preview: str
    size: int
    # What threads it (`mailbox.conversations`): its own Message-ID, the one it answers, and its
    # References (oldest first), each "<id@host>".
    message_id: str = ""
    in_reply_to: str = ""
    references: tuple[str, ...] = ()


@dataclass(frozen=True)
class Page:
    folder: str
    uidvalidity: int
    total: int
    number: int
    per_page: int
    messages: list[Envelope]

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.per_page))


@dataclass(frozen=True)
class RawMessage:
    folder: str
    uid: int
    uidvalidity: int
    flags: frozenset[str]
    raw: bytes | None  # None when the caller said it has the bytes (`Mailbox.open_message`)
    subject: str = ""  # subject and date: `parse.subject_and_date`, as the message list shows them
    date: datetime | None = None

    @property
    def seen(self) -> bool:
        return "\\Seen" in self.flags

    @property
    def flagged(self) -> bool:
        return "\\Flagged" in self.flags


# LOGIN answers with these response codes (RFC 5530) mean "not now", not "wrong password".
_UNAVAILABLE_CODES = ("[UNAVAILABLE]", "[INUSE]", "[LIMIT]", "[SERVERBUG]", "[CONTACTADMIN]")


def _translate_errors(exc: Exception) -> MailServerError:
    if isinstance(exc, LoginError):
        if any(code in str(exc).upper() for code in _UNAVAILABLE_CODES):
            return ServerUnreachable(str(exc))
        return AuthenticationFailed(str(exc))
    if isinstance(exc, ssl.SSLError):
        return ServerUnreachable(f"TLS failure: {exc}")
    if isinstance(exc, OSError | IMAPClient.AbortError | imaplib.IMAP4.abort):
        return ServerUnreachable(str(exc) or exc.__class__.__name__)
    return MailServerError(str(exc))


def _connect(email: str, password: str, config: ServerConfig) -> IMAPClient:
    try:
        client = IMAPClient(
            config.host,
            port=config.port,
            ssl=config.security == "tls",
            ssl_context=config.ssl_context() if config.security == "tls" else None,
            timeout=config.timeout,
        )
        # Dates as the server gives them, with their offset, instead of converted to this machine's
        # local time without one: pages show them in the user's zone. (List pages are parsed by
        # responses.parse_fetch, which does the same.)
        client.normalise_times = False
        # imapclient turns imaplib's trace fully on and hands it to a logger that drops it unless
        # DEBUG logging is set up; imaplib formats every line it reads all the same (a list page's
        # 36 KB answer: 0.7 ms). Off, the trace also cannot put mail or commands in a log.
        client._imap.debug = 0
        # Commands sent back to back (a NOOP and the FETCH it guards, a FETCH and the LIST-STATUS
        # behind it) leave at once instead of waiting for the first one's ACK (Nagle): at 10 ms from
        # the server, 64 ms pipelined as before, 44 ms with it.
        client._imap.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        if config.security == "starttls":
            client.starttls(config.ssl_context())
        client.login(email, password)
        return client
    except (OSError, IMAPClientError, imaplib.IMAP4.error) as exc:
        raise _translate_errors(exc) from exc


def verify_login(email: str, password: str) -> None:
    """Raise AuthenticationFailed or ServerUnreachable unless the server accepts these credentials."""
    client = _connect(email, password, ServerConfig.imap())
    try:
        client.logout()
    except (OSError, IMAPClientError):
        pass


def _text(value: bytes | str | None) -> str:
    if value is None:
        return ""
    if isinstance(value, bytes):
        raw = value.decode("utf-8", "replace")
        if "=?" not in raw:  # no encoded word: skip the (slow) header machinery, 50 rows × 4 fields a page
            return raw
        try:
            return str(make_header(decode_header(raw)))
        except (LookupError, ValueError, UnicodeError, HeaderParseError):  # broken encoded words
            return raw
    return value


def _has_attachment(structure) -> bool:
    """True when any part of a BODYSTRUCTURE is an attachment (disposition or a named non-text part)."""
    if structure is None:
        return False
    if structure.is_multipart:
        parts = structure[0] if isinstance(structure[0], list) else []
        return any(_has_attachment(part) for part in parts)
    try:
        disposition = structure[8] if len(structure) > 8 else None
    except (IndexError, TypeError):
        return False
    # Broken mail gives odd structures here (nested tuples instead of a disposition name).
    if isinstance(disposition, tuple) and disposition and isinstance(disposition[0], bytes):
        return disposition[0].lower() == b"attachment"
    return False


# How many list rows a connection keeps for its selected folder (about 1 KB each).
REMEMBERED_ROWS = 500


class Mailbox:
    """A signed-in IMAP session. Methods speak folder names and UIDs."""

    def __init__(self, client: IMAPClient):
        self._conn = client
        # Set by the pool while a request holds this connection: opens a fresh one in its place.
        self._reconnect = None
        # A connection taken from the pool owes a NOOP (the server may have dropped it while idle):
        # sent in the same burst as the first command when it can be (`open_message`), else
        # before the first use of `_client`.
        self._owes_noop = False
        self._lent = False  # taken by a fetch ahead (`_Pool.take(wait=False)`)
        self._selected: tuple[str, bool] | None = None
        self._selected_info: dict | None = None
        self.last_used = time.monotonic()
        # Pages of the selected folder fetched since its SELECT, by sequence range (see `_page`).
        self._shown: dict[tuple[int, int], list[Envelope]] = {}
        self._just_checked = False  # a NOOP was sent on taking this connection from the pool
        # Commands sent without waiting for their answer (`mark_seen_unanswered`), as (name, tag),
        # and what to do again on a new connection should this one die before answering them.
        self._unanswered: list[tuple[str, str]] = []
        self._redo: list[Callable[[Mailbox], None]] = []

    @property
    def _client(self) -> IMAPClient:
        if self._owes_noop:
            self._check()
        return self._conn

    def _check(self) -> None:
        """The NOOP a pooled connection owes; a connection the server dropped is replaced."""
        self._owes_noop = False
        try:
            self._conn.noop()
            self._just_checked = True
        except (TimeoutError, OSError, IMAPClientError, imaplib.IMAP4.error):
            self._replace()

    def _replace(self) -> None:
        """Swap a dead connection for a fresh one (the pool's slot passes to it)."""
        self._owes_noop = False
        try:
            self._conn.shutdown()
        except (OSError, IMAPClientError, imaplib.IMAP4.error):
            pass
        if self._reconnect is None:
            raise ServerUnreachable("the pooled connection was dropped")
        self._conn = self._reconnect()
        self._selected = self._selected_info = None
        self._shown.clear()
        self._just_checked = False
        self._unanswered, redo, self._redo = [], self._redo, []
        for command in redo:  # lost with the old connection: done again on this one
            command(self)

    # Folders -------------------------------------------------------------------------------
    def folders(self) -> list[Folder]:
        tag = self._send_list_status()
        return self._folders(self._read_list_status(tag) if tag else None)

    def _folders(self, listed) -> list[Folder]:
        """Folders from a LIST-STATUS answer, or from LIST and a STATUS per folder when `listed` is None."""
        result = []
        folders, counts = listed if listed is not None else (self._client.list_folders(), None)
        for flags, delimiter, name in folders:
            flag_names = {f.decode() if isinstance(f, bytes) else f for f in flags}
            special = next((use for use in SPECIAL_USES if use in flag_names), None)
            selectable = "\\Noselect" not in flag_names and "\\NonExistent" not in flag_names
            messages = unseen = 0
            if selectable and counts is not None:
                messages, unseen = counts.get(name, (0, 0))
            elif selectable:
                status = self._client.folder_status(name, [b"MESSAGES", b"UNSEEN"])
                messages, unseen = status.get(b"MESSAGES", 0), status.get(b"UNSEEN", 0)
            if name.upper() == "INBOX":
                name = "INBOX"
            delim = delimiter.decode() if isinstance(delimiter, bytes) else (delimiter or "")
            result.append(Folder(name, delim, special, messages, unseen, selectable))
        # The order people expect: Inbox, then the special folders in a fixed order, then theirs.
        order = {use: i for i, use in enumerate(SPECIAL_USES)}
        result.sort(key=lambda f: (f.name != "INBOX", order.get(f.special_use, len(order)), f.name.lower()))
        return result

    def _send_list_status(self) -> str | None:
        """Ask for the folders and their counts in one LIST-STATUS command (RFC 5819); returns its
        tag, or None when the server lacks LIST-STATUS.

        One round trip instead of a STATUS per folder: the folder list is on every page. Only sent
        here, so that it can follow another command without waiting for it (`page_and_folders`).
        """
        if not self._client.has_capability("LIST-STATUS"):
            return None
        imap = self._client._imap
        for kind in ("LIST", "STATUS"):
            imap.untagged_responses.pop(kind, None)
        return imap._command("LIST", '""', '"*"', "RETURN", "(SPECIAL-USE STATUS (MESSAGES UNSEEN))")

    def _read_list_status(self, tag: str):
        """The answer to `_send_list_status`: (LIST entries, counts by folder), or None if refused."""
        imap = self._client._imap
        try:
            typ, _data = imap._command_complete("LIST", tag)
        except imaplib.IMAP4.error:  # a server that announces LIST-STATUS but refuses this form
            typ = "BAD"
        listed = imap.untagged_responses.pop("LIST", [])
        statuses = imap.untagged_responses.pop("STATUS", [])
        if typ != "OK":
            return None
        counts: dict[str, tuple[int, int]] = {}
        parsed = parse_response([item for item in statuses if item not in (b"", None)])
        for raw_name, values in zip(parsed[::2], parsed[1::2], strict=False):
            name = decode_utf7(raw_name) if isinstance(raw_name, bytes) else str(raw_name)
            found = dict(zip(values[::2], values[1::2], strict=False))
            counts[name] = (int(found.get(b"MESSAGES", 0)), int(found.get(b"UNSEEN", 0)))
        return self._client._proc_folder_list(listed), counts

    def special_folder(self, use: str) -> str | None:
        found = self._client.find_special_folder(use.encode())
        return found

    def create_folder(self, name: str) -> None:
        self._client.create_folder(name)
        self._client.subscribe_folder(name)

    def rename_folder(self, old: str, new: str) -> None:
        self._client.rename_folder(old, new)
        self._selected = None

    def delete_folder(self, name: str) -> None:
        self._client.delete_folder(name)
        self._selected = None

    def _select(self, folder: str, readonly: bool = False) -> dict:
        """Select `folder`, or keep it selected when this (pooled) connection already has it.

        SELECT costs grow with the folder on some servers (Dovecot's maildir: ~0.3 s at 100,000
        messages), so a folder that is already selected is only checked with NOOP, which makes the
        server report new or expunged messages. New mail alone only raises the count (EXISTS): the
        others keep their sequence numbers. After an expunge it is selected afresh (imaplib files
        EXPUNGE and EXISTS apart, so their order, which decides the count, is lost). Folders are
        always selected read-write (reads use BODY.PEEK), so one selection serves every method.
        `readonly` is kept for callers' sake.
        """
        pending = self._client._imap.untagged_responses
        just_checked, self._just_checked = self._just_checked, False
        if self._selected is not None and self._selected[0] == folder and self._selected_info is not None:
            if not just_checked:  # that NOOP's news are in `pending` already
                self._client.noop()
            if "EXPUNGE" not in pending:
                counts = pending.pop("EXISTS", None)
                if counts:
                    self._selected_info[b"EXISTS"] = int(counts[-1])
                return self._selected_info
        try:
            info = self._client.select_folder(folder)
        except IMAPClientError as exc:
            raise FolderNotFound(folder) from exc
        # From now on an EXISTS or EXPUNGE here means the folder changed since this SELECT.
        pending = self._client._imap.untagged_responses
        pending.pop("EXISTS", None)
        pending.pop("EXPUNGE", None)
        self._selected = (folder, False)
        self._selected_info = info
        self._shown.clear()  # other folder, or sequence numbers that moved
        return info

    # Message list --------------------------------------------------------------------------
    def page(self, folder: str, number: int, per_page: int = 50) -> Page:
        """Page `number` (1-based) of a folder, newest first.

        Works on sequence numbers so the cost depends on the page size, not on the folder size:
        the server is asked only for the messages on the page.
        """
        page, _folders = self._page(folder, number, per_page, with_folders=False)
        return page

    def page_and_folders(self, folder: str, number: int, per_page: int = 50) -> tuple[Page, list[Folder]]:
        """`page()` and `folders()`, both on every list click, in one round trip.

        The folder list is asked for right behind the page's FETCH without waiting for its answer
        (pipelining, RFC 9051 section 5.5): the server counts the folders while this process parses
        the page, instead of after.
        """
        return self._page(folder, number, per_page, with_folders=True)

    def _page(self, folder: str, number: int, per_page: int, with_folders: bool) -> tuple[Page, list[Folder] | None]:
        """A page shown again since the last SELECT (a poll, "back to the list", a reload) costs a
        FETCH of its flags only: no EXPUNGE came, so its sequence numbers name the same messages,
        and all a row shows but the flags never changes for a UID.
        """
        envelopes = listed = None
        if self._owes_noop and self._selected is not None and self._selected[0] == folder and self._selected_info:
            envelopes, listed = self._page_in_one_burst(number, per_page, with_folders)
        info = self._select(folder, readonly=True)
        total = int(info.get(b"EXISTS", 0))
        uidvalidity = int(info.get(b"UIDVALIDITY", 0))
        high = total - (number - 1) * per_page
        low = max(1, high - per_page + 1)
        if high < 1:
            folders = (self._folders(listed) if listed else self.folders()) if with_folders else None
            return Page(folder, uidvalidity, total, number, per_page, []), folders
        if envelopes is None and (low, high) in self._shown:
            envelopes, refreshed = self._refresh_flags(low, high, with_folders and not listed)
            listed = listed or refreshed
        if envelopes is None:  # not shown since the last SELECT (or, defensively, a row went missing)
            which = list(range(low, high + 1))
            envelopes, fetched = self._fetch_envelopes(which, by_uid=False, with_folders=with_folders and not listed)
            listed = listed or fetched
            self._remember(low, high, envelopes)
        envelopes.sort(key=lambda e: e.uid, reverse=True)
        folders = self._folders(listed) if with_folders else None
        return Page(folder, uidvalidity, total, number, per_page, envelopes), folders

    def _page_in_one_burst(self, number: int, per_page: int, with_folders: bool):
        """A page of the kept folder with the NOOP this pooled connection owes, the page's FETCH
        and the LIST-STATUS sent in one burst (one round trip at a distance instead of two).

        The FETCH names sequence numbers, which only hold if the NOOP reports no news: with new
        or expunged mail (or a connection the server dropped), its answer is set aside and no rows
        returned; `_page` then goes the usual way, with that NOOP's news pending.
        """
        total = int(self._selected_info.get(b"EXISTS", 0))
        high = total - (number - 1) * per_page
        low = max(1, high - per_page + 1)
        if high < 1:
            return None, None
        shown = (low, high) in self._shown
        items = "(UID FLAGS)" if shown else seq_to_parenstr_upper(self._list_items())
        imap = self._conn._imap
        self._owes_noop = False
        try:
            noop_tag = imap._command("NOOP")
            fetch_tag = imap._command("FETCH", f"{low}:{high}", items)
            list_tag = self._send_list_status() if with_folders else None
            imap._command_complete("NOOP", noop_tag)
        except (TimeoutError, OSError, imaplib.IMAP4.abort):
            self._replace()  # dropped while pooled: nothing ran; `_page` starts afresh on a new one
            return None, None
        pending = imap.untagged_responses
        news = "EXPUNGE" in pending or any(int(n) != total for n in pending.get("EXISTS", []))
        typ, data = imap._command_complete("FETCH", fetch_tag)
        self._conn._checkok("fetch", typ, data)
        _typ, data = imap._untagged_response(typ, data, "FETCH")
        listed = self._read_list_status(list_tag) if list_tag else None
        self._just_checked = True  # `_select` reads what the NOOP reported
        if news:
            return None, listed  # the folder counts were read after the NOOP: still right
        answers = parse_fetch(data, False)
        if shown:
            return self._rows_with_flags(low, high, answers), listed
        envelopes = [self._envelope(v) for v in answers.values() if b"UID" in v and b"ENVELOPE" in v]
        self._remember(low, high, envelopes)
        return envelopes, listed

    def _refresh_flags(self, low: int, high: int, with_folders: bool):
        """The rows shown for sequence numbers low..high with their flags fetched afresh (None if
        the server names another message), and the LIST-STATUS answer when asked."""
        answers, listed = self._fetch(["FETCH", f"{low}:{high}", "(UID FLAGS)"], False, with_folders)
        return self._rows_with_flags(low, high, answers), listed

    def _rows_with_flags(self, low: int, high: int, answers: dict):
        shown = {e.uid: e for e in self._shown[(low, high)]}
        rows = []
        for number, values in answers.items():
            if not low <= number <= high or b"FLAGS" not in values:
                continue  # an unsolicited answer about another message
            if values.get(b"UID") not in shown:
                return None
            rows.append(replace(shown[values[b"UID"]], **_flag_fields(values[b"FLAGS"])))
        return rows if len(rows) == len(shown) else None

    def _remember(self, low: int, high: int, envelopes: list[Envelope]) -> None:
        if sum(map(len, self._shown.values())) + len(envelopes) > REMEMBERED_ROWS:
            self._shown.clear()
        self._shown[(low, high)] = envelopes

    def envelopes(self, folder: str, uids: list[int]) -> list[Envelope]:
        self._select(folder, readonly=True)
        if not uids:
            return []
        found, _listed = self._fetch_envelopes(uids, by_uid=True)
        return sorted(found, key=lambda e: e.uid, reverse=True)

    def _fetch_envelopes(self, which, by_uid: bool, with_folders: bool = False):
        """The list items of these messages; with `with_folders`, also the LIST-STATUS answer
        (None without LIST-STATUS), its command sent right behind the FETCH."""
        items = self._list_items()
        command = ["UID"] if by_uid else []
        answers, listed = self._fetch(
            [*command, "FETCH", join_message_ids(which), seq_to_parenstr_upper(items)], by_uid, with_folders
        )
        envelopes = []
        for key, values in answers.items():
            if by_uid:  # imapclient keys UID FETCH results by UID and drops the UID item itself
                values.setdefault(b"UID", key)
            # Skip unsolicited FETCH responses (flag updates from other sessions carry no ENVELOPE).
            if b"UID" in values and b"ENVELOPE" in values:
                envelopes.append(self._envelope(values))
        return envelopes, listed

    def _list_items(self) -> list[bytes]:
        items = [b"UID", b"FLAGS", b"ENVELOPE", b"INTERNALDATE", b"RFC822.SIZE", b"BODYSTRUCTURE", _LIST_ITEM]
        preview = self._conn.has_capability("PREVIEW") or self._conn.has_capability("PREVIEW=FUZZY")
        items.append(b"PREVIEW" if preview else b"BODY.PEEK[TEXT]<0.300>")
        return items

    def _fetch(self, command: list, by_uid: bool, with_folders: bool):
        """Send a FETCH (`command`: imaplib's arguments) and, when asked, the LIST-STATUS right
        behind it; return the FETCH answer parsed as imapclient's fetch() does, and the LIST-STATUS
        answer (None without it).

        imapclient's fetch() waits for its answer before returning, so the FETCH is sent here. Any
        failure leaves answers unread: mailbox_for then discards the connection.
        """
        imap = self._client._imap
        fetch_tag = imap._command(*command)
        list_tag = self._send_list_status() if with_folders else None
        typ, data = imap._command_complete("FETCH", fetch_tag)
        self._client._checkok("fetch", typ, data)
        _typ, data = imap._untagged_response(typ, data, "FETCH")
        answers = parse_fetch(data, by_uid)  # imapclient's parse, faster (see responses.py)
        return answers, self._read_list_status(list_tag) if list_tag else None

    def _envelope(self, values: dict) -> Envelope:
        env = values.get(b"ENVELOPE")
        flags = values.get(b"FLAGS", ())
        sender_name = sender_email = ""
        to: tuple[str, ...] = ()
        if env is not None:
            if env.from_:
                first = env.from_[0]
                sender_name = _text(first.name)
                sender_email = f"{_text(first.mailbox)}@{_text(first.host)}" if first.host else _text(first.mailbox)
            to = tuple(
                _text(a.name) or f"{_text(a.mailbox)}@{_text(a.host)}" for a in (env.to or ()) if a.mailbox
            )
        preview = values.get(b"PREVIEW")
        if isinstance(preview, tuple):  # "PREVIEW (FUZZY text)" in older drafts of RFC 8970
            preview = preview[-1]
        if preview is None:
            preview = _cheap_preview(values.get(b"BODY[TEXT]<0>", b""))
        fields = _summary_fields(values)
        subject, date = subject_and_date(fields, values.get(b"INTERNALDATE"))
        replied_to = message_ids_in(_text(env.in_reply_to)) if env is not None else ()
        return Envelope(
            uid=int(values[b"UID"]),
            subject=subject,
            sender_name=sender_name,
            sender_email=sender_email,
            to=to,
            date=date,
            **_flag_fields(flags),
            has_attachment=_has_attachment(values.get(b"BODYSTRUCTURE")),
            preview=" ".join(_text(preview).split())[:200],
            size=int(values.get(b"RFC822.SIZE", 0)),
            message_id=next(iter(message_ids_in(_text(env.message_id))), "") if env is not None else "",
            in_reply_to=replied_to[-1] if replied_to else "",
            references=references_in(fields),
        )

    # One message ---------------------------------------------------------------------------
    def fetch_raw(self, folder: str, uid: int, mark_seen: bool = False) -> bytes | None:
        self._select(folder, readonly=not mark_seen)
        item = b"BODY[]" if mark_seen else b"BODY.PEEK[]"
        data = self._client.fetch([uid], [item])
        if uid not in data:
            return None
        return data[uid].get(b"BODY[]")

    def set_flag(self, folder: str, uids: list[int], flag: str, on: bool) -> None:
        self._select(folder)
        if on:
            self._client.add_flags(uids, [flag.encode()], silent=True)
        else:
            self._client.remove_flags(uids, [flag.encode()], silent=True)

    def move(self, folder: str, uids: list[int], target: str) -> Moved:
        """Move messages; returns where they now are, from the server's own answer (UIDPLUS
        `COPYUID`), or without UIDPLUS by their Message-IDs among the target's new UIDs."""
        ids = self.message_ids(folder, uids)  # selects `folder`
        answers = self._client._imap.untagged_responses
        answers.pop("COPYUID", None)
        before = None if self._client.has_capability("UIDPLUS") else self._client.folder_status(
            target, [b"UIDNEXT", b"UIDVALIDITY"])
        try:
            self._client.move(uids, target)
        except IMAPClientError as exc:
            if "EXPUNGEISSUED" not in str(exc):
                raise
            # Another session expunged (or moved) them meanwhile: nothing was moved (RFC 5530).
            self._selected_info = None
            return Moved(0, {})
        self._selected_info = None  # EXPUNGEs came: the kept count is stale (see _page_in_one_burst)
        copyuid = answers.pop("COPYUID", None)
        if copyuid:
            uidvalidity, mapping = _parse_copyuid(copyuid[-1])
        elif before is None:  # UIDPLUS and no COPYUID: nothing was moved (those UIDs are gone)
            uidvalidity, mapping = 0, {}
        else:  # no UIDPLUS: the target's new UIDs (from UIDNEXT on) that carry these Message-IDs
            uidvalidity, mapping = before[b"UIDVALIDITY"], {}
            for source, message_id in ids.items():
                found = self.search(target, ["UID", f"{before[b'UIDNEXT']}:*", "HEADER", "Message-ID", message_id])
                if found:
                    mapping[source] = max(found)
        return Moved(uidvalidity, {new: ids.get(old, "") for old, new in mapping.items()})

    def message_ids(self, folder: str, uids: list[int]) -> dict[int, str]:
        """Each message's Message-ID ("" when it has none), in one FETCH."""
        self._select(folder)
        item = b"BODY[HEADER.FIELDS (MESSAGE-ID)]"
        data = self._client.fetch(uids, [b"BODY.PEEK[HEADER.FIELDS (MESSAGE-ID)]"])
        found = {}
        for uid, values in data.items():
            header = _text(values.get(item, b"")).partition(":")[2]
            found[uid] = " ".join(header.split())
        return found

    def flags_of(self, folder: str, uids: list[int]) -> tuple[int, dict[int, frozenset[str]]]:
        """The folder's UIDVALIDITY and each message's flags, in one FETCH."""
        info = self._select(folder)
        data = self._client.fetch(uids, [b"FLAGS"])
        flags = {uid: frozenset(_text(f) for f in values.get(b"FLAGS", ())) for uid, values in data.items()}
        return int(info[b"UIDVALIDITY"]), flags

    def find_moved(self, folder: str, moved: Moved) -> list[int]:
        """The messages of `moved` still in `folder`. By UID while the folder keeps its UIDVALIDITY
        (a UID is never reused then); if the server renumbered the folder, by Message-ID."""
        info = self._select(folder)
        if not moved.uids:
            return []
        if int(info[b"UIDVALIDITY"]) == moved.uidvalidity:
            return sorted(self._client.search(["UID", join_message_ids(list(moved.uids))]))
        found: set[int] = set()
        for message_id in {m for m in moved.uids.values() if m}:
            found.update(self.search(folder, ["HEADER", "Message-ID", message_id]))
        return sorted(found)

    def delete_permanently(self, folder: str, uids: list[int]) -> None:
        self._select(folder)
        self._client.delete_messages(uids, silent=True)
        self._client.uid_expunge(uids)
        self._selected_info = None  # EXPUNGEs came: the kept count is stale (see _page_in_one_burst)

    def append(
        self, folder: str, raw: bytes, flags: tuple[str, ...] = (), when: datetime | None = None
    ) -> int | None:
        """Store a message; returns its UID when the server says (UIDPLUS)."""
        response = self._client.append(folder, raw, flags=[f.encode() for f in flags], msg_time=when)
        self._selected = None
        text = response.decode(errors="replace") if isinstance(response, bytes) else str(response)
        if "APPENDUID" in text:
            try:
                return int(text.split("APPENDUID", 1)[1].split("]")[0].split()[1])
            except (IndexError, ValueError):
                return None
        return None

    def search(self, folder: str, criteria: list) -> list[int]:
        self._select(folder, readonly=True)
        return list(self._client.search(criteria, charset="UTF-8"))

    def search_newest(self, folder: str, count: int, criteria: list) -> list[int]:
        """`search` among the folder's `count` newest messages only (a sequence range): the
        server's work stays that of `count` messages, however large the folder."""
        info = self._select(folder, readonly=True)
        exists = int(info.get(b"EXISTS", 0))
        if not exists:
            return []
        return list(self._client.search([f"{max(1, exists - count + 1)}:*", *criteria], charset="UTF-8"))

    def search_header(self, folder: str, header: str, value: str) -> list[int]:
        return self.search(folder, ["HEADER", header, value])

    # Reading (added for the mailbox app) -----------------------------------------------------
    def folder_names(self) -> dict[str, str | None]:
        """Selectable folders and their special use, from one LIST (no STATUS per folder)."""
        names: dict[str, str | None] = {}
        for flags, _delimiter, name in self._client.list_folders():
            flag_names = {f.decode() if isinstance(f, bytes) else f for f in flags}
            if "\\Noselect" in flag_names or "\\NonExistent" in flag_names:
                continue
            names["INBOX" if name.upper() == "INBOX" else name] = next(
                (use for use in SPECIAL_USES if use in flag_names), None
            )
        return names

    def fetch_message(self, folder: str, uid: int, mark_seen: bool = False) -> RawMessage | None:
        """One message with its flags and the folder's UIDVALIDITY, in one FETCH.

        BODY[] (not PEEK) sets \\Seen on the server as a side effect of reading, as asked.
        """
        info = self._select(folder, readonly=not mark_seen)
        item = b"BODY[]" if mark_seen else b"BODY.PEEK[]"
        data = self._client.fetch([uid], [b"FLAGS", b"INTERNALDATE", _SUMMARY_ITEM, item])
        values = data.get(uid)
        if values is None or b"BODY[]" not in values:
            return None
        flags = {f.decode() if isinstance(f, bytes) else f for f in values.get(b"FLAGS", ())}
        if mark_seen:
            flags.add("\\Seen")  # FLAGS may be reported before the fetch set it
        subject, date = subject_and_date(_summary_fields(values), values.get(b"INTERNALDATE"))
        return RawMessage(
            folder=folder,
            uid=uid,
            uidvalidity=int(info.get(b"UIDVALIDITY", 0)),
            flags=frozenset(flags),
            raw=values[b"BODY[]"],
            subject=subject,
            date=date,
        )

    def open_message(
        self, folder: str, uid: int, *, mark_seen: bool, have_body: Callable[[int], bool], with_folders: bool
    ) -> tuple[RawMessage | None, list[Folder] | None]:
        """The reading pane's one round trip: a message's flags (and its bytes unless the caller has
        them), and the folder list with counts.

        When this pooled connection has the folder selected, the NOOP it owes, the UID FETCH and
        the LIST-STATUS leave in one burst (TCP_NODELAY: one round trip at a distance). A UID FETCH
        names the same message whatever the NOOP reports, so it need not wait for it. Should the
        NOOP fail (a connection the server dropped while pooled), nothing else ran: the same is
        asked again on a fresh connection.

        `have_body(uidvalidity)`: the caller already holds this message's bytes (a message's
        bytes never change for a UID under one UIDVALIDITY); then only FLAGS are fetched, plus, to
        mark it read, its Subject/Date lines without PEEK (any BODY[...] fetch sets \\Seen).
        The RawMessage then has `raw=None`. Flags always come from this FETCH.
        """
        imap = self._conn._imap
        guarded = self._owes_noop and self._selected is not None and self._selected[0] == folder
        guarded = guarded and self._selected_info is not None
        info = self._selected_info if guarded else self._select(folder, readonly=not mark_seen)
        uidvalidity = int(info.get(b"UIDVALIDITY", 0))
        cached = have_body(uidvalidity)
        items = [b"FLAGS"]
        if not cached:
            items += [b"INTERNALDATE", _SUMMARY_ITEM, b"BODY[]" if mark_seen else b"BODY.PEEK[]"]
        elif mark_seen:
            items.append(_SEEN_ITEM)
        try:
            if guarded:
                self._owes_noop = False
                noop_tag = imap._command("NOOP")
            fetch_tag = imap._command("UID", "FETCH", str(uid), seq_to_parenstr_upper(items))
            list_tag = self._send_list_status() if with_folders else None
            if guarded:
                imap._command_complete("NOOP", noop_tag)
        except (TimeoutError, OSError, imaplib.IMAP4.abort):
            if not guarded:
                raise
            self._replace()  # dropped while pooled: nothing ran; the same again on a new connection
            return self.open_message(folder, uid, mark_seen=mark_seen, have_body=have_body, with_folders=with_folders)
        if guarded:
            self._absorb_news()
        typ, data = imap._command_complete("FETCH", fetch_tag)
        self._conn._checkok("fetch", typ, data)
        _typ, data = imap._untagged_response(typ, data, "FETCH")
        values = parse_fetch(data, True).get(uid)
        listed = self._read_list_status(list_tag) if list_tag else None
        folders = self._folders(listed) if with_folders else None
        if values is None or (not cached and b"BODY[]" not in values):
            return None, folders
        flags = {f.decode() if isinstance(f, bytes) else f for f in values.get(b"FLAGS", ())}
        if mark_seen:
            flags.add("\\Seen")  # FLAGS may be reported before the fetch set it
        subject, date = "", None
        if not cached:
            subject, date = subject_and_date(_summary_fields(values), values.get(b"INTERNALDATE"))
        raw = RawMessage(folder, uid, uidvalidity, frozenset(flags), None if cached else values[b"BODY[]"],
                         subject, date)
        return raw, folders

    def _absorb_news(self) -> None:
        """What a NOOP sent in a burst reported about the selected folder, as `_select` reads it."""
        pending = self._conn._imap.untagged_responses
        if "EXPUNGE" in pending:
            self._selected = None  # sequence numbers moved: the next page selects afresh
            return
        counts = pending.pop("EXISTS", None)
        if counts and self._selected_info is not None:
            self._selected_info[b"EXISTS"] = int(counts[-1])

    def fetch_ahead(self, folder: str, uids: list[int], wanted: Callable[[int, int], bool]) -> list[RawMessage]:
        """Bytes, Subject/Date and arrival time of the messages `wanted(uidvalidity, uid)` says are
        worth fetching, in one UID FETCH with BODY.PEEK only: fetching ahead never marks anything
        read. No FLAGS: flags are never taken from what is fetched ahead."""
        info = self._select(folder, readonly=True)
        uidvalidity = int(info.get(b"UIDVALIDITY", 0))
        uids = [uid for uid in uids if wanted(uidvalidity, uid)]
        if not uids:
            return []
        data, _listed = self._fetch(
            ["UID", "FETCH", join_message_ids(uids), f"(INTERNALDATE {_SUMMARY_ITEM.decode()} BODY.PEEK[])"],
            True,
            False,
        )
        found = []
        for uid, values in data.items():
            if uid in uids and b"BODY[]" in values:
                subject, date = subject_and_date(_summary_fields(values), values.get(b"INTERNALDATE"))
                found.append(RawMessage(folder, uid, uidvalidity, frozenset(), values[b"BODY[]"], subject, date))
        return found

    def mark_seen_unanswered(self, folder: str, uidvalidity: int, uid: int) -> bool:
        """Mark a message read without waiting for the server's answer: for a message page shown
        from what the process holds (`reading.read_for_page`), so that it costs no round trip.

        The STORE (behind the NOOP a pooled connection owes) leaves now, before the page is
        rendered; its answer is read when the connection is next taken from the pool, or by the
        pool's reaper within a second (`settle`). Should the connection turn out dead then, the
        STORE is sent again on a new one. Only when this connection has `folder` selected under
        `uidvalidity` (else False, nothing sent); the last command of a request.
        """
        info = self._selected_info
        if self._selected is None or self._selected[0] != folder or info is None:
            return False
        if int(info.get(b"UIDVALIDITY", 0)) != uidvalidity:
            return False
        imap = self._conn._imap
        self._redo.append(lambda mailbox: mailbox.set_flag(folder, [uid], "\\Seen", True))
        try:
            if self._owes_noop:
                self._owes_noop = False
                self._unanswered.append(("NOOP", imap._command("NOOP")))
            self._unanswered.append(("STORE", imap._command("UID", "STORE", str(uid), "+FLAGS.SILENT", r"(\Seen)")))
        except (TimeoutError, OSError, imaplib.IMAP4.abort):
            self._replace()  # dropped while pooled: the STORE is done on a new connection, waiting
        return True

    def settle(self) -> None:
        """Read the answers to the commands sent without waiting (`mark_seen_unanswered`); if the
        connection died before answering, they are done again on a new one (`_replace`)."""
        if not self._unanswered:
            return
        imap = self._conn._imap
        try:
            for name, tag in self._unanswered:
                typ, data = imap._command_complete(name, tag)
                if typ != "OK":
                    logger.warning("the server refused %s: %s", name, data)
        except (TimeoutError, OSError, imaplib.IMAP4.abort):
            self._replace()
            return
        except imaplib.IMAP4.error as exc:  # BAD: a server bug; a message left unread is no loss
            logger.warning("the server refused a command sent without waiting: %s", exc)
        self._unanswered, self._redo = [], []

    def shown_rows(self, folder: str) -> list[Envelope]:
        """The list rows this connection showed for `folder` since selecting it, newest first (no
        IMAP: what the reader just saw, to find the messages around the one being read)."""
        if self._selected is None or self._selected[0] != folder:
            return []
        rows = {e.uid: e for page in self._shown.values() for e in page}
        return sorted(rows.values(), key=lambda e: e.uid, reverse=True)

    def fetch_dates(self, folder: str, uids: list[int]) -> dict[int, datetime]:
        """INTERNALDATE of each message (to merge search results across folders by date)."""
        self._select(folder, readonly=True)
        if not uids:
            return {}
        data, _listed = self._fetch(["UID", "FETCH", join_message_ids(uids), "(INTERNALDATE)"], True, False)
        return {uid: values[b"INTERNALDATE"] for uid, values in data.items() if b"INTERNALDATE" in values}

    def append_many(self, folder: str, raws: list[bytes], flags: tuple[str, ...] = ()) -> None:
        """Store many messages in one command (MULTIAPPEND) or, without it, one connection."""
        if not raws:
            return
        self._selected = None
        if self._client.has_capability("MULTIAPPEND"):
            encoded = [f.encode() for f in flags]
            self._client.multiappend(folder, [{"msg": raw, "flags": encoded} for raw in raws])
        else:
            for raw in raws:
                self.append(folder, raw, flags)

    def noop(self) -> None:
        """Raises if the server dropped the connection. What it reports about the selected folder
        (new or expunged mail) stays pending, so the next `_select` needs no NOOP of its own."""
        self._client.noop()
        self._just_checked = True

    def logout(self) -> None:
        try:
            self._conn.logout()
        except (OSError, IMAPClientError, imaplib.IMAP4.error):
            pass

    def close(self) -> None:
        """Close the connection without waiting for the server's goodbye (LOGOUT costs a round
        trip): for connections dropped on a request's path."""
        try:
            self._conn.shutdown()
        except (OSError, IMAPClientError, imaplib.IMAP4.error):
            pass


# The Subject and Date lines as the server reads the header: the list and the pane show both from
# these same bytes (see `parse.subject_and_date`).
_SUMMARY_ITEM = f"BODY.PEEK[{SUMMARY_FIELDS}]".encode()
# The list asks for the References line too: the conversations are grouped from it.
_LIST_ITEM = f"BODY.PEEK[{LIST_FIELDS}]".encode()
# The same lines without PEEK: marks a message read whose bytes the caller already has.
_SEEN_ITEM = f"BODY[{SUMMARY_FIELDS}]".encode()


def _summary_fields(values: dict) -> bytes | None:
    # Answered as BODY[HEADER.FIELDS (...)], the field names possibly spelled otherwise by the server.
    return next((v for k, v in values.items() if k.startswith(b"BODY[HEADER.FIELDS")), None)


def _flag_fields(flags) -> dict[str, bool]:
    """The Envelope fields that come from a message's FLAGS."""
    return {"seen": b"\\Seen" in flags, "flagged": b"\\Flagged" in flags, "answered": b"\\Answered" in flags}


def _cheap_preview(text: bytes) -> str:
    # Without PREVIEW we read only the first few hundred bytes of the body: good enough for plain
    # text, and never the whole message. MIME boundaries and headers are skipped.
    lines = []
    for line in text.decode("utf-8", "replace").splitlines():
        if line.startswith("--") or ":" in line[:30] and not lines:
            continue
        lines.append(line)
    return " ".join(lines)


# How long a request waits for its account's connection to come back from a fetch ahead.
LENT_WAIT_SECONDS = 2.0


class PoolExhausted(ServerUnreachable):
    """This account already has as many connections open in this process as it may."""


class _Pool:
    """Signed-in connections, per process, keyed by account and password.

    Bounded: at most `IMAP_CONNECTIONS_PER_ACCOUNT` open per account in this process, idle or in
    use (a request beyond it waits for one to come back, up to MAIL_TIMEOUT), and at most
    `IMAP_POOL_MAX_IDLE` idle in the process for all accounts together (least recently used closed). With W web
    processes an account holds at most W × that many connections, which must stay under the
    server's per-user limit (Dovecot's `mail_max_userip_connections`, 10): the defaults, 3
    processes × 3, give 9. Idle connections are closed by a reaper thread once idle for
    `IMAP_POOL_IDLE_SECONDS`, not only when the next request finds them stale.
    """

    def __init__(self) -> None:
        self._idle: dict[str, list[Mailbox]] = {}
        self._open: dict[str, int] = {}  # connections open per account, idle or in use
        self._lent: dict[str, int] = {}  # of which lent to fetching ahead (`take(wait=False)`)
        self._lock = threading.Condition()
        self._reaper_pid: int | None = None
        self.housekeeping: list[Callable[[], None]] = []  # also run by the reaper (the message cache's expiry)

    @staticmethod
    def key(email: str, password: str) -> str:
        return hashlib.sha256(f"{email}\0{password}".encode()).hexdigest()

    def take(self, key: str, *, wait: bool = True) -> Mailbox | None:
        """An idle connection (it owes a NOOP), or None: the caller may open a new one, its slot
        counted already. Without `wait`, only an idle connection: raises PoolExhausted rather
        than open one (fetching ahead never adds a connection)."""
        self._ensure_reaper()
        deadline = time.monotonic() + settings.MAIL_TIMEOUT
        lent_deadline = time.monotonic() + LENT_WAIT_SECONDS
        stale = []
        try:
            with self._lock:
                while True:
                    candidates = self._idle.get(key, [])
                    while candidates:
                        mailbox = candidates.pop()
                        if time.monotonic() - mailbox.last_used < settings.IMAP_POOL_IDLE_SECONDS:
                            mailbox._owes_noop = True
                            if not wait:
                                mailbox._lent = True
                                self._lent[key] = self._lent.get(key, 0) + 1
                            return mailbox
                        stale.append(mailbox)
                        self._open[key] -= 1
                    if not wait:
                        raise PoolExhausted(key)
                    # A connection lent to a fetch ahead comes back within one FETCH: worth waiting
                    # for rather than signing in (and selecting the folder) on a new one.
                    lent_wait = lent_deadline - time.monotonic()
                    if self._lent.get(key, 0) and lent_wait > 0:
                        self._lock.wait(lent_wait)
                        continue
                    if self._open.get(key, 0) < settings.IMAP_CONNECTIONS_PER_ACCOUNT:
                        self._open[key] = self._open.get(key, 0) + 1
                        return None
                    left = deadline - time.monotonic()
                    if left <= 0:
                        raise PoolExhausted("too many connections for this account")
                    self._lock.wait(left)
        finally:
            for mailbox in stale:
                mailbox.close()

    def give_back(self, key: str, mailbox: Mailbox) -> None:
        mailbox.last_used = time.monotonic()
        if not mailbox._unanswered:
            mailbox._reconnect = None  # the password goes with the request (or once `settle`d)
        with self._lock:
            self._unlend(key, mailbox)
            self._idle.setdefault(key, []).append(mailbox)
            # Many accounts: the process keeps IMAP_POOL_MAX_IDLE idle connections at most, the
            # least recently used are closed (the server's process limit is shared by all users).
            oldest = self._oldest_beyond(settings.IMAP_POOL_MAX_IDLE)
            self._lock.notify_all()
        for stale in oldest:
            stale.close()

    def _oldest_beyond(self, limit: int) -> list[Mailbox]:
        idle = sorted((m.last_used, k, m) for k, bucket in self._idle.items() for m in bucket)
        closed = []
        for _used, key, mailbox in idle[: max(0, len(idle) - limit)]:
            self._idle[key].remove(mailbox)
            self._open[key] -= 1
            closed.append(mailbox)
        return closed

    def discard(self, key: str, mailbox: Mailbox | None) -> None:
        """A connection that failed, or a slot whose connection could not be opened."""
        if mailbox is not None:
            mailbox.logout()
        with self._lock:
            if mailbox is not None:
                self._unlend(key, mailbox)
            self._open[key] = self._open.get(key, 1) - 1
            self._lock.notify_all()

    def _unlend(self, key: str, mailbox: Mailbox) -> None:
        if getattr(mailbox, "_lent", False):
            mailbox._lent = False
            self._lent[key] -= 1

    def held(self, key: str | None = None) -> int:
        """Connections open (idle or in use): for one account, or all of them."""
        with self._lock:
            return self._open.get(key, 0) if key else sum(self._open.values())

    def reap(self) -> None:
        """Close the connections idle for longer than IMAP_POOL_IDLE_SECONDS; settle the idle ones
        with commands unanswered (`Mailbox.settle`)."""
        now, expired = time.monotonic(), []
        with self._lock:
            unsettled = self._take_unsettled()
            for key, bucket in self._idle.items():
                gone = [m for m in bucket if now - m.last_used >= settings.IMAP_POOL_IDLE_SECONDS]
                bucket[:] = [m for m in bucket if m not in gone]
                self._open[key] -= len(gone)
                expired += gone
            self._lock.notify_all()
        for mailbox in expired:
            mailbox.logout()
        self._settle(unsettled)

    def settle_idle(self) -> None:
        """Settle the idle connections now (what the reaper does within a second; for tests)."""
        with self._lock:
            unsettled = self._take_unsettled()
        self._settle(unsettled)

    def _take_unsettled(self) -> list[tuple[str, Mailbox]]:
        """The idle connections with commands unanswered, out of the idle lists (under the lock)."""
        unsettled = [(key, m) for key, bucket in self._idle.items() for m in bucket if m._unanswered]
        for key, mailbox in unsettled:
            self._idle[key].remove(mailbox)
        return unsettled

    def _settle(self, unsettled: list[tuple[str, Mailbox]]) -> None:
        for key, mailbox in unsettled:
            try:
                mailbox.settle()
            except Exception:  # noqa: BLE001 - e.g. the server down when signing in again
                logger.warning("a message could not be marked read: its connection was lost")
                self.discard(key, None)
                mailbox.close()
                continue
            self.give_back(key, mailbox)

    def _ensure_reaper(self) -> None:
        # One thread per process, started on first use (after gunicorn forked its workers).
        if self._reaper_pid == os.getpid():
            return
        with self._lock:
            if self._reaper_pid == os.getpid():
                return
            self._reaper_pid = os.getpid()
        threading.Thread(target=self._reaper, name="imap-pool-reaper", daemon=True).start()

    def _reaper(self) -> None:
        while True:
            # A quarter of the idle limit, a second at most: a connection is closed within a
            # second of its time (reap() is a look at a few lists under a lock).
            time.sleep(min(1.0, max(0.05, settings.IMAP_POOL_IDLE_SECONDS / 4)))
            try:
                self.reap()
                for job in self.housekeeping:
                    job()
            except Exception:  # noqa: BLE001 - the reaper must outlive any one failure
                continue

    def clear(self) -> None:
        with self._lock:
            idle = [mailbox for bucket in self._idle.values() for mailbox in bucket]
            for key, bucket in self._idle.items():
                self._open[key] = self._open.get(key, 0) - len(bucket)
            self._idle.clear()
            self._open = {key: count for key, count in self._open.items() if count > 0}
            self._lock.notify_all()
        for mailbox in idle:
            mailbox.logout()


pool = _Pool()


@contextmanager
def mailbox_for(email: str, password: str, *, wait: bool = True) -> Iterator[Mailbox]:
    """A signed-in Mailbox from the pool (or a new connection), returned to the pool after use.

    A pooled connection owes a NOOP (the server may have dropped it: a crash, an idle timeout, an
    admin kicking users): sent with the first command (`Mailbox.open_message`) or before it, and
    a dead connection is replaced transparently (`Mailbox._check`). That NOOP is the one the kept
    selection needs anyway (`Mailbox._select`). A connection that fails during use is discarded.
    Without `wait` (fetching ahead), only an idle connection is used: PoolExhausted otherwise.
    """
    key = pool.key(email, password)
    config = ServerConfig.imap()
    mailbox = pool.take(key, wait=wait)
    if mailbox is None:
        try:
            mailbox = Mailbox(_connect(email, password, config))
        except BaseException:
            pool.discard(key, None)
            raise
    mailbox._reconnect = lambda: _connect(email, password, config)
    try:
        mailbox.settle()
    except BaseException as exc:
        pool.discard(key, mailbox)
        if isinstance(exc, OSError | IMAPClientError | imaplib.IMAP4.error):
            raise _translate_errors(exc) from exc
        raise
    try:
        yield mailbox
    except (OSError, IMAPClientError, imaplib.IMAP4.error) as exc:
        pool.discard(key, mailbox)
        raise _translate_errors(exc) from exc
    except BaseException:
        pool.discard(key, mailbox)
        raise
    else:
        pool.give_back(key, mailbox)
