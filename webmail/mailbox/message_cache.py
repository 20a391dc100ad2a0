"""Opened messages, kept parsed and sanitised: fetched once, parsed once, sanitised once per
(account, folder, UIDVALIDITY, UID).

A message's bytes never change for a UID while the folder keeps its UIDVALIDITY (RFC 3501
§2.3.1.1), so what was made of them (the parse, the sanitised HTML) can be kept. Flags can
change at any moment: they are never kept with a message.

Where it lives: in the memory of the web process that fetched the message (a plain dictionary
behind a lock). Never written to disk or Redis, never sent to another process, so mail is not
copied into a store that outlives the process or that other programs read. Per account: an
entry is found only under the account's key (a hash of the address and password, as the IMAP
pool's), so another user, or anyone without the password, cannot reach it.

Bounded: `MESSAGE_CACHE_MB` for the process, an eighth of that and at most
`ACCOUNT_MESSAGES` entries per account (least recently used go first); each entry lives
`MESSAGE_CACHE_SECONDS` at most, and the IMAP pool's reaper thread drops expired ones on time.
Dropped on sign-out in the process that serves it (`drop_account`); the other web processes
keep theirs until they expire, unreachable meanwhile since the session that could ask for it is
gone. A folder seen with another UIDVALIDITY drops the folder's entries (`note_uidvalidity`).

Beside the messages, the last list page each account was shown (`Listed`): the flags of its rows
and the folder counts, as the server reported them for that page. A message page opened from it
soon after shows those (`reading.read_for_page`) instead of asking again; one per account.
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any

from django.conf import settings

from webmail.mailbox.parse import ParsedMessage

ACCOUNT_MESSAGES = 64
# The body frame is served from the cache without asking the server only this long after the
# message page was shown from the same entry (the frame is requested right after the page).
FRAME_SECONDS = 30
# A message page takes its flags from the list page the reader saw at most this long after that
# page fetched them (and never across a change the reader made since: `reading.read_for_page`).
LISTED_SECONDS = 60


@dataclass
class Entry:
    account: str
    folder: str
    uidvalidity: int
    uid: int
    raw: bytes
    subject: str
    date: datetime | None
    parsed: ParsedMessage
    expires: float
    size: int = 0
    shown_at: float = 0.0  # when the message page last used this entry
    # image salt (one per session) → (time.monotonic(), whether that page trusted the sender):
    # the body frame that follows shows remote images as the page's bar said it would.
    trust_shown: dict[str, tuple[float, bool]] = field(default_factory=dict)
    # What was made of the message, by what it depends on: ("html", allow_remote, image_salt)
    # → SanitizedHtml, ("frame-text",) → HTML of the plain text, ("text", language) → the pane's.
    renders: dict[tuple, Any] = field(default_factory=dict)


@dataclass
class Listed:
    """A list page as the server reported it at `at` (time.time(), comparable across processes):
    the flags of its rows and the folder list with its counts."""

    folder: str
    uidvalidity: int
    flags: dict[int, frozenset[str]]
    folders: list  # gateway.Folder
    at: float

    def seen(self, uid: int) -> None:
        """The message was marked read since: its flags and its folder's unread count say so."""
        if "\\Seen" in self.flags[uid]:
            return
        self.flags[uid] = self.flags[uid] | {"\\Seen"}
        self.folders = [replace(f, unseen=max(0, f.unseen - 1)) if f.name == self.folder else f
                        for f in self.folders]


def _size_of(value) -> int:
    if isinstance(value, bytes | str):
        return len(value)
    html = getattr(value, "html", None)
    return len(html) if isinstance(html, str) else 64


