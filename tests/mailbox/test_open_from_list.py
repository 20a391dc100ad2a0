"""Opening a message from the list page just shown, when the process holds it (fetched ahead, or
opened before): no IMAP round trip (webmail/mailbox/reading.py `read_for_page`). The page shows
the flags and counts of that list page, never from before a change the reader made since; marking
it read is sent without waiting, and done again if the connection turns out dead."""

from __future__ import annotations

import subprocess

import pytest
from django.urls import reverse

from tests.mailbox.conftest import build
from webmail.imap import gateway
from webmail.mailbox import message_cache, prefetch, reading
from webmail.mailbox.message_cache import Listed

pytestmark = [pytest.mark.imap, pytest.mark.django_db]

LETTER = (
    "<p>Bonjour Agnieszka,</p>"
    + "<p>Voici le compte rendu du comité de pilotage : Zażółć gęślą jaźń — مرحبا بكم.</p>" * 40
)


@pytest.fixture(autouse=True)
def _settled_prefetch():
    yield
    prefetch.wait_idle()


@pytest.fixture
def held(signed_in_client, put_mail, uids, settings):
    """Four unread letters in the inbox, the list shown and the newest three fetched ahead."""
    settings.PREFETCH_MESSAGES = 3
    user = signed_in_client.mail_user
    put_mail(user, [build(subject=f"Compte rendu n° {i}", html=LETTER + f"<p>fin {i}</p>") for i in range(4)])
    newest = sorted(uids(user), reverse=True)
    assert signed_in_client.get("/mail/").status_code == 200
    assert prefetch.wait_idle()
    settings.PREFETCH_MESSAGES = 0  # nothing more in the background: the tests look at the pool
    return newest


@pytest.fixture
def round_trips(monkeypatch):
    """The reading pane's IMAP round trips (`Mailbox.open_message`), counted (the real one runs)."""
    calls = []
    real = gateway.Mailbox.open_message

    def open_message(self, *args, **kwargs):
        calls.append(args)
        return real(self, *args, **kwargs)

    monkeypatch.setattr(gateway.Mailbox, "open_message", open_message)
    return calls


def _open(client, uid):
    page = client.get(f"/mail/{uid}/", {"folder": "INBOX"})
    frame = client.get(f"/mail/{uid}/corps/", {"folder": "INBOX"})
    assert page.status_code == 200 and frame.status_code == 200
    return page.content.decode(), frame.content.decode()


def test_a_held_message_opens_without_a_round_trip_and_is_marked_read(
    signed_in_client, held, round_trips, flags_of
):
    user = signed_in_client.mail_user
    page, frame = _open(signed_in_client, held[0])
    assert "Compte rendu n° 3" in page and "fin 3" in frame
    assert round_trips == []
    # The inbox count already says it was read: 3 of the 4 are left.
    assert '<span class="count" aria-label="3 non lus">3</span>' in page
    gateway.pool.settle_idle()
    assert "\\Seen" in flags_of(user, "INBOX", held[0])
    # The list agrees with the server.
    listing = signed_in_client.get("/mail/").content.decode()
    assert '<span class="count" aria-label="3 non lus">3</span>' in listing


def test_the_next_request_reads_the_answer_first(signed_in_client, held, flags_of):
    user = signed_in_client.mail_user
    _open(signed_in_client, held[0])
    _open(signed_in_client, held[1])
    assert signed_in_client.get("/mail/").status_code == 200  # took the connection: settled it
    key = gateway.pool.key(user.email, user.password)
    assert all(not m._unanswered for m in gateway.pool._idle.get(key, []))
    assert {"\\Seen"} <= flags_of(user, "INBOX", held[0]) & flags_of(user, "INBOX", held[1])


def test_a_star_given_since_the_list_is_shown_not_the_list_page(signed_in_client, held, round_trips, flags_of):
    response = signed_in_client.post("/mail/actions/", {"one": f"star:{held[0]}:INBOX"}, HTTP_HX_REQUEST="true")
    assert response.status_code == 200
    page, _frame = _open(signed_in_client, held[0])
    assert len(round_trips) == 1  # the list page is older than the reader's change: asked afresh
    assert 'aria-pressed="true"' in page


