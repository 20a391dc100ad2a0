"""Reading speed on big folders: the list view and the reading pane against a raw imapclient baseline.

Folders of 1,000, 10,000 and 100,000 messages are written straight into the private Dovecot's
maildir (appending 100,000 messages over IMAP would take minutes); Dovecot indexes them on the
first SELECT, which happens before any timing. Each figure is the median of several requests
through the whole Django stack (middleware, session, rendering), divided by the median of the
same IMAP commands sent with imapclient over a warm connection. `make bench` prints the table;
docs/reading.md keeps the figures.
"""

from __future__ import annotations

import os
import pwd
import statistics
import time
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime

import pytest
from imapclient import IMAPClient
from imapclient.imapclient import seq_to_parenstr_upper

from webmail.imap import gateway
from webmail.imap.responses import parse_fetch
from webmail.mailbox.message_cache import cache

SIZES = (1_000, 10_000, 100_000)
RUNS = 25
LIST_STATUS = ("LIST", '""', '"*"', "RETURN", "(SPECIAL-USE STATUS (MESSAGES UNSEEN))")
PAGE_ITEMS = [b"UID", b"FLAGS", b"ENVELOPE", b"INTERNALDATE", b"RFC822.SIZE", b"BODYSTRUCTURE", b"PREVIEW"]

pytestmark = [pytest.mark.imap, pytest.mark.django_db]


def _message(i: int) -> bytes:
    when = datetime(2024, 1, 1, tzinfo=UTC) + timedelta(minutes=i)
    return (
        f"From: Expéditeur {i % 97} <sender{i % 97}@example.fr>\r\n"
        f"To: alice@example.test\r\n"
        f"Subject: Message de test numéro {i}\r\n"
        f"Date: {format_datetime(when)}\r\n"
        f"Message-ID: <bench-{i}@example.fr>\r\n"
        "MIME-Version: 1.0\r\n"
        "Content-Type: text/plain; charset=utf-8\r\n"
        "Content-Transfer-Encoding: 8bit\r\n\r\n"
        f"Bonjour,\r\n\r\nCeci est le message {i} du banc d'essai. " + "Du texte pour l'aperçu. " * 8 + "\r\n"
    ).encode()


def _fill(dovecot, user, folder: str, count: int, message=None) -> None:
    """Write `count` messages (`message(i)`, else `_message(i)`; two in three read) into the folder."""
    message = message or _message
    write_maildir(dovecot, user.email, folder, ((message(i), bool(i % 3)) for i in range(count)))


def write_maildir(dovecot, email: str, folder: str, messages) -> None:
    """Write (bytes, seen) messages into a folder's maildir (INBOX is its root), as Dovecot's own
    user: faster than APPEND by orders of magnitude for 100,000 messages."""
    owner = pwd.getpwnam("dovecot")
    root = dovecot.root / "mail" / email
    cur = (root if folder == "INBOX" else root / f".{folder}") / "cur"
    cur.mkdir(parents=True, exist_ok=True)
    for i, (data, seen) in enumerate(messages):
        path = cur / f"{1_700_000_000 + i}.M{i}P1.bench,S={len(data)}:2,{'S' if seen else ''}"
        path.write_bytes(data)
        os.chown(path, owner.pw_uid, owner.pw_gid)
    # Dovecot rescans a maildir whose directory changed within the last seconds (mtime granularity);
    # dating the directories back makes the folder look settled, as a real mailbox would be.
    settled = time.time() - 3600
    for directory in (cur.parent, cur, cur.parent / "new", cur.parent / "tmp"):
        directory.mkdir(exist_ok=True)
        os.chown(directory, owner.pw_uid, owner.pw_gid)
        os.utime(directory, (settled, settled))


def list_status(client) -> None:
    """The folder list with its counts, as the views ask for it: one LIST-STATUS (RFC 5819).
    imapclient has no method for it, so it goes through imaplib."""
    typ, _data = client._imap._simple_command(*LIST_STATUS)
    assert typ == "OK"
    client._imap.untagged_responses.clear()


