"""Opened messages kept in the web process (webmail/mailbox/message_cache.py): fetched, parsed and
sanitised once, and never wrong: a new UIDVALIDITY, another user, sign-out, fresh flags; the
hostile and malformed corpora give the same bytes from the cache as from a fresh sanitise."""

from __future__ import annotations

import re
from email.message import EmailMessage
from pathlib import Path

import pytest

from tests.mailbox.conftest import build
from webmail.imap import gateway
from webmail.mailbox import prefetch, reading
from webmail.mailbox.message_cache import cache

pytestmark = [pytest.mark.imap, pytest.mark.django_db]

HOSTILE = sorted((Path(__file__).parent / "hostile").glob("*.html"))
MALFORMED = sorted((Path(__file__).parent / "malformed").glob("*.eml"))

LETTER = (
    "<p>Chère Agnieszka,</p>"
    + "<p>Voici le compte rendu de la réunion du comité de pilotage, avec les décisions prises. "
      "Zażółć gęślą jaźń — مرحبا بكم في الاجتماع.</p>" * 40
    + '<p><img src="https://tracker.example/pixel.gif" alt=""></p>'
)


@pytest.fixture(autouse=True)
def _settled_prefetch():
    """A fetch ahead left running by one test must not reach into the next one."""
    yield
    prefetch.wait_idle()


@pytest.fixture
def counted(monkeypatch):
    """How many times a message was parsed and how many message bytes were fetched (spies on
    our own functions, the real ones run)."""
    calls = {"parse": 0, "bodies": 0}
    real_parse = reading.parse_message
    real_open = gateway.Mailbox.open_message

    def parse(raw):
        calls["parse"] += 1
        return real_parse(raw)

    def open_message(self, *args, **kwargs):
        raw, folders = real_open(self, *args, **kwargs)
        calls["bodies"] += raw is not None and raw.raw is not None
        return raw, folders

    monkeypatch.setattr(reading, "parse_message", parse)
    monkeypatch.setattr(gateway.Mailbox, "open_message", open_message)
    return calls


def _open(client, uid, folder="INBOX"):
    page = client.get(f"/mail/{uid}/", {"folder": folder})
    frame = client.get(f"/mail/{uid}/corps/", {"folder": folder})
    assert page.status_code == 200 and frame.status_code == 200
    return page.content.decode(), frame.content.decode()


def _unsigned(frame: str) -> str:
    """The frame with its image URLs' signatures taken out: a token signs its payload with the
    second it was made, so two sanitises made at different times differ only there."""
    return re.sub(r"(/mail/image/[^:/\"]+):[^:/\"]+:[^:/\"]+/", r"\1/", frame)


def _key(user) -> str:
    return gateway.pool.key(user.email, user.password)


def test_page_and_frame_fetch_and_parse_the_message_once(signed_in_client, put_mail, uids, counted, settings):
    settings.PREFETCH_MESSAGES = 0
    user = signed_in_client.mail_user
    put_mail(user, [build(subject="Compte rendu du comité", html=LETTER)])
    [uid] = uids(user)
    page, frame = _open(signed_in_client, uid)
    assert "Compte rendu du comité" in page and "Zażółć gęślą jaźń" in frame
    assert "tracker.example" not in frame
    assert counted == {"parse": 1, "bodies": 1}
    page, frame = _open(signed_in_client, uid)  # opened again: flags fetched, nothing parsed
    assert "Compte rendu du comité" in page and "Zażółć gęślą jaźń" in frame
    assert counted == {"parse": 1, "bodies": 1}


def test_a_new_uidvalidity_shows_the_new_message_not_the_kept_one(signed_in_client, put_mail, uids, imap):
    user = signed_in_client.mail_user
    with imap(user) as mailbox:
        mailbox.create_folder("Projets")
    put_mail(user, [build(subject="Ancien projet", body="Budget de l'ancien projet : 12 000 €.")], folder="Projets")
    [uid] = uids(user, "Projets")
    page, frame = _open(signed_in_client, uid, "Projets")
    assert "Ancien projet" in page and "12 000 €" in frame
    # Another client deletes the folder and creates it again: a new UIDVALIDITY, the same UID 1.
    gateway.pool.clear()  # (the webmail's connection has it selected: Dovecot would drop it)
    with imap(user) as mailbox:
        before = mailbox._client.folder_status("Projets", [b"UIDVALIDITY"])[b"UIDVALIDITY"]
        mailbox.delete_folder("Projets")
        mailbox.create_folder("Projets")
    put_mail(user, [build(subject="Nouveau projet", body="Budget du nouveau projet : 48 000 zł.")], folder="Projets")
    assert uids(user, "Projets") == [uid]
    with imap(user) as mailbox:
        assert mailbox._client.folder_status("Projets", [b"UIDVALIDITY"])[b"UIDVALIDITY"] != before
    page, frame = _open(signed_in_client, uid, "Projets")
    assert "Nouveau projet" in page and "48 000 zł" in frame
    assert "Ancien projet" not in page and "12 000 €" not in frame


