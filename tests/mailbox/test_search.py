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


# --- The search box's operators, against the real Dovecot ------------------------------------------

@pytest.fixture
def typed_corpus(signed_in_client, imap, put_mail):
    """Claire with and without an attachment, Renée unread and starred, a Polish and an Arabic sender,
    an old message, an archived one."""
    user = signed_in_client.mail_user
    pdf = b"%PDF-1.7\n" + bytes(range(256)) * 1200  # 300 KB behind the right magic number
    put_mail(user, [
        build(subject="Devis toiture", sender="Claire Martin <claire@example.fr>",
              body="Bonjour,\n\nVoici le devis signé.\n" * 40, attachments=[("devis-signé.pdf", "application/pdf", pdf)]),
        build(subject="Déjeuner jeudi", sender="Claire Martin <claire@example.fr>", body="On dit 12 h 30 ?"),
        build(subject="Wyjazd służbowy do Gdańska", sender="Łukasz Wójcik <lukasz@example.pl>",
              to="alice@example.test", cc="compta@example.test", body="Rezerwacja hotelu w załączniku."),
        build(subject="تقرير الربع الأول", sender="سارة <sara@example.ma>", body="مرفق التقرير السنوي http://exemple.fr/rapport"),
    ])
    put_mail(user, [build(subject="Ordre du jour du comité", sender="Renée <renee@example.fr>",
                          body="Le rapport annuel sera présenté.")], flags=("\\Flagged",))
    put_mail(user, [build(subject="Relance facture", sender="Renée <renee@example.fr>", body="annuel ? rapport ?")],
             flags=("\\Seen",))
    with imap(user) as mailbox:
        mailbox.append("INBOX", build(subject="Vœux 2020", sender="Claire Martin <claire@example.fr>",
                                      body="Bonne année", attachments=[("carte.png", "image/png",
                                                                        b"\x89PNG\r\n\x1a\n" + bytes(9000))]),
                       when=datetime(2020, 1, 15, 12, 0, tzinfo=UTC))
    put_mail(user, [build(subject="Devis archivé", sender="Claire Martin <claire@example.fr>",
                          attachments=[("ancien.pdf", "application/pdf", pdf)])], folder="Archive")
    return user


SUBJECTS = ("Devis toiture", "Déjeuner jeudi", "Wyjazd służbowy do Gdańska", "تقرير الربع الأول",
            "Ordre du jour du comité", "Relance facture", "Vœux 2020", "Devis archivé")


def _typed(client, q, headers=None, **params):
    response = client.get("/mail/", {"q": q, **params}, headers=headers)
    assert response.status_code == 200, response.content.decode()
    html = response.content.decode()
    return {s for s in SUBJECTS if s in html}, html


def test_the_issue_example_finds_claires_mail_with_an_attachment_and_says_so(signed_in_client, typed_corpus):
    found, html = _typed(signed_in_client, "from:claire has:attachment")
    assert found == {"Devis toiture", "Vœux 2020", "Devis archivé"}
    assert "Messages de claire avec pièce jointe" in html
    found, _html = _typed(signed_in_client, "from:claire -has:attachment")
    assert found == {"Déjeuner jeudi"}


@pytest.mark.parametrize(("q", "expected"), [
    ("de:claire objet:devis", {"Devis toiture", "Devis archivé"}),
    ("à:compta@example.test", {"Wyjazd służbowy do Gdańska"}),
    ("cc:compta", {"Wyjazd służbowy do Gdańska"}),
    ("de:łukasz", {"Wyjazd służbowy do Gdańska"}),
    ("objet:gdańska", {"Wyjazd służbowy do Gdańska"}),
    ("de:سارة", {"تقرير الربع الأول"}),
    ("is:starred", {"Ordre du jour du comité"}),
    ("de:renee is:unread", {"Ordre du jour du comité"}),
    ("de:renee est:lu", {"Relance facture"}),
    ('"rapport annuel"', {"Ordre du jour du comité"}),
    ("rapport annuel", {"Ordre du jour du comité", "Relance facture"}),
    ("de:renee -comité", {"Relance facture"}),
    ("avant:16/01/2020", {"Vœux 2020"}),
    ("before:2020-01-16", {"Vœux 2020"}),
    ("de:claire after:2021-01-01 in:inbox", {"Devis toiture", "Déjeuner jeudi"}),
    ("in:archives devis", {"Devis archivé"}),
    ("devis -in:archive", {"Devis toiture"}),
    ("http://exemple.fr/rapport", {"تقرير الربع الأول"}),  # not an operator: searched as text
])
def test_operators_become_imap_search_on_the_server(signed_in_client, typed_corpus, q, expected):
    assert _typed(signed_in_client, q)[0] == expected


def test_an_invalid_date_says_so_on_the_results_page_and_the_rest_is_searched(signed_in_client, typed_corpus):
    found, html = _typed(signed_in_client, "de:renee avant:31/02/2026")
    assert found == {"Ordre du jour du comité", "Relance facture"}
    assert "« 31/02/2026 » n’est pas une date : « avant:31/02/2026 » n’a pas été pris en compte." in html
    assert "Écrivez-la comme 31/03/2026 ou 2026-03-31." in html
    assert "Messages de renee" in html


def test_in_names_a_folder_the_summary_names_it_and_an_unknown_one_says_so(signed_in_client, typed_corpus):
    found, html = _typed(signed_in_client, "in:archive de:claire")
    assert found == {"Devis archivé"}
    assert "Messages de claire dans Archives" in html
    found, html = _typed(signed_in_client, "in:nulle-part devis")
    assert found == {"Devis toiture", "Devis archivé"}
    assert "Il n’y a pas de dossier « nulle-part » : la recherche porte sur tous les dossiers." in html


def test_the_advanced_form_and_the_box_combine(signed_in_client, typed_corpus):
    found, html = _typed(signed_in_client, "has:attachment", folder="INBOX", scope="folder",
                         **{"from": "claire", "since": "2021-01-01"})
    assert found == {"Devis toiture"}
    assert "Messages avec pièce jointe de claire depuis le 1 janvier 2021" in html


def test_the_summary_is_in_the_users_language_and_escaped(signed_in_client, typed_corpus):
    found, html = _typed(signed_in_client, 'objet:"<b>devis</b>" avant:jutro', headers={"accept-language": "pl"})
    assert found == set()
    assert "Wiadomości z „&lt;b&gt;devis&lt;/b&gt;” w temacie" in html and "<b>devis</b>" not in html
    assert "„jutro” nie jest datą" in html
