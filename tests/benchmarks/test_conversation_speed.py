"""Conversations on folders of 1,000, 10,000 and 100,000 messages.

The list groups only the page it shows: the 50 newest messages are fetched as for the flat list
(their References line added to the header fields), then joined by Message-ID, In-Reply-To,
References and subject in memory. Nothing depends on the folder's size but the server's own FETCH.
Opening a conversation asks the server for the rest of the thread: one SEARCH on the headers in
the folder and one in Envoyés, then the envelopes of what they found. That SEARCH is the server's
work over the folder (Dovecot answers it from its index cache once the headers are cached).

Baselines, on a kept imapclient connection with the folder selected: the page's FETCH (same items)
for the list; the same two SEARCHes and FETCHes for opening. `make bench` prints the table;
docs/reading.md keeps it.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from email.utils import format_datetime

import pytest
from imapclient import IMAPClient

from tests.benchmarks.test_reading_speed import (  # noqa: F401
    PAGE_ITEMS,
    SIZES,
    _fill,
    _forget_shown_pages,
    _medians_ms,
    list_status,
    production_rendering,
)
from webmail.imap.gateway import Envelope
from webmail.mailbox.conversations import SEARCH_WINDOW, search_keys
from webmail.mailbox.parse import LIST_FIELDS

pytestmark = [pytest.mark.imap, pytest.mark.django_db]
RUNS = 15
THREAD = 5  # messages per conversation: a page of 50 shows 10 conversations
LIST_HEADERS = f"BODY.PEEK[{LIST_FIELDS}]".encode()


def _threaded(i: int) -> bytes:
    """Message i of a folder where messages come in threads of five, each answering the one before."""
    root, position = i - i % THREAD, i % THREAD
    when = datetime(2024, 1, 1, tzinfo=UTC) + timedelta(minutes=i)
    threading = ""
    if position:
        earlier = " ".join(f"<thread-{n}@example.fr>" for n in range(root, i))
        threading = f"In-Reply-To: <thread-{i - 1}@example.fr>\r\nReferences: {earlier}\r\n"
    return (
        f"From: Personne {i % 7} <person{i % 7}@example.fr>\r\n"
        "To: alice@example.test\r\n"
        f"Subject: {'Re: ' if position else ''}Dossier numéro {root}\r\n"
        f"Date: {format_datetime(when)}\r\n"
        f"Message-ID: <thread-{i}@example.fr>\r\n{threading}"
        "MIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n\r\n"
        f"Réponse {position} dans le dossier {root}. " + "Du texte pour l'aperçu. " * 8 + "\r\n"
    ).encode()


def test_conversation_speed(signed_in_client, dovecot, imap, production_rendering, settings):  # noqa: F811
    settings.PREFETCH_MESSAGES = 0
    settings.MAIL_TIMEOUT = 120
    user = signed_in_client.mail_user
    with imap(user) as mailbox:
        for size in SIZES:
            mailbox.create_folder(f"Threads{size}")
    for size in SIZES:
        _fill(dovecot, user, f"Threads{size}", size, _threaded)
    raw = IMAPClient("127.0.0.1", port=dovecot.imap_port, ssl=False)
    raw.login(user.email, user.password)
    rows = []
    for size in SIZES:
        folder = f"Threads{size}"
        raw.select_folder(folder, readonly=True)  # first SELECT: Dovecot indexes the new files
        newest = max(raw.search(["ALL"]))
        # Opening the newest conversation: its anchor's ids, as the gateway reads them.
        anchor = Envelope(newest, "", "", "", (), None, True, False, False, False, "", 0,
                          message_id=f"<thread-{size - 1}@example.fr>",
                          in_reply_to=f"<thread-{size - 2}@example.fr>",
                          references=tuple(f"<thread-{n}@example.fr>" for n in range(size - THREAD, size - 1)))
        keys = search_keys(anchor)

        def raw_page(size=size):
            raw.use_uid = False
            try:
                raw.fetch(list(range(size - 49, size + 1)), [*PAGE_ITEMS, LIST_HEADERS])
            finally:
                raw.use_uid = True

        def raw_with_folders(run=raw_page):
            run()
            list_status(raw)

        def view_list(on: bool, folder=folder):
            def run():
                _forget_shown_pages()
                response = signed_in_client.get("/mail/", {"folder": folder})
                assert response.status_code == 200
                assert response.content.count(b'class="thread-count"') == (10 if on else 0)
            return run

        def raw_open(folder=folder, keys=keys, newest=newest):
            window = f"{max(1, newest - SEARCH_WINDOW)}:{newest + SEARCH_WINDOW}"
            found = raw.search(["UID", window, *keys])
            raw.fetch(found, [*PAGE_ITEMS, LIST_HEADERS])
            raw.select_folder("Sent", readonly=True)
            raw.search(["1:*", *keys])  # Envoyés is empty here: its window is all of it
            raw.select_folder(folder, readonly=True)

        def view_open(folder=folder, newest=newest):
            response = signed_in_client.get(f"/mail/{newest}/conversation/", {"folder": folder})
            assert response.status_code == 200 and response.content.count(b'class="thread-message') == THREAD

        assert len(raw.search(keys)) == THREAD
        # The whole folder's header SEARCH, which the window spares, for the record.
        window = f"{max(1, newest - SEARCH_WINDOW)}:{newest + SEARCH_WINDOW}"
        whole_ms, windowed_ms = _medians_ms(lambda keys=keys: raw.search(keys),
                                            lambda keys=keys, window=window: raw.search(["UID", window, *keys]), runs=5)
        set_preference(user, True)
        on_ms, raw_ms, full_ms = _medians_ms(view_list(True), raw_page, raw_with_folders, runs=RUNS)
        set_preference(user, False)
        (off_ms,) = _medians_ms(view_list(False), runs=RUNS)
        set_preference(user, True)
        open_ms, raw_open_ms = _medians_ms(view_open, raw_open, runs=RUNS)
        rows.append((size, on_ms, off_ms, raw_ms, full_ms, open_ms, raw_open_ms, whole_ms, windowed_ms))
    raw.logout()

    print(f"\n\nConversations, median of {RUNS} requests through Django (server time); threads of {THREAD}.")
    print("list = page 1 with conversations on / off; raw = imapclient FETCH of the page's 50 messages;")
    print("raw+folders = plus the LIST-STATUS of the folder counts. open = a conversation of 5 opened;")
    print(f"raw open = the same SEARCH (UIDs within {SEARCH_WINDOW:,} of it) and FETCH, and SEARCH in Envoyés;")
    print("whole-folder SEARCH = the same header SEARCH without the window (what the window spares).")
    print("| messages | list on ms | list off ms | raw ms | raw+folders ms | on / raw+folders | on / off "
          "| open ms | raw open ms | open / raw | windowed SEARCH ms | whole-folder SEARCH ms |")
    print("| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
    for size, on_ms, off_ms, raw_ms, full_ms, open_ms, raw_open_ms, whole_ms, windowed_ms in rows:
        print(f"| {size:,} | {on_ms:.2f} | {off_ms:.2f} | {raw_ms:.2f} | {full_ms:.2f} | {on_ms / full_ms:.2f}x "
              f"| {on_ms / off_ms:.2f}x | {open_ms:.2f} | {raw_open_ms:.2f} | {open_ms / raw_open_ms:.2f}x "
              f"| {windowed_ms:.2f} | {whole_ms:.2f} |")
    first, last = rows[0], rows[-1]
    print(f"list with conversations at {last[0]:,} / at {first[0]:,}: {last[1] / first[1]:.2f}x; "
          f"opening one: {last[5] / first[5]:.2f}x (raw: {last[6] / first[6]:.2f}x)\n")


def set_preference(user, on: bool) -> None:
    from webmail.accounts.models import MailAccount
    from webmail.preferences.models import Preferences

    preferences = Preferences.for_user(MailAccount.objects.get(email=user.email).user)
    preferences.conversations = on
    preferences.save()
