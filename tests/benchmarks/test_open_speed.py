"""Opening a message against its raw floor, here and at a distance (issue 16).

Floors, measured in the same run, on a connection that has the folder selected:
- raw open: imapclient's `BODY.PEEK[]` of the message;
- open floor: that fetch plus the project's own parse and sanitise of the message, done once;
- raw list: NOOP + the FETCH of the page's 50 rows (the items the list asks for).

The webmail's "open" is what a reader waits for after a click on a row of the list: the message
page (asked for as that boosted link asks: only #main, the title and the folder list are
rendered) and its body frame, two requests through the whole Django stack. "first open" starts
with no message kept in the process (the list page the reader came from is); "whole page" is the
same opened in a new tab; "opened again" with it kept; "open next" is a message opened right after
the one above it in the list, once the fetch ahead has settled.

Ratios are the median of each round's ratio: in a round the webmail and its floor run one right
after the other, so a machine whose speed drifts during the run slows both alike.

"At a distance" puts a TCP proxy between the webmail (and the raw client) and Dovecot that holds
every chunk 10 ms in each direction, as a server 10 ms away.
"""

from __future__ import annotations

import queue
import socket
import statistics
import threading
import time

import pytest
from imapclient import IMAPClient

from tests.benchmarks import test_reading_speed as reading_bench
from tests.benchmarks.mail import letter
from tests.benchmarks.test_reading_speed import (  # noqa: F401 (a fixture)
    _forget_shown_pages,
    _rounds_ms,
    production_rendering,
)
from webmail.imap import gateway
from webmail.mailbox import prefetch
from webmail.mailbox.message_cache import cache
from webmail.mailbox.parse import LIST_FIELDS, parse_message
from webmail.mailbox.sanitize import sanitize_html

pytestmark = [pytest.mark.imap, pytest.mark.django_db]

FOLDER = "Lecture"
MESSAGES = 120
RUNS = 15
DELAY = 0.010
FLOOR, RAW = "floor (PEEK + parse + sanitise)", "raw open (BODY.PEEK[])"
# What a click on a row of the list sends (a boosted link into #main): the page is rendered for it.
CLICK = {"HTTP_HX_REQUEST": "true", "HTTP_HX_BOOSTED": "true", "HTTP_HX_TARGET": "main"}
# The reading benchmark's list items, with the header lines the list now reads for conversations.
PAGE_ITEMS = [*reading_bench.PAGE_ITEMS, f"BODY.PEEK[{LIST_FIELDS}]".encode()]

class DelayProxy:
    """A TCP proxy that holds every chunk `delay` seconds in each direction, keeping their order."""

    def __init__(self, target_port: int, delay: float = DELAY):
        self.target_port, self.delay = target_port, delay
        self.server = socket.create_server(("127.0.0.1", 0))
        self.port = self.server.getsockname()[1]
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while True:
            try:
                client, _address = self.server.accept()
            except OSError:
                return
            upstream = socket.create_connection(("127.0.0.1", self.target_port))
            for end in (client, upstream):
                end.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            self._pipe(client, upstream)
            self._pipe(upstream, client)

    def _pipe(self, source: socket.socket, target: socket.socket) -> None:
        held: queue.Queue = queue.Queue()

        def read():
            while True:
                try:
                    data = source.recv(65536)
                except OSError:
                    data = b""
                held.put((time.monotonic() + self.delay, data))
                if not data:
                    return

        def write():
            while True:
                due, data = held.get()
                wait = due - time.monotonic()
                if wait > 0:
                    time.sleep(wait)
                try:
                    if not data:
                        target.shutdown(socket.SHUT_WR)
                        return
                    target.sendall(data)
                except OSError:
                    return

        threading.Thread(target=read, daemon=True).start()
        threading.Thread(target=write, daemon=True).start()

    def close(self) -> None:
        self.server.close()


