"""Annuler for every action on mail: archive, delete, move, read/unread, star; with and without
JavaScript, against the real Dovecot (UIDPLUS COPYUID), including a folder the server renumbered."""

from __future__ import annotations

import email
import re
from email import policy
from email.utils import make_msgid

import pytest

from tests.mailbox.conftest import build
from webmail.undo.models import MailAction

pytestmark = [pytest.mark.imap, pytest.mark.django_db]

LONG = "\n".join(f"Ligne {i} : compte rendu détaillé, Zażółć gęślą jaźń, تقرير مفصل." for i in range(400))


@pytest.fixture
def inbox(signed_in_client, put_mail, uids):
    """Three real-sized messages in French, Polish and Arabic, the second read and starred."""
    user = signed_in_client.mail_user
    put_mail(user, [_with_id(build(subject="Compte rendu du comité", body=LONG)),
                    _with_id(build(subject="Spotkanie w Krakowie", body=LONG, sender="Jerzy <jerzy@example.pl>"))])
    put_mail(user, [_with_id(build(subject="اجتماع الفريق", body=LONG, sender="Samira <samira@example.ma>"))])
    with_flags = uids(user)
    from webmail.imap.gateway import mailbox_for

    with mailbox_for(user.email, user.password) as mailbox:
        mailbox.set_flag("INBOX", [with_flags[1]], "\\Seen", True)
        mailbox.set_flag("INBOX", [with_flags[1]], "\\Flagged", True)
    return with_flags


def _with_id(raw: bytes) -> bytes:
    return f"Message-ID: {make_msgid(domain='example.fr')}\n".encode() + raw


def _post(client, action, uids, folder="INBOX", htmx=False, **extra):
    data = {"action": action, "msg": [f"{uid}:{folder}" for uid in uids], "next": f"/mail/?folder={folder}", **extra}
    headers = {"HTTP_HX_REQUEST": "true"} if htmx else {}
    return client.post("/mail/actions/", data, **headers)


def _state(imap, user, folder="INBOX"):
    """{subject: flags} of a folder, what the user would see."""
    with imap(user) as mailbox:
        found = {}
        for uid in mailbox.search(folder, ["ALL"]):
            message = mailbox.fetch_message(folder, uid)
            subject = email.message_from_bytes(message.raw, policy=policy.default)["Subject"]
            found[subject] = set(message.flags) - {"\\Recent"}
        return found


def _undo_form(page: str) -> str:
    found = re.search(r'<form method="post" action="(/annuler/\d+/)"', page)
    assert found, "no Annuler on the toast"
    return found.group(1)


def test_archive_then_annuler_without_js_puts_everything_back_with_flags(signed_in_client, inbox, imap):
    user = signed_in_client.mail_user
    before = _state(imap, user)
    response = _post(signed_in_client, "archive", inbox)
    assert response.status_code == 302
    page = signed_in_client.get(response["Location"]).content.decode()
    assert "3 messages archivés" in page, "the next page offers the undo"
    assert _state(imap, user) == {}
    undo = _undo_form(page)

    response = signed_in_client.post(undo, {"next": "/mail/?folder=INBOX"})
    assert response.status_code == 302 and response["Location"] == "/mail/?folder=INBOX"
    assert _state(imap, user) == before, "back in the inbox with their flags"
    assert _state(imap, user, "Archive") == {}
    assert "3 messages remis en place." in signed_in_client.get("/mail/").content.decode()
    # A second Annuler (a double click, `z` then a click) does nothing more.
    assert signed_in_client.post(undo).status_code == 409


