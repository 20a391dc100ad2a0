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
import ssl
import threading
import time
from collections.abc import Iterator
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
from webmail.mailbox.parse import SUMMARY_FIELDS, subject_and_date

SPECIAL_USES = ("\\Drafts", "\\Sent", "\\Archive", "\\Junk", "\\Trash")


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
    raw: bytes
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
        self._client = client
        self._selected: tuple[str, bool] | None = None
        self._selected_info: dict | None = None
        self.last_used = time.monotonic()
        # Pages of the selected folder fetched since its SELECT, by sequence range (see `_page`).
        self._shown: dict[tuple[int, int], list[Envelope]] = {}
        self._just_checked = False  # a NOOP was sent on taking this connection from the pool

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
        info = self._select(folder, readonly=True)
        total = int(info.get(b"EXISTS", 0))
        uidvalidity = int(info.get(b"UIDVALIDITY", 0))
        high = total - (number - 1) * per_page
        low = max(1, high - per_page + 1)
        if high < 1:
            return Page(folder, uidvalidity, total, number, per_page, []), self.folders() if with_folders else None
        envelopes, listed = None, None
        if (low, high) in self._shown:
            envelopes, listed = self._refresh_flags(low, high, with_folders)
        if envelopes is None:  # not shown since the last SELECT (or, defensively, a row went missing)
            which = list(range(low, high + 1))
            envelopes, fetched = self._fetch_envelopes(which, by_uid=False, with_folders=with_folders and not listed)
            listed = listed or fetched
            self._remember(low, high, envelopes)
        envelopes.sort(key=lambda e: e.uid, reverse=True)
        folders = self._folders(listed) if with_folders else None
        return Page(folder, uidvalidity, total, number, per_page, envelopes), folders

    def _refresh_flags(self, low: int, high: int, with_folders: bool):
        """The rows shown for sequence numbers low..high with their flags fetched afresh (None if
        the server names another message), and the LIST-STATUS answer when asked."""
        answers, listed = self._fetch(["FETCH", f"{low}:{high}", "(UID FLAGS)"], False, with_folders)
        shown = {e.uid: e for e in self._shown[(low, high)]}
        rows = []
        for number, values in answers.items():
            if not low <= number <= high or b"FLAGS" not in values:
                continue  # an unsolicited answer about another message
            if values.get(b"UID") not in shown:
                return None, listed
            rows.append(replace(shown[values[b"UID"]], **_flag_fields(values[b"FLAGS"])))
        return (rows if len(rows) == len(shown) else None), listed

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
        items = [b"UID", b"FLAGS", b"ENVELOPE", b"INTERNALDATE", b"RFC822.SIZE", b"BODYSTRUCTURE", _SUMMARY_ITEM]
        preview = self._client.has_capability("PREVIEW") or self._client.has_capability("PREVIEW=FUZZY")
        items.append(b"PREVIEW" if preview else b"BODY.PEEK[TEXT]<0.300>")
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
        subject, date = subject_and_date(_summary_fields(values), values.get(b"INTERNALDATE"))
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

    def move(self, folder: str, uids: list[int], target: str) -> None:
        self._select(folder)
        self._client.move(uids, target)

    def delete_permanently(self, folder: str, uids: list[int]) -> None:
        self._select(folder)
        self._client.delete_messages(uids, silent=True)
        self._client.uid_expunge(uids)

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
            self._client.logout()
        except (OSError, IMAPClientError, imaplib.IMAP4.error):
            pass


# The Subject and Date lines as the server reads the header: the list and the pane show both from
# these same bytes (see `parse.subject_and_date`).
_SUMMARY_ITEM = f"BODY.PEEK[{SUMMARY_FIELDS}]".encode()


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


class _Pool:
    """Idle signed-in connections, per process, keyed by account and password."""

    def __init__(self) -> None:
        self._idle: dict[str, list[Mailbox]] = {}
        self._lock = threading.Lock()

    @staticmethod
    def key(email: str, password: str) -> str:
        return hashlib.sha256(f"{email}\0{password}".encode()).hexdigest()

    def take(self, key: str) -> Mailbox | None:
        with self._lock:
            candidates = self._idle.get(key, [])
            while candidates:
                mailbox = candidates.pop()
                idle = time.monotonic() - mailbox.last_used
                if idle < settings.IMAP_POOL_IDLE_SECONDS:
                    return mailbox
                mailbox.logout()
        return None

    def give_back(self, key: str, mailbox: Mailbox) -> None:
        mailbox.last_used = time.monotonic()
        with self._lock:
            bucket = self._idle.setdefault(key, [])
            if len(bucket) < 2:
                bucket.append(mailbox)
                return
        mailbox.logout()

    def clear(self) -> None:
        with self._lock:
            for bucket in self._idle.values():
                for mailbox in bucket:
                    mailbox.logout()
            self._idle.clear()


pool = _Pool()


@contextmanager
def mailbox_for(email: str, password: str) -> Iterator[Mailbox]:
    """A signed-in Mailbox from the pool (or a new connection), returned to the pool after use.

    A pooled connection is checked with NOOP first (the server may have dropped it: a crash, an
    idle timeout, an admin kicking users) and replaced transparently if it is gone; the NOOP is
    the one the kept selection needs anyway (`Mailbox._select`). A connection that fails during
    use is discarded.
    """
    key = pool.key(email, password)
    mailbox = pool.take(key)
    if mailbox is not None:
        try:
            mailbox.noop()
        except (TimeoutError, OSError, IMAPClientError, imaplib.IMAP4.error):
            mailbox.logout()
            mailbox = None
    if mailbox is None:
        mailbox = Mailbox(_connect(email, password, ServerConfig.imap()))
    try:
        yield mailbox
    except (OSError, IMAPClientError, imaplib.IMAP4.error) as exc:
        mailbox.logout()
        raise _translate_errors(exc) from exc
    except BaseException:
        mailbox.logout()
        raise
    else:
        pool.give_back(key, mailbox)