def test_a_list_page_older_than_the_limit_is_not_used(signed_in_client, held, round_trips, monkeypatch):
    monkeypatch.setattr(message_cache, "LISTED_SECONDS", 0)
    page, _frame = _open(signed_in_client, held[0])
    assert len(round_trips) == 1 and "Compte rendu n° 3" in page


def test_a_message_not_held_is_fetched(signed_in_client, held, round_trips):
    page, _frame = _open(signed_in_client, held[3])  # the fourth: not fetched ahead
    assert len(round_trips) == 1 and "Compte rendu n° 0" in page


def test_another_folder_list_is_no_help(signed_in_client, held, round_trips):
    assert signed_in_client.get("/mail/", {"folder": "Archive"}).status_code == 200
    _open(signed_in_client, held[0])
    assert len(round_trips) == 1


def test_the_mark_read_is_done_again_when_the_connection_died_unanswered(
    signed_in_client, held, dovecot, flags_of
):
    user = signed_in_client.mail_user
    # The server drops every connection (a restart, an admin kicking users) while the list is read.
    subprocess.run(["pkill", "-f", f"^dovecot-webmail-{dovecot.imap_port}/imap$"], check=True)
    page, _frame = _open(signed_in_client, held[0])
    assert "Compte rendu n° 3" in page
    gateway.pool.settle_idle()
    assert "\\Seen" in flags_of(user, "INBOX", held[0])
    assert "\\Seen" not in flags_of(user, "INBOX", held[1])


def test_the_reaper_settles_a_connection_left_idle(signed_in_client, held, flags_of):
    user = signed_in_client.mail_user
    _open(signed_in_client, held[0])
    key = gateway.pool.key(user.email, user.password)
    gateway.pool.reap()  # as its thread does each second (it may have already)
    assert gateway.pool.held(key) >= 1 and not any(m._unanswered for m in gateway.pool._idle[key])
    assert "\\Seen" in flags_of(user, "INBOX", held[0])


def test_signing_out_forgets_the_list_page(signed_in_client, held):
    user = signed_in_client.mail_user
    key = gateway.pool.key(user.email, user.password)
    assert message_cache.cache.listed(key, "INBOX", held[0], not_before=0) is not None
    signed_in_client.post(reverse("accounts:logout"))
    assert message_cache.cache.listed(key, "INBOX", held[0], not_before=0) is None


def test_a_read_message_lowers_its_folder_count_once():
    folders = [gateway.Folder("INBOX", "/", None, 4, 2, True), gateway.Folder("Archive", "/", "\\Archive", 9, 1, True)]
    listed = Listed("INBOX", 7, {10: frozenset(), 11: frozenset({"\\Seen"})}, folders, 0.0)
    listed.seen(10)
    listed.seen(10)
    listed.seen(11)
    assert listed.flags[10] == {"\\Seen"}
    assert [(f.name, f.unseen) for f in listed.folders] == [("INBOX", 1), ("Archive", 1)]


def test_the_flags_kept_of_a_row_are_the_ones_it_shows():
    read_and_starred = gateway.Envelope(1, "", "", "", (), None, True, True, False, False, "", 10)
    answered = gateway.Envelope(2, "", "", "", (), None, False, False, True, False, "", 10)
    assert reading._flags_of(read_and_starred) == {"\\Seen", "\\Flagged"}
    assert reading._flags_of(answered) == {"\\Answered"}


def test_a_message_deleted_elsewhere_since_the_list_is_said_gone(signed_in_client, held, imap, round_trips):
    user = signed_in_client.mail_user
    with imap(user) as mailbox:  # another mail client deletes the fourth (not fetched ahead)
        mailbox.delete_permanently("INBOX", [held[3]])
    response = signed_in_client.get(f"/mail/{held[3]}/", {"folder": "INBOX"})
    assert response.status_code == 404 and len(round_trips) == 1
    assert "Ce message n’existe plus" in response.content.decode()