def test_delete_to_trash_and_move_are_undone_with_htmx(signed_in_client, inbox, imap):
    user = signed_in_client.mail_user
    with imap(user) as mailbox:
        mailbox.create_folder("Clients")
    before = _state(imap, user)
    for action, extra, where in (("delete", {}, "Trash"), ("move", {"target": "Clients"}, "Clients")):
        response = _post(signed_in_client, action, inbox[:2], htmx=True, **extra)
        assert response.status_code == 200
        assert "mail-undo" in response["HX-Trigger"], "the toast region is told to look"
        assert len(_state(imap, user, where)) == 2
        toasts = signed_in_client.get("/envoi/toasts/", HTTP_HX_REQUEST="true").content.decode()
        sentence = "2 messages placés dans la corbeille" if action == "delete" else "2 messages déplacés"
        assert sentence in toasts and "data-undo" in toasts
        response = signed_in_client.post(_undo_form(toasts), HTTP_HX_REQUEST="true")
        assert response.status_code == 200 and response["HX-Refresh"] == "true"
        assert _state(imap, user) == before and _state(imap, user, where) == {}
        inbox = sorted(_uids(imap, user))


def _uids(imap, user, folder="INBOX"):
    with imap(user) as mailbox:
        return mailbox.search(folder, ["ALL"])


@pytest.mark.parametrize("action,flag", [("read", "\\Seen"), ("unread", "\\Seen"), ("star", "\\Flagged"),
                                          ("unstar", "\\Flagged")])
def test_flag_changes_are_undone_only_where_they_changed_something(signed_in_client, inbox, imap, action, flag):
    user = signed_in_client.mail_user
    before = _state(imap, user)
    _post(signed_in_client, action, inbox)
    assert _state(imap, user) != before
    page = signed_in_client.get("/mail/").content.decode()
    signed_in_client.post(_undo_form(page))
    assert _state(imap, user) == before, "the second message keeps its own flags"


def test_a_message_moved_elsewhere_meanwhile_is_left_there_and_said_so(signed_in_client, inbox, imap):
    user = signed_in_client.mail_user
    _post(signed_in_client, "archive", inbox)
    with imap(user) as mailbox:
        archived = mailbox.search("Archive", ["ALL"])
        mailbox.move("Archive", archived[:1], "Trash")  # another client files one away
    page = signed_in_client.get("/mail/").content.decode()
    response = signed_in_client.post(_undo_form(page), follow=True)
    text = response.content.decode()
    assert "2 messages remis en place." in text
    assert "1 message avait été déplacé ou supprimé entre-temps" in text
    assert len(_uids(imap, user)) == 2 and len(_uids(imap, user, "Trash")) == 1


def test_after_the_server_renumbers_the_folder_messages_are_found_by_message_id(signed_in_client, inbox, imap,
                                                                                 dovecot):
    """A new UIDVALIDITY (the server rebuilt its index): the recorded UIDs mean nothing any more,
    the Message-IDs recorded with them still find the messages."""
    user = signed_in_client.mail_user
    before = _state(imap, user)
    _post(signed_in_client, "archive", inbox)
    action = MailAction.objects.get()
    step = action.steps[0]["move"]
    # What a renumbered folder looks like from here: another UIDVALIDITY and unrelated UIDs.
    step["uidvalidity"] += 1
    step["uids"] = {str(int(uid) + 1000): message_id for uid, message_id in step["uids"].items()}
    MailAction.objects.filter(pk=action.pk).update(steps=[{"move": step}])
    assert all(step["uids"].values()), "every message's Message-ID was recorded"
    signed_in_client.post(f"/annuler/{action.pk}/")
    assert _state(imap, user) == before


def test_moved_uids_come_from_the_servers_copyuid(signed_in_client, inbox, imap):
    user = signed_in_client.mail_user
    with imap(user) as mailbox:
        ids = mailbox.message_ids("INBOX", inbox)
        moved = mailbox.move("INBOX", inbox, "Archive")
        assert sorted(moved.uids) == mailbox.search("Archive", ["ALL"])
        assert sorted(moved.uids.values()) == sorted(ids.values())
        assert moved.uidvalidity == mailbox.flags_of("Archive", list(moved.uids))[0]


