"""Search, run on the server with IMAP SEARCH in UTF-8."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from tests.mailbox.conftest import build

pytestmark = [pytest.mark.imap, pytest.mark.django_db]


@pytest.fixture
def corpus(signed_in_client, imap, put_mail):
    user = signed_in_client.mail_user
    put_mail(user, [
        build(subject="Réunion budget", sender="Renée <renee@example.fr>", to="compta@example.test",
              body="Ordre du jour : dépenses"),
        build(subject="Vacances", sender="Paul <paul@example.fr>", to="amis@example.test",
              cc="compta@example.test", body="Photos de la plage"),
        build(subject="Facture", sender="Shop <shop@example.com>", body="Merci pour votre réunion d'achat"),
    ])
    with imap(user) as mailbox:
        mailbox.append("INBOX", build(subject="Vieux message", body="archives"),
                       when=datetime(2020, 1, 15, 12, 0, tzinfo=UTC))
    put_mail(user, [build(subject="Réunion archivée", body="ancienne réunion")], folder="Archive")
    return user


def _subjects(client, **params):
    response = client.get("/mail/", params)
    assert response.status_code == 200
    html = response.content.decode()
    return {s for s in ("Réunion budget", "Vacances", "Facture", "Vieux message", "Réunion archivée") if s in html}


def test_each_criterion(signed_in_client, corpus):
    c = signed_in_client
    assert _subjects(c, folder="INBOX", **{"from": "renee"}) == {"Réunion budget"}
    assert _subjects(c, folder="INBOX", to="compta@example.test") == {"Réunion budget", "Vacances"}
    assert _subjects(c, folder="INBOX", subject="réunion") == {"Réunion budget"}
    assert _subjects(c, folder="INBOX", body="plage") == {"Vacances"}
    assert _subjects(c, folder="INBOX", until="2020-01-15") == {"Vieux message"}
    assert _subjects(c, folder="INBOX", since="2021-01-01", q="réunion") == {"Réunion budget", "Facture"}


def test_top_bar_search_looks_in_every_folder_and_advanced_can_limit(signed_in_client, corpus):
    everywhere = signed_in_client.get("/mail/", {"q": "réunion"}).content.decode()
    assert "Réunion budget" in everywhere and "Réunion archivée" in everywhere
    assert 'value="' in everywhere and ":Archive\"" in everywhere  # rows carry their own folder
    assert _subjects(signed_in_client, q="réunion", folder="INBOX", scope="folder") == {"Réunion budget", "Facture"}
    assert _subjects(signed_in_client, q="réunion", folder="Archive", scope="folder") == {"Réunion archivée"}


def test_no_result_and_bad_dates(signed_in_client, corpus):
    html = signed_in_client.get("/mail/", {"q": "introuvable"}).content.decode()
    assert "Aucun message ne correspond à cette recherche." in html
    assert signed_in_client.get("/mail/", {"since": "pas une date"}).status_code == 400
    response = signed_in_client.get("/mail/", {"since": "2024-02-01", "until": "2024-01-01"})
    assert response.status_code == 400
    assert "postérieure" in response.content.decode()


def test_advanced_search_form_has_labelled_fields(signed_in_client):
    html = signed_in_client.get("/mail/recherche/", {"folder": "INBOX"}).content.decode()
    for label in ("Expéditeur", "Destinataire", "Objet", "Texte du message", "Du", "Au", "Où"):
        assert f">{label}" in html
    assert 'name="folder" value="INBOX"' in html