class MessageCache:
    def __init__(self) -> None:
        self._entries: OrderedDict[tuple, Entry] = OrderedDict()  # least recently used first
        self._bytes = 0
        self._accounts: dict[str, list[int]] = {}  # account → [entries, bytes]
        self._uidvalidity: dict[tuple[str, str], int] = {}  # (account, folder) → last seen
        self._listed: dict[str, Listed] = {}  # account → the last list page it was shown
        self._lock = threading.Lock()

    # Limits, read each time so that a deployment (or a test) can change them.
    @staticmethod
    def max_bytes() -> int:
        return settings.MESSAGE_CACHE_MB * 1024 * 1024

    def get(self, account: str, folder: str, uidvalidity: int, uid: int) -> Entry | None:
        key = (account, folder, uidvalidity, uid)
        with self._lock:
            entry = self._entries.get(key)
            if entry is None:
                return None
            if entry.expires <= time.monotonic():
                self._remove(key)
                return None
            self._entries.move_to_end(key)
            return entry

    def for_frame(self, account: str, folder: str, uid: int) -> Entry | None:
        """The entry the message page has just shown (FRAME_SECONDS ago at most) under the
        folder's latest UIDVALIDITY: the body frame needs no IMAP then."""
        with self._lock:
            uidvalidity = self._uidvalidity.get((account, folder))
        entry = self.get(account, folder, uidvalidity, uid) if uidvalidity is not None else None
        if entry is None or time.monotonic() - entry.shown_at > FRAME_SECONDS:
            return None
        return entry

    def has(self, account: str, folder: str, uidvalidity: int, uid: int) -> bool:
        return self.get(account, folder, uidvalidity, uid) is not None

    def put(self, entry: Entry) -> Entry:
        """Keep `entry` (or return the one already kept for the same message)."""
        entry.size = len(entry.raw) + len(entry.parsed.text or "") + len(entry.parsed.html or "")
        account_max = self.max_bytes() // 8
        if entry.size > account_max:
            return entry  # too big to keep: served, not kept
        self.note_uidvalidity(entry.account, entry.folder, entry.uidvalidity)
        key = (entry.account, entry.folder, entry.uidvalidity, entry.uid)
        with self._lock:
            if key in self._entries:
                return self._entries[key]
            self._entries[key] = entry
            self._count(entry, 1)
            self._evict(entry.account, account_max)
        return entry

    def render(self, entry: Entry, what: tuple, make: Callable[[], Any]) -> Any:
        """What `make()` makes of the entry, made once (a sanitised body, the text as HTML)."""
        found = entry.renders.get(what)
        if found is None:
            found = make()
            with self._lock:
                if what not in entry.renders:
                    entry.renders[what] = found
                    grown = _size_of(found)
                    entry.size += grown
                    if (entry.account, entry.folder, entry.uidvalidity, entry.uid) in self._entries:
                        self._bytes += grown
                        self._accounts[entry.account][1] += grown
                        self._evict(entry.account, self.max_bytes() // 8)
        return found

    def note_listed(self, account: str, listed: Listed) -> None:
        with self._lock:
            self._listed[account] = listed

    def listed(self, account: str, folder: str, uid: int, not_before: float) -> Listed | None:
        """The list page that showed `uid` in `folder`, if fetched after `not_before` and at most
        LISTED_SECONDS ago."""
        with self._lock:
            listed = self._listed.get(account)
        if listed is None or listed.folder != folder or uid not in listed.flags:
            return None
        if listed.at <= not_before or time.time() - listed.at > LISTED_SECONDS:
            return None
        return listed

    def note_uidvalidity(self, account: str, folder: str, uidvalidity: int) -> None:
        """The server gave the folder this UIDVALIDITY: entries under another one are worthless."""
        with self._lock:
            if self._uidvalidity.get((account, folder)) == uidvalidity:
                return
            self._uidvalidity[(account, folder)] = uidvalidity
            for key in [k for k in self._entries if k[0] == account and k[1] == folder and k[2] != uidvalidity]:
                self._remove(key)

    def drop_account(self, account: str) -> None:
        with self._lock:
            for key in [k for k in self._entries if k[0] == account]:
                self._remove(key)
            for known in [k for k in self._uidvalidity if k[0] == account]:
                del self._uidvalidity[known]
            self._listed.pop(account, None)

    def purge_expired(self) -> None:
        now = time.monotonic()
        with self._lock:
            for key in [k for k, entry in self._entries.items() if entry.expires <= now]:
                self._remove(key)

    def clear(self) -> None:
        with self._lock:
            self._listed.clear()
        self.forget_messages()

    def forget_messages(self) -> None:
        """Drop every kept message, not the list pages (benchmarks: a message opened for the first time)."""
        with self._lock:
            self._entries.clear()
            self._accounts.clear()
            self._uidvalidity.clear()
            self._bytes = 0

    def stats(self) -> tuple[int, int]:
        """(entries, bytes) kept in this process."""
        with self._lock:
            return len(self._entries), self._bytes

    # Under the lock ----------------------------------------------------------------------
    def _count(self, entry: Entry, sign: int) -> None:
        counts = self._accounts.setdefault(entry.account, [0, 0])
        counts[0] += sign
        counts[1] += sign * entry.size
        self._bytes += sign * entry.size
        if counts[0] <= 0:
            del self._accounts[entry.account]

    def _remove(self, key: tuple) -> None:
        self._count(self._entries.pop(key), -1)

    def _evict(self, account: str, account_max: int) -> None:
        counts = self._accounts.get(account)
        while counts and (counts[0] > ACCOUNT_MESSAGES or counts[1] > account_max):
            self._remove(next(k for k in self._entries if k[0] == account))
            counts = self._accounts.get(account)
        while self._bytes > self.max_bytes() and self._entries:
            self._remove(next(iter(self._entries)))


cache = MessageCache()


def new_entry(account: str, folder: str, uidvalidity: int, uid: int, raw: bytes, subject: str,
              date: datetime | None, parsed: ParsedMessage) -> Entry:
    return Entry(account, folder, uidvalidity, uid, raw, subject, date, parsed,
                 expires=time.monotonic() + settings.MESSAGE_CACHE_SECONDS)