def test_open_next_and_distance(signed_in_client, imap, dovecot, mail_settings, production_rendering):  # noqa: F811
    mail_settings.MAIL_TIMEOUT = 60  # a busy shared machine must not fail a benchmark
    user = signed_in_client.mail_user
    with imap(user) as mailbox:
        mailbox.create_folder(FOLDER)
        for start in range(0, MESSAGES, 20):
            mailbox.append_many(FOLDER, [letter(i) for i in range(start, start + 20)], ("\\Seen",))
    client = signed_in_client
    results: list[tuple[str, str, list[float], str, list[float], float | None]] = []

    def measure(where: str, port: int) -> None:
        mail_settings.IMAP_PORT = port
        gateway.pool.clear()
        cache.clear()
        raw = IMAPClient("127.0.0.1", port=port, ssl=False, timeout=60)
        raw.login(user.email, user.password)
        raw.select_folder(FOLDER)
        uids = sorted(raw.search(["ALL"]), reverse=True)
        uid = uids[10]

        def raw_list():
            raw.noop()
            raw.use_uid = False
            try:
                raw.fetch(list(range(MESSAGES - 49, MESSAGES + 1)), PAGE_ITEMS)
            finally:
                raw.use_uid = True

        def raw_open():
            raw.fetch([uid], [b"BODY.PEEK[]"])

        def floor_open():
            data = raw.fetch([uid], [b"BODY.PEEK[]"])[uid][b"BODY[]"]
            sanitize_html(parse_message(data).html, allow_remote=False)

        def view_list():
            _forget_shown_pages()
            assert client.get("/mail/", {"folder": FOLDER}).status_code == 200

        def view_open(which=uid, headers=CLICK):
            page = client.get(f"/mail/{which}/", {"folder": FOLDER}, **headers)
            frame = client.get(f"/mail/{which}/corps/", {"folder": FOLDER})
            assert page.status_code == 200 and frame.status_code == 200

        def view_first_open():
            cache.forget_messages()  # the list page stays known: the reader opens from it
            view_open()

        def view_first_open_whole():
            cache.forget_messages()
            view_open(headers={})

        mail_settings.PREFETCH_MESSAGES = 0  # nothing in the background while timing these
        view_list()
        listed, raw_listed = _rounds_ms(view_list, raw_list, runs=RUNS)
        first, whole, kept, floor, raw_kept = _rounds_ms(
            view_first_open, view_first_open_whole, view_open, floor_open, raw_open, runs=RUNS)

        # Open next: the message below the one just read, once the fetch ahead has settled; each
        # round's floors measured right after it.
        mail_settings.PREFETCH_MESSAGES = 3
        cache.clear()
        view_list()
        prefetch.wait_idle()
        following, next_floor, next_raw = [], [], []
        for n in range(RUNS + 1):
            cache.forget_messages()
            view_open(uids[2 * n])
            prefetch.wait_idle()
            for action, spent in ((lambda n=n: view_open(uids[2 * n + 1]), following), (floor_open, next_floor),
                                  (raw_open, next_raw)):
                start = time.perf_counter()
                action()
                spent.append((time.perf_counter() - start) * 1000)
        del following[0], next_floor[0], next_raw[0]  # the first round warms up
        raw.logout()

        here = where == "here"
        results.extend([
            (where, "list page 1", listed, "raw list (NOOP + FETCH 50)", raw_listed, None if here else 1.1),
            (where, "first open (page + frame)", first, FLOOR, floor, 1.5 if here else None),
            (where, "first open (page + frame)", first, RAW, raw_kept, None),
            (where, "first open, whole page", whole, FLOOR, floor, None),
            (where, "opened again", kept, FLOOR, floor, None),
            (where, "opened again", kept, RAW, raw_kept, None if here else 1.3),
            (where, "open next (fetched ahead)", following, FLOOR, next_floor, 1.5 if here else None),
            (where, "open next (fetched ahead)", following, RAW, next_raw, None if here else 1.3),
        ])

    measure("here", dovecot.imap_port)
    proxy = DelayProxy(dovecot.imap_port)
    try:
        measure("10 ms away", proxy.port)
    finally:
        gateway.pool.clear()
        proxy.close()

    print(f"\n\nOpening a message (issue 16), {RUNS} rounds, a {len(letter(0)) // 1024} KB HTML newsletter;"
          " floors measured in the same rounds. ms: medians; ratio: the median of each round's ratio.")
    print(f"{'where':<11} | {'what':<27} | {'ms':>7} | {'against':<32} | {'ms':>7} | {'ratio':>6} | target")
    for where, what, times, against, floors, target in results:
        ratio = statistics.median(t / f for t, f in zip(times, floors, strict=True))
        verdict = "" if target is None else f"≤ {target}x {'met' if ratio <= target else 'NOT met'}"
        print(f"{where:<11} | {what:<27} | {statistics.median(times):7.2f} | {against:<32} | "
              f"{statistics.median(floors):7.2f} | {ratio:5.2f}x | {verdict}")
    print()
