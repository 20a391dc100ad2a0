"""What the message list shows: a page of a folder, or a page of search results.

Either way only the messages on the page are fetched: a folder page works on sequence numbers,
a search asks the server for matching UIDs (numbers only) and then fetches the page's envelopes.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.utils.translation import gettext as _

from webmail.imap.gateway import Envelope, Folder, Mailbox
from webmail.mailbox.search_query import Term, imap_keys, resolve_folder

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
    searched_in: str | None = None  # the folder in:… named, when the search was limited to it
    notices: tuple[str, ...] = ()
    uidvalidity: int = 0  # of the folder's page (search results span folders: 0)

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.per_page))


def folder_listing(mailbox: Mailbox, folder: str, number: int) -> tuple[Listing, list[Folder]]:
    """A page of the folder, and the folder list that the page shows beside it (one round trip)."""
    page, folders = mailbox.page_and_folders(folder, number, PER_PAGE)
    if number > page.pages:
        raise PageNotFound(number)
    rows = [Row(folder, m) for m in page.messages]
    return Listing(folder, page.total, number, PER_PAGE, rows, uidvalidity=page.uidvalidity), folders


@dataclass(frozen=True)
class Criteria:
    """A search: its terms (`search_query.Term`, one IMAP key each), where to look, and what to tell
    the user about it (an invalid date left out, an unknown folder)."""

    terms: tuple[Term, ...] = ()
    all_folders: bool = False
    folder: str | None = None  # in:… as typed; resolved against the account's folders
    excluded_folders: tuple[str, ...] = ()
    notices: tuple[str, ...] = ()

    def imap(self) -> list:
        """IMAP SEARCH keys (sent with CHARSET UTF-8; imapclient sends non-ASCII as literals)."""
        return imap_keys(self.terms)

    @property
    def empty(self) -> bool:
        return not self.terms


def search_listing(mailbox: Mailbox, criteria: Criteria, folder: str, number: int,
                   labels: dict[str, str] | None = None) -> Listing:
    """A page of results: in `folder`, or in every folder (newest first), or in the one in:… names."""
    keys = criteria.imap()
    notices = list(criteria.notices)
    all_folders, searched_in = criteria.all_folders, None
    names: dict[str, str | None] | None = None
    if criteria.folder is not None or criteria.excluded_folders:
        names = mailbox.folder_names()
    if criteria.folder is not None:
        searched_in = resolve_folder(criteria.folder, names, labels)
        if searched_in is None:
            notices.append(_("There is no folder “%(folder)s”, so every folder was searched.")
                           % {"folder": criteria.folder})
            all_folders = True
        else:
            folder, all_folders = searched_in, False
    if not all_folders:
        uids = sorted(mailbox.search(folder, keys), reverse=True)
        start = (number - 1) * PER_PAGE
        if number > 1 and start >= len(uids):
            raise PageNotFound(number)
        envelopes = mailbox.envelopes(folder, uids[start : start + PER_PAGE])
        return Listing(folder, len(uids), number, PER_PAGE, [Row(folder, e) for e in envelopes], True,
                       searched_in, tuple(notices))

    names = names if names is not None else mailbox.folder_names()
    excluded = set()
    for typed in criteria.excluded_folders:
        found = resolve_folder(typed, names, labels)
        if found is None:
            notices.append(_("There is no folder “%(folder)s” to leave out.") % {"folder": typed})
        else:
            excluded.add(found)
    hits: list[tuple] = []  # (date, folder, uid)
    for name in names:
        if name in excluded:
            continue
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
    return Listing(folder, len(hits), number, PER_PAGE, rows, True, None, tuple(notices))