def test_another_user_never_sees_what_was_kept_for_the_first(client, make_mail_user, put_mail, uids):
    anna, bartek = make_mail_user("anna"), make_mail_user("bartek")
    put_mail(anna, [build(subject="Salaire d’Anna", body="Le salaire d’Anna est confidentiel.")])
    put_mail(bartek, [build(subject="Wiadomość Bartka", body="Dzień dobry, to wiadomość Bartka.")])
    [uid] = uids(anna)
    assert uids(bartek) == [uid]  # the same folder, the same UID (and often the same UIDVALIDITY)
    for user, mine, theirs in ((anna, "Salaire d’Anna", "Bartka"), (bartek, "Wiadomość Bartka", "Anna")):
        assert client.post("/compte/connexion/", {"email": user.email, "password": user.password}).status_code == 302
        page, frame = _open(client, uid)
        assert mine in page and theirs not in page and theirs not in frame
        client.post("/compte/deconnexion/")


def test_signing_out_drops_the_kept_messages(signed_in_client, put_mail, uids):
    user = signed_in_client.mail_user
    put_mail(user, [build(subject="Avant de partir", body="À demain.")])
    [uid] = uids(user)
    _open(signed_in_client, uid)
    with gateway.mailbox_for(user.email, user.password) as mailbox:
        uidvalidity = mailbox._client.folder_status("INBOX", [b"UIDVALIDITY"])[b"UIDVALIDITY"]
    assert cache.get(_key(user), "INBOX", uidvalidity, uid) is not None
    assert signed_in_client.post("/compte/deconnexion/").status_code == 302
    assert cache.get(_key(user), "INBOX", uidvalidity, uid) is None
    assert signed_in_client.get(f"/mail/{uid}/corps/", {"folder": "INBOX"}).status_code == 302  # to sign-in


def test_flags_are_fetched_afresh_and_a_kept_message_is_still_marked_read(
    signed_in_client, put_mail, uids, imap, flags_of
):
    user = signed_in_client.mail_user
    put_mail(user, [build(subject="Relance facture n° 2024-117")])
    [uid] = uids(user)
    page, _frame = _open(signed_in_client, uid)
    assert 'aria-pressed="false"' in page and "\\Seen" in flags_of(user, "INBOX", uid)
    # Another client stars it and marks it unread.
    with imap(user) as mailbox:
        mailbox.set_flag("INBOX", [uid], "\\Flagged", True)
        mailbox.set_flag("INBOX", [uid], "\\Seen", False)
    page, _frame = _open(signed_in_client, uid)  # from the cache: the bytes, not the flags
    assert 'aria-pressed="true"' in page
    assert "\\Seen" in flags_of(user, "INBOX", uid)


@pytest.mark.parametrize("path", HOSTILE, ids=lambda p: p.stem)
def test_hostile_html_from_the_cache_is_the_same_bytes_as_a_fresh_sanitise(signed_in_client, put_mail, uids, path):
    message = EmailMessage()
    message["Subject"] = path.stem
    message["From"] = "Mallory <mallory@evil.example>"
    message["To"] = "alice@example.test"
    message.set_content(path.read_bytes().decode("utf-8", "replace"), subtype="html")
    user = signed_in_client.mail_user
    put_mail(user, [message.as_bytes()])
    [uid] = uids(user)
    _page, first = _open(signed_in_client, uid)  # parsed and sanitised, then kept
    _page, kept = _open(signed_in_client, uid)  # from the cache
    cache.clear()
    fresh = signed_in_client.get(f"/mail/{uid}/corps/", {"folder": "INBOX"}).content.decode()
    assert first == kept
    assert _unsigned(kept) == _unsigned(fresh)


def test_malformed_mail_from_the_cache_is_the_same_as_fresh(signed_in_client, put_mail, uids):
    user = signed_in_client.mail_user
    raws = [path.read_bytes() for path in MALFORMED]
    put_mail(user, raws)
    for uid in uids(user):
        page, frame = _open(signed_in_client, uid)
        again_page, again_frame = _open(signed_in_client, uid)
        cache.clear()
        fresh = signed_in_client.get(f"/mail/{uid}/corps/", {"folder": "INBOX"}).content.decode()
        assert frame == again_frame, uid
        assert _unsigned(again_frame) == _unsigned(fresh), uid
        assert ("Ce message est abîmé ou inhabituel" in page) == ("Ce message est abîmé ou inhabituel" in again_page)
