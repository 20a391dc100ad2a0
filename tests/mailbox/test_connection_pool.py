"""The per-process pool of IMAP connections: idle ones closed on time by the reaper, a bound per
account (many tabs of one user stay under Dovecot's mail_max_userip_connections), and a pooled
connection the server dropped replaced without the reader noticing."""

from __future__ import annotations

import socket
import threading
import time
from pathlib import Path

import pytest

from tests.mailbox.conftest import build
from webmail.imap import gateway

pytestmark = [pytest.mark.imap, pytest.mark.django_db]


def _connections_to(port: int) -> int:
    """Established TCP connections from this machine to the IMAP port (the client side)."""
    count = 0
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        if not Path(table).exists():
            continue
        for line in Path(table).read_text().splitlines()[1:]:
            fields = line.split()
            remote_port = int(fields[2].rsplit(":", 1)[1], 16)
            if remote_port == port and fields[3] == "01":
                count += 1
    return count


def _wait_for(condition, timeout: float = 10.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.05)
    return condition()


def test_idle_connections_are_closed_on_time_without_another_request(signed_in_client, put_mail, dovecot, settings):
    settings.IMAP_POOL_IDLE_SECONDS = 1
    user = signed_in_client.mail_user
    put_mail(user, [build(subject="Ordre du jour")])
    gateway.pool.clear()
    before = _connections_to(dovecot.imap_port)
    assert signed_in_client.get("/mail/").status_code == 200
    key = gateway.pool.key(user.email, user.password)
    assert gateway.pool.held(key) == 1
    assert _connections_to(dovecot.imap_port) == before + 1
    started = time.monotonic()
    # Nothing else happens: the reaper alone closes it (idle limit + a quarter of it at most).
    assert _wait_for(lambda: gateway.pool.held(key) == 0, timeout=5)
    assert time.monotonic() - started < 3
    assert _wait_for(lambda: _connections_to(dovecot.imap_port) == before, timeout=5)
    # And the next click simply signs in again.
    assert "Ordre du jour" in signed_in_client.get("/mail/").content.decode()


def test_many_tabs_of_one_user_stay_within_the_bound(make_mail_user, put_mail, mail_settings, dovecot):
    mail_settings.IMAP_CONNECTIONS_PER_ACCOUNT = 2
    user = make_mail_user("onglets")
    put_mail(user, [build(subject=f"Message {i}", body="Treść wiadomości. " * 200) for i in range(8)])
    gateway.pool.clear()
    key = gateway.pool.key(user.email, user.password)
    seen, failures, stop = [], [], threading.Event()

    def watch():
        while not stop.is_set():
            seen.append(gateway.pool.held(key))
            time.sleep(0.002)

    def tab(n: int):
        try:
            for uid in range(1, 9):
                with gateway.mailbox_for(user.email, user.password) as mailbox:
                    raw = mailbox.fetch_message("INBOX", uid)
                    assert raw is not None and b"Message" in raw.raw
                    time.sleep(0.005)  # a request does more than fetch while it holds the connection
        except Exception as exc:  # noqa: BLE001 - reported below
            failures.append(exc)

    watcher = threading.Thread(target=watch)
    watcher.start()
    tabs = [threading.Thread(target=tab, args=(n,)) for n in range(8)]
    for thread in tabs:
        thread.start()
    for thread in tabs:
        thread.join()
    stop.set()
    watcher.join()
    assert failures == []
    assert max(seen) == 2  # eight tabs at once, two connections
    assert gateway.pool.held(key) <= 2


def test_a_request_beyond_the_bound_waits_then_says_try_again(signed_in_client, put_mail, mail_settings):
    mail_settings.IMAP_CONNECTIONS_PER_ACCOUNT = 1
    mail_settings.MAIL_TIMEOUT = 1
    user = signed_in_client.mail_user
    put_mail(user, [build(subject="Réunion budgétaire")])
    gateway.pool.clear()
    with gateway.mailbox_for(user.email, user.password):  # another tab's request holds the only one
        response = signed_in_client.get("/mail/")
    assert response.status_code == 503
    assert "Réunion budgétaire" in signed_in_client.get("/mail/").content.decode()  # released: works


def test_a_pooled_connection_dropped_by_the_server_is_replaced_unnoticed(signed_in_client, put_mail, uids):
    user = signed_in_client.mail_user
    put_mail(user, [build(subject="Après la coupure", body="Le serveur a coupé, rien n'y paraît.")])
    [uid] = uids(user)
    assert signed_in_client.get("/mail/").status_code == 200
    key = gateway.pool.key(user.email, user.password)
    for mailbox in gateway.pool._idle[key]:
        mailbox._conn._imap.sock.shutdown(socket.SHUT_RDWR)  # as when the server or the network dropped it while idle
    page = signed_in_client.get(f"/mail/{uid}/", {"folder": "INBOX"})
    assert page.status_code == 200 and "Après la coupure" in page.content.decode()
    assert gateway.pool.held(key) == 1
