"""Creating, renaming and deleting folders."""

from __future__ import annotations

import pytest

pytestmark = [pytest.mark.imap, pytest.mark.django_db]


def _names(imap, user):
    with imap(user) as mailbox:
        return set(mailbox.folder_names())


def test_create_rename_delete_with_non_ascii_names(signed_in_client, imap):
    user = signed_in_client.mail_user
    response = signed_in_client.post("/dossiers/creer/", {"name": "Réunions été"})
    assert response.status_code == 302
    assert "Réunions été" in _names(imap, user)
    assert "Dossier « Réunions été » créé." in signed_in_client.get("/dossiers/").content.decode()

    signed_in_client.post("/dossiers/creer/", {"name": "Août", "parent": "Réunions été"})
    assert "Réunions été/Août" in _names(imap, user)

    response = signed_in_client.post("/dossiers/renommer/", {"folder": "Réunions été/Août", "name": "Septembre"})
    assert response.status_code == 302
    assert "Réunions été/Septembre" in _names(imap, user)

    refused = signed_in_client.post("/dossiers/supprimer/", {"folder": "Réunions été"})
    assert refused.status_code == 409
    signed_in_client.post("/dossiers/supprimer/", {"folder": "Réunions été/Septembre"})
    signed_in_client.post("/dossiers/supprimer/", {"folder": "Réunions été"})
    assert not {"Réunions été", "Réunions été/Septembre"} & _names(imap, user)


def test_htmx_create_returns_the_panel_and_the_sidebar(signed_in_client):
    response = signed_in_client.post("/dossiers/creer/", {"name": "Voyages"}, HTTP_HX_REQUEST="true")
    html = response.content.decode()
    assert response.status_code == 200 and "<html" not in html
    assert 'id="folder-admin"' in html and 'hx-swap-oob="true"' in html and "Voyages" in html


@pytest.mark.parametrize("data,status,message", [
    ({"name": ""}, 400, "Saisissez un nom de dossier."),
    ({"name": "a/b"}, 400, "ne peut pas contenir « / »"),
    ({"name": "x" * 201}, 400, "trop long"),
    ({"name": "inbox"}, 400, "réservé"),
    ({"name": "bad*"}, 400, "ne peut contenir"),
    ({"name": "Trash"}, 409, "Un dossier porte déjà ce nom."),
    ({"name": "x", "parent": "Nope"}, 404, "Le dossier parent n’existe pas."),
])
def test_create_refuses_bad_names_clearly(signed_in_client, data, status, message):
    response = signed_in_client.post("/dossiers/creer/", data)
    assert response.status_code == status
    assert message in response.content.decode()


def test_special_folders_and_unknown_ones_cannot_be_renamed_or_deleted(signed_in_client):
    assert signed_in_client.post("/dossiers/renommer/", {"folder": "INBOX", "name": "x"}).status_code == 400
    assert signed_in_client.post("/dossiers/supprimer/", {"folder": "Trash"}).status_code == 400
    assert signed_in_client.post("/dossiers/supprimer/", {"folder": "Nope"}).status_code == 404
    assert signed_in_client.post("/dossiers/renommer/", {"folder": "Nope", "name": "x"}).status_code == 404


def test_folder_page_lists_folders_with_labels_and_forms(signed_in_client, imap):
    with imap(signed_in_client.mail_user) as mailbox:
        mailbox.create_folder("Perso")
    html = signed_in_client.get("/dossiers/").content.decode()
    assert "Corbeille" in html and "Perso" in html
    assert html.count('action="/dossiers/supprimer/"') == 1  # only the user's own folder
    assert '<label for="new-folder-name">Nom du nouveau dossier</label>' in html