def test_without_uidplus_the_moved_messages_are_found_by_message_id_among_new_uids(signed_in_client, inbox, imap):
    """The documented fallback for servers without UIDPLUS: the target's UIDNEXT before the move,
    then a search by Message-ID from it on (the same answer COPYUID would have given)."""
    user = signed_in_client.mail_user
    with imap(user) as mailbox:
        same_id = mailbox.message_ids("INBOX", inbox[:1])[inbox[0]]
    put = f"Message-ID: {same_id}\n".encode() + build(subject="Compte rendu du comité", body=LONG)  # an older copy
    with imap(user) as mailbox:
        mailbox.append("Archive", put)
        client = mailbox._client
        capabilities = client.capabilities()
        client._cached_capabilities = tuple(c for c in capabilities if c != b"UIDPLUS")
        try:
            moved = mailbox.move("INBOX", inbox, "Archive")
        finally:
            client._cached_capabilities = capabilities
        archived = mailbox.search("Archive", ["ALL"])
        assert sorted(moved.uids) == archived[1:], "the new copies, never the older one"


def test_deleting_from_the_trash_asks_first_and_has_no_undo(signed_in_client, inbox, imap):
    user = signed_in_client.mail_user
    _post(signed_in_client, "delete", inbox)
    trashed = _uids(imap, user, "Trash")
    response = _post(signed_in_client, "delete", trashed, folder="Trash")
    assert response.status_code == 200
    page = response.content.decode()
    assert "Ces 3 messages seront supprimés définitivement" in page
    assert _uids(imap, user, "Trash") == trashed
    MailAction.objects.all().delete()
    response = _post(signed_in_client, "delete", trashed, folder="Trash", confirmed="1")
    assert response.status_code == 302
    assert _uids(imap, user, "Trash") == []
    assert not MailAction.objects.exists()
    assert "data-mail-undo" not in signed_in_client.get(response["Location"]).content.decode()


def test_annuler_is_post_only_and_only_for_its_owner(signed_in_client, inbox, client, make_mail_user):
    _post(signed_in_client, "archive", inbox[:1])
    action = MailAction.objects.get()
    assert signed_in_client.get(f"/annuler/{action.pk}/").status_code == 405
    other = make_mail_user("mallory")
    client.logout()
    from django.test import Client

    intruder = Client()
    intruder.post("/compte/connexion/", {"email": other.email, "password": other.password})
    response = intruder.post(f"/annuler/{action.pk}/")
    assert response.status_code == 409
    assert MailAction.objects.get().state == MailAction.State.OPEN


def test_mail_server_down_at_annuler_keeps_it_possible(signed_in_client, inbox, imap, mail_settings):
    from webmail.demo.dovecot import free_port
    from webmail.imap import gateway

    _post(signed_in_client, "archive", inbox)
    action = MailAction.objects.get()
    port = mail_settings.IMAP_PORT
    mail_settings.IMAP_PORT = free_port()
    gateway.pool.clear()
    assert signed_in_client.post(f"/annuler/{action.pk}/").status_code == 503
    assert MailAction.objects.get().state == MailAction.State.OPEN
    mail_settings.IMAP_PORT = port
    gateway.pool.clear()
    assert signed_in_client.post(f"/annuler/{action.pk}/").status_code == 302
    assert len(_uids(imap, signed_in_client.mail_user)) == 3


def test_old_actions_are_forgotten_by_the_daily_task(signed_in_client, inbox):
    from datetime import timedelta

    from django.utils import timezone

    from webmail.undo.tasks import forget_old_actions

    _post(signed_in_client, "archive", inbox[:1])
    _post(signed_in_client, "star", inbox[2:3])
    MailAction.objects.filter(action="archive").update(created_at=timezone.now() - timedelta(days=3))
    assert forget_old_actions() == 1
    assert list(MailAction.objects.values_list("action", flat=True)) == ["star"]


def test_archive_from_the_reading_pane_offers_annuler_on_the_next_page(signed_in_client, inbox, imap):
    data = {"action": "archive", "msg": f"{inbox[0]}:INBOX", "view": "message", "next": "/mail/?folder=INBOX"}
    response = signed_in_client.post("/mail/actions/", data, HTTP_HX_REQUEST="true")
    assert response.status_code == 204 and response["HX-Redirect"] == "/mail/?folder=INBOX"
    page = signed_in_client.get("/mail/?folder=INBOX").content.decode()
    assert page.count("1 message archivé.") == 1, "said once, by the toast"
    signed_in_client.post(_undo_form(page))
    assert len(_uids(imap, signed_in_client.mail_user)) == 3
