"""Drafts in the IMAP Drafts folder, attachments, forward and the settings page, over HTTP."""

import email
from email import policy

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.mail import EmailMessage

from tests.helpers import preferences_data
from tests.outbox.conftest import messages_in
from webmail.compose.models import Composition

pytestmark = [pytest.mark.imap, pytest.mark.django_db]


def _new(client) -> str:
    return client.get("/ecrire/").url


def _fields(**overrides):
    return {"to": "bob@example.test", "cc": "", "bcc": "", "subject": "Brouillon", "body": "Texte", **overrides}


def test_autosave_replaces_the_previous_draft_copy(signed_in_client, imap):
    url = _new(signed_in_client)
    for text in ("premier", "deuxième", "troisième"):
        response = signed_in_client.post(f"{url}enregistrer/", _fields(body=text))
        assert response.status_code == 200
        assert "Brouillon enregistré" in response.content.decode()
    drafts = messages_in(imap, signed_in_client.mail_user, "Drafts")
    assert len(drafts) == 1, "no pile of duplicates"
    assert "troisième" in email.message_from_bytes(drafts[0], policy=policy.default).get_content()


def test_a_draft_keeps_bcc_and_opens_again_from_brouillons(signed_in_client, imap):
    url = _new(signed_in_client)
    signed_in_client.post(url, _fields(bcc="secret@example.test", action="save"))
    Composition.objects.all().delete()  # a new session, another browser: only the IMAP copy remains
    with imap(signed_in_client.mail_user) as mailbox:
        uid = mailbox.search("Drafts", ["ALL"])[0]
    response = signed_in_client.get(f"/ecrire/?draft={uid}")
    page = signed_in_client.get(response.url).content.decode()
    assert 'value="Brouillon"' in page and "secret@example.test" in page
    signed_in_client.post(response.url, _fields(body="suite", action="save"))
    assert len(messages_in(imap, signed_in_client.mail_user, "Drafts")) == 1


def test_supprimer_le_brouillon_discards_it(signed_in_client, imap):
    url = _new(signed_in_client)
    signed_in_client.post(url, _fields(action="save"))
    response = signed_in_client.post(f"{url}supprimer/")
    assert response.status_code == 302
    assert messages_in(imap, signed_in_client.mail_user, "Drafts") == []
    assert not Composition.objects.exists()
    assert signed_in_client.get(url).status_code == 404


def test_several_attachments_upload_and_one_is_removed(signed_in_client):
    url = _new(signed_in_client)
    files = [SimpleUploadedFile("a.pdf", b"%PDF a", "application/pdf"),
             SimpleUploadedFile("photo.jpg", b"\xff\xd8jpeg", "image/jpeg")]
    response = signed_in_client.post(f"{url}pieces-jointes/", {"files": files})
    assert response.status_code == 200
    html = response.content.decode()
    assert "a.pdf" in html and "photo.jpg" in html
    attachment = Composition.objects.get().attachments.get(filename="a.pdf")
    signed_in_client.post(f"{url}pieces-jointes/{attachment.pk}/supprimer/")
    assert list(Composition.objects.get().attachments.values_list("filename", flat=True)) == ["photo.jpg"]


def test_attachments_over_the_limit_are_refused_with_a_clear_message(signed_in_client, settings):
    settings.ATTACHMENTS_MAX_BYTES = 1000
    url = _new(signed_in_client)
    response = signed_in_client.post(f"{url}pieces-jointes/",
                                     {"files": SimpleUploadedFile("gros.bin", b"x" * 1500, "application/octet-stream")})
    assert response.status_code == 413
    assert "Les pièces jointes sont limitées à 1000" in response.content.decode()
    assert not Composition.objects.get().attachments.exists()


def test_attaching_without_javascript_keeps_what_was_typed(signed_in_client):
    url = _new(signed_in_client)
    response = signed_in_client.post(url, {**_fields(subject="Avec PJ", action="attach"),
                                           "files": SimpleUploadedFile("devis.pdf", b"%PDF", "application/pdf")})
    assert response.status_code == 302
    page = signed_in_client.get(url).content.decode()
    assert "devis.pdf" in page and 'value="Avec PJ"' in page


def test_forward_keeps_the_attachments(signed_in_client, imap):
    original = EmailMessage("Contrat", "Voir le contrat.", "Claire <claire@example.test>",
                            [signed_in_client.mail_user.email])
    original.attach("contrat.pdf", b"%PDF contrat", "application/pdf")
    with imap(signed_in_client.mail_user) as mailbox:
        mailbox.append("INBOX", original.message().as_bytes())
        uid = mailbox.search("INBOX", ["ALL"])[0]
    response = signed_in_client.get(f"/ecrire/?forward={uid}&folder=INBOX")
    page = signed_in_client.get(response.url).content.decode()
    assert 'value="Tr : Contrat"' in page
    assert "Message transféré" in page and "Voir le contrat." in page
    attachment = Composition.objects.get().attachments.get()
    assert (attachment.filename, bytes(attachment.data)) == ("contrat.pdf", b"%PDF contrat")


