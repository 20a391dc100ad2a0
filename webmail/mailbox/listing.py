"""What the message list shows: a page of a folder, or a page of search results.

Either way only the messages on the page are fetched: a folder page works on sequence numbers,
a search asks the server for matching UIDs (numbers only) and then fetches the page's envelopes.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from webmail.imap.gateway import Envelope, Folder, Mailbox

PER_PAGE = 50
# Across folders, results are merged by date; beyond this many per folder only the newest count.
MAX_HITS_PER_FOLDER = 5000


class PageNotFound(Exception):
    pass


@dataclass(frozen=True)
class Row:
    folder: str
    message: Envelope


@dataclass(frozen=True)
class Listing:
    folder: str
    total: int
    number: int
    per_page: int
    rows: list[Row]
    searching: bool = False

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.per_page))


def folder_listing(mailbox: Mailbox, folder: str, number: int) -> tuple[Listing, list[Folder]]:
    """A page of the folder, and the folder list that the page shows beside it (one round trip)."""
    page, folders = mailbox.page_and_folders(folder, number, PER_PAGE)
    if number > page.pages:
        raise PageNotFound(number)
    return Listing(folder, page.total, number, PER_PAGE, [Row(folder, m) for m in page.messages]), folders


@dataclass(frozen=True)
class Criteria:
    text: str = ""
    sender: str = ""
    recipient: str = ""
    subject: str = ""
    body: str = ""
    since: date | None = None
    until: date | None = None
    all_folders: bool = False

    def imap(self) -> list:
        """IMAP SEARCH keys (sent with CHARSET UTF-8; imapclient sends non-ASCII as literals)."""
        keys: list = []
        if self.text:
            keys += ["TEXT", self.text]
        if self.sender:
            keys += ["FROM", self.sender]
        if self.recipient:
            keys += ["OR", "OR", "TO", self.recipient, "CC", self.recipient, "BCC", self.recipient]
        if self.subject:
            keys += ["SUBJECT", self.subject]
        if self.body:
            keys += ["BODY", self.body]
        if self.since:
            keys += ["SINCE", self.since]
        if self.until:
            keys += ["BEFORE", self.until + timedelta(days=1)]  # "until" includes that day
        return keys or ["ALL"]

    @property
    def empty(self) -> bool:
        return not any((self.text, self.sender, self.recipient, self.subject, self.body, self.since, self.until))


def search_listing(mailbox: Mailbox, criteria: Criteria, folder: str, number: int) -> Listing:
    keys = criteria.imap()
    if not criteria.all_folders:
        uids = sorted(mailbox.search(folder, keys), reverse=True)
        start = (number - 1) * PER_PAGE
        if number > 1 and start >= len(uids):
            raise PageNotFound(number)
        envelopes = mailbox.envelopes(folder, uids[start : start + PER_PAGE])
        return Listing(folder, len(uids), number, PER_PAGE, [Row(folder, e) for e in envelopes], True)

    hits: list[tuple] = []  # (date, folder, uid)
    for name in mailbox.folder_names():
        uids = sorted(mailbox.search(name, keys))[-MAX_HITS_PER_FOLDER:]
        if uids:
            dates = mailbox.fetch_dates(name, uids)
            hits += [(dates.get(uid), name, uid) for uid in uids]
    hits.sort(key=lambda h: (h[0].timestamp() if h[0] else 0, h[2]), reverse=True)
    start = (number - 1) * PER_PAGE
    if number > 1 and start >= len(hits):
        raise PageNotFound(number)
    chosen = hits[start : start + PER_PAGE]
    by_folder: dict[str, list[int]] = {}
    for _when, name, uid in chosen:
        by_folder.setdefault(name, []).append(uid)
    found = {(name, e.uid): e for name, uids in by_folder.items() for e in mailbox.envelopes(name, uids)}
    rows = [Row(name, found[(name, uid)]) for _when, name, uid in chosen if (name, uid) in found]
    return Listing(folder, len(hits), number, PER_PAGE, rows, True)
