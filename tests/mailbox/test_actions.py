"""Actions on messages, single and bulk, with and without HTMX."""

from __future__ import annotations

import pytest

from tests.mailbox.conftest import build

pytestmark = [pytest.mark.imap, pytest.mark.django_db]


@pytest.fixture
def three(signed_in_client, put_mail, uids):
    user = signed_in_client.mail_user
    put_mail(user, [build(subject=f"Sujet {i}") for i in range(3)])
    return uids(user)


def _post(client, action, uids, folder="INBOX", htmx=False, **extra):
    data = {"action": action, "msg": [f"{uid}:{folder}" for uid in uids], "next": f"/mail/?folder={folder}", **extra}
    headers = {"HTTP_HX_REQUEST": "true"} if htmx else {}
    return client.post("/mail/actions/", data, **headers)


def test_star_and_unstar_in_bulk_without_js(signed_in_client, three, flags_of):
    user = signed_in_client.mail_user
    response = _post(signed_in_client, "star", three[:2])
    assert response.status_code == 302 and response["Location"] == "/mail/?folder=INBOX"
    assert "\\Flagged" in flags_of(user, "INBOX", three[0]) and "\\Flagged" in flags_of(user, "INBOX", three[1])
    assert "\\Flagged" not in flags_of(user, "INBOX", three[2])
    page = signed_in_client.get("/mail/").content.decode()
    assert "2 messages suivis." in page
    _post(signed_in_client, "unstar", three[:1])
    assert "\\Flagged" not in flags_of(user, "INBOX", three[0])


def test_row_star_button_acts_on_that_message_only(signed_in_client, three, flags_of):
    user = signed_in_client.mail_user
    response = signed_in_client.post(
        "/mail/actions/", {"one": f"star:{three[1]}:INBOX", "msg": [f"{three[0]}:INBOX"]}, HTTP_HX_REQUEST="true"
    )
    assert response.status_code == 200
    assert f'value="unstar:{three[1]}:INBOX"' in response.content.decode()
    assert "\\Flagged" not in flags_of(user, "INBOX", three[0])


def test_read_unread_in_bulk_with_htmx_returns_the_list(signed_in_client, three, flags_of):
    user = signed_in_client.mail_user
    response = _post(signed_in_client, "read", three, htmx=True)
    html = response.content.decode()
    assert response.status_code == 200 and "<html" not in html
    assert "3 messages marqués comme lus." in html
    assert 'class="message unread"' not in html
    assert all("\\Seen" in flags_of(user, "INBOX", uid) for uid in three)
    _post(signed_in_client, "unread", three[:1], htmx=True)
    assert "\\Seen" not in flags_of(user, "INBOX", three[0])


def test_move_to_a_folder(signed_in_client, three, imap, uids):
    user = signed_in_client.mail_user
    with imap(user) as mailbox:
        mailbox.create_folder("Factures")
    response = _post(signed_in_client, "move", three[:2], target="Factures")
    assert response.status_code == 302
    assert len(uids(user, "Factures")) == 2 and len(uids(user)) == 1
    assert _post(signed_in_client, "move", three[2:], target="Nulle part").status_code == 400


def test_archive_goes_to_the_special_use_archive(signed_in_client, three, uids):
    user = signed_in_client.mail_user
    _post(signed_in_client, "archive", three)
    assert len(uids(user, "Archive")) == 3 and uids(user) == []


def test_delete_moves_to_trash_then_deletes_for_good(signed_in_client, three, uids):
    user = signed_in_client.mail_user
    _post(signed_in_client, "delete", three[:2])
    trashed = uids(user, "Trash")
    assert len(trashed) == 2 and len(uids(user)) == 1
    # For good: asked first (the one action without undo), nothing deleted until confirmed.
    response = _post(signed_in_client, "delete", trashed, folder="Trash", htmx=True)
    assert response["HX-Retarget"] == "#main" and "Supprimer définitivement ?" in response.content.decode()
    assert uids(user, "Trash") == trashed
    response = _post(signed_in_client, "delete", trashed, folder="Trash", htmx=True, confirmed="1")
    assert "2 messages supprimés définitivement." in response.content.decode()
    assert uids(user, "Trash") == []


def test_actions_from_the_reading_pane(signed_in_client, three, uids, flags_of):
    user = signed_in_client.mail_user
    data = {"action": "star", "msg": f"{three[0]}:INBOX", "view": "message", "next": "/mail/?folder=INBOX"}
    response = signed_in_client.post("/mail/actions/", data, HTTP_HX_REQUEST="true")
    assert response.status_code == 200 and 'aria-pressed="true"' in response.content.decode()
    assert "\\Flagged" in flags_of(user, "INBOX", three[0])
    data["action"] = "archive"
    response = signed_in_client.post("/mail/actions/", data, HTTP_HX_REQUEST="true")
    assert response.status_code == 204 and response["HX-Redirect"] == "/mail/?folder=INBOX"
    assert len(uids(user, "Archive")) == 1


def test_bulk_actions_across_folders_from_search_results(signed_in_client, put_mail, uids):
    user = signed_in_client.mail_user
    put_mail(user, [build(subject="Partout")])
    put_mail(user, [build(subject="Partout")], folder="Archive")
    [inbox_uid], [archive_uid] = uids(user), uids(user, "Archive")
    response = signed_in_client.post("/mail/actions/", {"action": "delete",
                                                        "msg": [f"{inbox_uid}:INBOX", f"{archive_uid}:Archive"]})
    assert response.status_code == 302
    assert len(uids(user, "Trash")) == 2


@pytest.mark.parametrize("data,status", [
    ({"action": "star"}, 400),  # nothing selected
    ({"action": "explode", "msg": "1:INBOX"}, 400),
    ({"action": "star", "msg": "abc:INBOX"}, 400),
    ({"action": "star", "msg": "1"}, 400),
    ({"action": "star", "msg": "1:Nope"}, 404),
    ({"one": "star:x:INBOX"}, 400),
])
def test_bad_action_input_is_4xx_with_a_message(signed_in_client, data, status):
    response = signed_in_client.post("/mail/actions/", data)
    assert response.status_code == status
    assert 'role="alert"' in response.content.decode()
    htmx = signed_in_client.post("/mail/actions/", data, HTTP_HX_REQUEST="true")
    assert htmx.status_code == status and "<html" not in htmx.content.decode()


def test_next_must_stay_on_this_site(signed_in_client, three):
    response = _post(signed_in_client, "read", three, next="https://evil.example/")
    assert response["Location"] == "/mail/?folder=INBOX"