@pytest.mark.parametrize("query", ["?reply=abc", "?forward=-1", "?draft=0"])
def test_bad_message_references_are_a_400(signed_in_client, query):
    assert signed_in_client.get(f"/ecrire/{query}").status_code == 400


def test_a_vanished_original_is_a_404(signed_in_client):
    response = signed_in_client.get("/ecrire/?reply=999&folder=INBOX")
    assert response.status_code == 404
    assert "Ce message n&#x27;existe plus." in response.content.decode() or "n'existe plus" in response.content.decode()


def test_someone_elses_composition_is_a_404(signed_in_client, make_mail_user, client):
    url = _new(signed_in_client)
    other = make_mail_user("eve")
    from django.test import Client

    intruder = Client()
    intruder.post("/compte/connexion/", {"email": other.email, "password": other.password})
    assert intruder.get(url).status_code == 404
    assert intruder.post(f"{url}supprimer/").status_code == 404


def test_the_signature_of_the_identity_is_shown_under_the_text(signed_in_client):
    signed_in_client.post("/parametres/ecrire/signatures/nouvelle/", {"name": "Courte", "text": "Alice Martin\nAtelier Martin"})
    from webmail.identities.models import Identity, Signature

    Identity.objects.update(new_signature=Signature.objects.get(name="Courte"))
    page = signed_in_client.get(_new(signed_in_client)).content.decode()
    assert "-- \nAlice Martin\nAtelier Martin" in page


def test_settings_refuse_a_delay_not_offered(signed_in_client):
    response = signed_in_client.post("/parametres/", preferences_data(undo_delay="7"))
    assert response.status_code == 400
    assert "Sélectionnez un choix valide" in response.content.decode()
    assert signed_in_client.get("/parametres/").status_code == 200


def test_settings_refuse_get_free_mutation(signed_in_client):
    from django.test import Client

    strict = Client(enforce_csrf_checks=True)
    strict.force_login(Composition._meta.get_field("user").related_model.objects.get())
    assert strict.post("/parametres/", preferences_data(undo_delay="30")).status_code == 403


def test_suggestions_come_from_mail_received_and_sent(signed_in_client, imap):
    received = EmailMessage("Bonjour", "x", "Sophie Lefèvre <sophie@exemple.fr>", [signed_in_client.mail_user.email])
    with imap(signed_in_client.mail_user) as mailbox:
        mailbox.append("INBOX", received.message().as_bytes())
    response = signed_in_client.get("/ecrire/contacts/", {"to": "bob@example.test, soph"})
    assert response.status_code == 200
    assert '<option value="Sophie Lefèvre &lt;sophie@exemple.fr&gt;">' in response.content.decode()
    assert signed_in_client.get("/ecrire/contacts/", {"to": "s"}).content.decode().strip() == ""


def test_autosave_with_the_mail_server_down_keeps_the_text_and_says_so(signed_in_client, mail_settings):
    from webmail.demo.dovecot import free_port
    from webmail.imap import gateway

    url = _new(signed_in_client)
    gateway.pool.clear()
    mail_settings.IMAP_PORT = free_port()
    response = signed_in_client.post(f"{url}enregistrer/", _fields(body="texte précieux"))
    assert response.status_code == 503
    assert "Impossible d&#x27;enregistrer le brouillon." in response.content.decode() or \
        "Impossible d'enregistrer le brouillon." in response.content.decode()
    assert Composition.objects.get().body == "texte précieux"


def test_abandoned_empty_compositions_are_forgotten_not_drafts(signed_in_client):
    from datetime import timedelta

    from django.utils import timezone

    from webmail.compose.service import forget_abandoned

    _new(signed_in_client)
    kept = _new(signed_in_client)
    signed_in_client.post(kept, _fields(action="save"))
    Composition.objects.update(updated_at=timezone.now() - timedelta(days=40))
    assert forget_abandoned() == 1
    assert Composition.objects.get().draft_uid is not None


def test_a_composition_being_sent_cannot_be_edited(signed_in_client, settings):
    settings.OUTBOX_DELAY_OVERRIDE = 30
    url = _new(signed_in_client)
    signed_in_client.post(url, _fields(body="Bonjour Bob, à demain.", action="send", confirmed="1"))
    response = signed_in_client.get(url)
    assert response.status_code == 302 and response.url == "/envoi/"


def test_a_draft_opened_from_brouillons_offers_to_continue_it(signed_in_client, imap):
    url = _new(signed_in_client)
    signed_in_client.post(url, _fields(subject="À continuer", action="save"))
    with imap(signed_in_client.mail_user) as mailbox:
        uid = mailbox.search("Drafts", ["ALL"])[0]
    page = signed_in_client.get(f"/mail/{uid}/?folder=Drafts").content.decode()
    assert f"/ecrire/?draft={uid}&amp;folder=Drafts" in page
    assert "Continuer le brouillon" in page
