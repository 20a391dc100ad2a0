"""Search as people type it, on folders of 1,000, 10,000 and 100,000 messages.

The webmail's search is O(page) on its side: the server matches (IMAP SEARCH), the webmail gets
matching UIDs (numbers only) and fetches the page's 50 envelopes. The baseline is the same SEARCH
and the same FETCH sent with imapclient over a warm connection; the view adds parsing the box,
resolving in:, the folder list and rendering. `make bench` prints the table; docs/reading.md keeps it.
"""

from __future__ import annotations

import pytest
from imapclient import IMAPClient

from tests.benchmarks.test_reading_speed import (  # noqa: F401
    PAGE_ITEMS,
    SIZES,
    _fill,
    _medians_ms,
    list_status,
    production_rendering,
)
from webmail.mailbox import search_query

pytestmark = [pytest.mark.imap, pytest.mark.django_db]
RUNS = 15
HEADERS = b"BODY.PEEK[HEADER.FIELDS (SUBJECT DATE)]"
QUERIES = [  # what is typed; every message's sender is senderN (N = i % 97), one in three unread
    "de:sender5",  # ~11 %: sender5, sender50…59
    "is:unread",  # a third
    'objet:"numéro 4242"',  # a handful
    "has:attachment",  # none: a header test on every message
    "après:2024-01-15 -est:non-lu",  # dates and negation
]


def test_search_speed(signed_in_client, dovecot, imap, production_rendering, settings):  # noqa: F811
    settings.PREFETCH_MESSAGES = 0
    settings.MAIL_TIMEOUT = 120
    user = signed_in_client.mail_user
    with imap(user) as mailbox:
        for size in SIZES:
            mailbox.create_folder(f"Search{size}")
    for size in SIZES:
        _fill(dovecot, user, f"Search{size}", size)
    raw = IMAPClient("127.0.0.1", port=dovecot.imap_port, ssl=False)
    raw.login(user.email, user.password)
    rows = []
    for size in SIZES:
        folder = f"Search{size}"
        raw.select_folder(folder, readonly=True)  # first SELECT: Dovecot indexes the new files
        for typed in QUERIES:
            keys = search_query.imap_keys(search_query.parse(typed, ("%d/%m/%Y",)).terms)

            def raw_search(keys=keys):
                uids = sorted(raw.search(keys, charset="UTF-8"), reverse=True)[:50]
                if uids:
                    raw.fetch(uids, [*PAGE_ITEMS, HEADERS])
                return uids

            # The view also sends the folder list with its counts (LIST-STATUS) and the LIST that
            # resolves in:…: the same two commands, through imaplib (imapclient has no LIST-STATUS).
            def raw_with_folders(run=raw_search):
                run()
                list_status(raw)
                raw.list_folders()

            def view(typed=typed, folder=folder):
                response = signed_in_client.get("/mail/", {"q": f"{typed} in:{folder}"})
                assert response.status_code == 200

            hits = len(raw.search(keys, charset="UTF-8"))
            view_ms, raw_ms, folders_ms = _medians_ms(view, raw_search, raw_with_folders, runs=RUNS)
            rows.append((size, typed, hits, view_ms, raw_ms, folders_ms))
    raw.logout()

    print("\n| messages | typed | hits | view ms | raw ms | ratio | raw+folders ms | ratio | view − raw+folders ms |")
    print("| ---: | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
    for size, typed, hits, view_ms, raw_ms, folders_ms in rows:
        print(f"| {size:,} | `{typed}` | {hits:,} | {view_ms:.2f} | {raw_ms:.2f} | {view_ms / raw_ms:.2f}x "
              f"| {folders_ms:.2f} | {view_ms / folders_ms:.2f}x | {view_ms - folders_ms:.2f} |")
    overhead = {(size, typed): view_ms - folders_ms for size, typed, _hits, view_ms, _raw, folders_ms in rows}
    for typed in QUERIES:
        print(f"`{typed}`: the webmail's own part at {SIZES[-1]:,} − at {SIZES[0]:,}: "
              f"{overhead[(SIZES[-1], typed)] - overhead[(SIZES[0], typed)]:+.2f} ms")