def _medians_ms(*actions, runs: int = RUNS) -> list[float]:
    """Median time of each action; the actions take turns so that a busy machine slows all alike."""
    return [statistics.median(spent) for spent in _rounds_ms(*actions, runs=runs)]


def _rounds_ms(*actions, runs: int = RUNS) -> list[list[float]]:
    """Each action's time in each round (ms); in a round the actions run one after the other."""
    for action in actions:
        action()  # warm up (indexes, caches, pooled connection)
    times: list[list[float]] = [[] for _ in actions]
    for _ in range(runs):
        for action, spent in zip(actions, times, strict=True):
            start = time.perf_counter()
            action()
            spent.append((time.perf_counter() - start) * 1000)
    return times


@pytest.fixture
def production_rendering():
    """Undo the test environment's template instrumentation (it copies every context for the test
    client), so that rendering costs what it costs in production."""
    from django.template import Template
    from django.test.utils import _TestState

    instrumented = Template._render
    Template._render = _TestState.saved_data.template_render
    yield
    Template._render = instrumented


def _forget_shown_pages():
    for idle in gateway.pool._idle.values():
        for mailbox in idle:
            mailbox._shown.clear()


def test_list_and_reading_pane_speed(signed_in_client, dovecot, imap, production_rendering, settings):
    settings.PREFETCH_MESSAGES = 0  # nothing in the background while timing
    settings.MAIL_TIMEOUT = 60  # a busy shared machine must not fail the benchmark
    user = signed_in_client.mail_user
    with imap(user) as mailbox:
        for size in SIZES:
            mailbox.create_folder(f"Bench{size}")
    for size in SIZES:
        _fill(dovecot, user, f"Bench{size}", size)

    raw = IMAPClient("127.0.0.1", port=dovecot.imap_port, ssl=False)
    raw.login(user.email, user.password)
    # A client set up as the gateway sets up its own (imaplib's trace off, dates left as the server
    # sends them): printed beside the targets, which are against imapclient as it comes.
    tuned = gateway._connect(user.email, user.password, gateway.ServerConfig.imap())
    rows, page1, tuned_page1 = [], {}, {}
    for size in SIZES:
        folder = f"Bench{size}"
        raw.select_folder(folder)  # first SELECT: Dovecot indexes the new files
        tuned.select_folder(folder)
        uid = raw.search(["SEEN"])[-1]  # already read: opening it changes no flag (no maildir rename)
        deep = size // 50 * 3 // 4  # three quarters of the way down

        # The baseline is the bare FETCH on a connection that has the folder selected already.
        def raw_page(number, size=size, client=raw):
            def run():
                high = size - (number - 1) * 50
                client.use_uid = False
                try:
                    client.fetch(list(range(max(1, high - 49), high + 1)), PAGE_ITEMS)
                finally:
                    client.use_uid = True
            return run

        # The same FETCH sent and read as the gateway does (its faster tokenizer, imapclient's parser).
        def gateway_page1(size=size):
            typ, data = tuned._imap.fetch(f"{size - 49}:{size}", seq_to_parenstr_upper(PAGE_ITEMS))
            assert typ == "OK" and len(parse_fetch(data, uid_is_key=False)) == 50

        tuned_page1[size] = _medians_ms(raw_page(1), raw_page(1, client=tuned), gateway_page1)

        def raw_open(uid=uid):
            raw.fetch([uid], [b"FLAGS", b"BODY[]"])

        # A page not shown since the folder was selected costs a FETCH of its rows; shown again
        # (a poll, "back to the list", a reload) a FETCH of their flags only. `again=False` makes
        # the pooled connection forget the pages it showed before each request.
        def view_page(number, again, folder=folder, **headers):
            def run():
                if not again:
                    _forget_shown_pages()
                response = signed_in_client.get("/mail/", {"folder": folder, "page": number}, **headers)
                assert response.status_code == 200
            return run

        # A click on a folder or page link asks for the list alone (and the sidebar, out of band).
        def swap_page(number, again):
            return view_page(
                number, again, HTTP_HX_REQUEST="true", HTTP_HX_BOOSTED="true", HTTP_HX_TARGET="message-list"
            )

        def view_open(folder=folder, uid=uid):
            response = signed_in_client.get(f"/mail/{uid}/", {"folder": folder})
            assert response.status_code == 200

        # The page also shows the folder list with its counts, as the view asks for it.
        def raw_folders():
            list_status(raw)

        def with_folders(run):
            def both():
                run()
                raw_folders()
            return both

        cases = [
            (f"{kind}, page {number}{', again' if again else ''}", show(number, again), raw_page(number))
            for kind, show in (("list", view_page), ("link", swap_page))
            for number in (1, deep)
            for again in (False, True)
        ]
        cases.append(("open a message", view_open, raw_open))

        # The same with nothing kept by the process (issue 16's message cache): fetched and parsed.
        def view_first_open():
            cache.clear()
            view_open()

        cases.append(("open a message, first", view_first_open, raw_open))
        for label, view, baseline in cases:
            full = with_folders(baseline)
            view_ms, raw_ms, full_ms = _medians_ms(view, baseline, full)
            rows.append((size, label, view_ms, raw_ms, full_ms))
            if label == "list, page 1":
                page1[size] = view_ms
            if label == "link, page 1":
                link1 = (raw_ms, full_ms)

        # The poll right after new mail arrived (written by another client, before each request):
        # the selection is kept, page 1 is a range not shown yet and is fetched whole.
        poll = signed_in_client.get
        spent = []
        for i in range(RUNS):
            raw.append(folder, _message(size + i))
            start = time.perf_counter()
            response = poll("/mail/", {"folder": folder}, HTTP_HX_REQUEST="true", HTTP_HX_TARGET="message-list")
            spent.append(time.perf_counter() - start)
            assert response.status_code == 200 and f"numéro {size + i}<" in response.content.decode()
        rows.append((size, "poll after new mail", statistics.median(spent) * 1000, *link1))
    raw.logout()
    tuned.logout()

    print(f"\n\nReading speed, median of {RUNS} requests through Django (server time).")
    print("raw = imapclient FETCH of the page (or message) on a connection with the folder selected;")
    print("raw+folders = the same plus the LIST-STATUS of the folder counts (the page shows them too).")
    print("list = the whole page (first load, reload); link = a folder or page link: the list and")
    print("the sidebar swapped in by HTMX. again = the page was shown before (poll, back to the list).")
    print("poll after new mail: its raw columns are those of 'link, page 1'.")
    print(f"{'messages':>9} | {'what':<24} | {'view ms':>8} | {'raw ms':>7} | {'ratio':>6} | {'raw+folders':>11} | ratio")
    for size, label, view_ms, raw_ms, full_ms in rows:
        print(f"{size:>9,} | {label:<24} | {view_ms:8.2f} | {raw_ms:7.2f} | {view_ms / raw_ms:5.2f}x |"
              f" {full_ms:11.2f} | {view_ms / full_ms:4.2f}x")
    growth = page1[SIZES[-1]] / page1[SIZES[0]]
    print(f"page 1 at {SIZES[-1]:,} / page 1 at {SIZES[0]:,}: {growth:.2f}x (target ≤ 1.2x)")
    for kind in ("list", "link"):
        for again in (False, True):
            chosen = [r for r in rows if r[1].startswith(kind) and r[1].endswith("again") == again]
            worst = " / ".join(f"{max(r[2] / r[index] for r in chosen):.2f}x" for index in (3, 4))
            print(f"worst {kind}{' again' if again else ''} against raw / raw+folders: {worst} (target ≤ 1.5x)")
    for size, (plain_ms, tuned_ms, gateway_ms) in tuned_page1.items():
        print(f"raw FETCH of page 1 at {size:,}: {plain_ms:.2f} ms as imapclient comes; {tuned_ms:.2f} ms set up as"
              f" the gateway sets it up (imaplib's trace off, dates as sent); {gateway_ms:.2f} ms also read as the"
              f" gateway reads it (responses.py). List page 1 against the last: {page1[size] / gateway_ms:.2f}x")
    print()
