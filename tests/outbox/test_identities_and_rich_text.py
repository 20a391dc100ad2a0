"""Identities, signatures, rich messages and templates over HTTP, sent through the real servers and
read back on the recipient's side over IMAP."""

import email
from email import policy

import pytest

from tests.outbox.conftest import messages_in, wait_for
from webmail.compose.models import Composition
from webmail.identities.models import Identity, Signature
from webmail.outbox.models import FailureKind, OutboxMessage, State

pytestmark = [pytest.mark.imap, pytest.mark.celery, pytest.mark.django_db(transaction=True)]

PNG = bytes.fromhex(
    "89504e470d0a1a0a0000000d4948445200000001000000010806000000"
    "1f15c4890000000d49444154789c63f8cfc0f00f0004850180a4a98c210000000049454e44ae426082"
)


def _first_name(client, name="Łucja Wiśniewska-Dąbrowska"):
    response = client.post("/parametres/ecrire/bienvenue/", {"name": name, "next": "/mail/"})
    assert response.status_code == 302 and response.url == "/mail/"


def _send(client, edit_url, **fields):
    data = {"to": "", "cc": "", "bcc": "", "subject": "", "action": "send", "confirmed": "1", **fields}
    response = client.post(edit_url, data)
    assert response.status_code == 302, response.content[:800]
    outbox = OutboxMessage.objects.latest("pk")
    return wait_for(lambda: OutboxMessage.objects.filter(pk=outbox.pk, state__in=(State.SENT, State.FAILED))
                    .first(), timeout=60)


@pytest.fixture(params=["mail_settings", "postfix_settings"])
def server(request):
    return request.getfixturevalue(request.param)


def test_a_rich_message_with_a_signature_logo_arrives_as_written(
    server, signed_in_client, bob, imap, celery_worker, short_delay
):
    import base64

    _first_name(signed_in_client)
    logo = base64.b64encode(PNG).decode()
    signed_in_client.post("/parametres/ecrire/signatures/nouvelle/", {
        "name": "Complète", "text": "",
        "markup": f'<div><b>Łucja Wiśniewska</b> — <a href="https://atelier.example">Atelier</a></div>'
                  f'<div><img src="data:image/png;base64,{logo}" alt="Logo Atelier"></div>'})
    signature = Signature.objects.get(name="Complète")
    assert signature.is_rich and "<b>" in signature.html
    Identity.objects.update(new_signature=signature)
    edit_url = signed_in_client.get("/ecrire/").url
    state = _send(signed_in_client, edit_url, to=bob.email, subject="Devis — rue Émile-Zola", format="rich",
                  signature=str(signature.pk),
                  body_html='<div>Bonjour <b>Bob</b>,</div><div>Le <a href="https://atelier.example/devis">devis</a>'
                            ' est prêt.</div><script>alert(1)</script><div onclick="x()">À bientôt</div>')
    assert state.state == State.SENT, state.last_error
    raw = wait_for(lambda: messages_in(imap, bob), timeout=30)[0]
    message = email.message_from_bytes(raw, policy=policy.default)
    assert message["From"].addresses[0].display_name == "Łucja Wiśniewska-Dąbrowska"
    assert b"=?utf-8?" in raw.split(b"\r\n\r\n", 1)[0]  # the name is encoded, the header stays ASCII
    text = message.get_body(("plain",)).get_content().replace("\r\n", "\n")
    assert "Bonjour Bob,\nLe devis (https://atelier.example/devis) est prêt." in text
    assert "\n-- \nŁucja Wiśniewska — Atelier (https://atelier.example)" in text
    html = message.get_body(("html",)).get_content().replace("\r\n", "\n")
    assert "<b>Bob</b>" in html and "script" not in html and "onclick" not in html
    assert html.count("--&nbsp;") + html.count("-- ") == 1
    images = [p for p in message.walk() if p.get_content_type() == "image/png"]
    assert len(images) == 1 and images[0].get_content() == PNG
    assert f'cid:{images[0]["Content-ID"].strip("<>")}' in html
    assert message.get_content_type() == "multipart/alternative"


def test_an_alias_the_server_refuses_is_said_and_the_draft_comes_back(
    server, signed_in_client, bob, celery_worker, short_delay
):
    _first_name(signed_in_client, "Alice Martin")
    foreign = f"direction@{bob.email.split('@')[1]}"
    response = signed_in_client.post("/parametres/ecrire/identites/nouvelle/", {
        "name": "Direction", "email": foreign, "reply_to": "", "new_signature": "", "reply_signature": ""})
    assert response.status_code == 302
    alias = Identity.objects.get(email=foreign)
    edit_url = signed_in_client.get("/ecrire/").url
    page = signed_in_client.get(edit_url).content.decode()
    assert 'name="identity"' in page and "Direction" in page  # the "De" choice, with two identities
    state = _send(signed_in_client, edit_url, to=bob.email, subject="Rappel", body="Texte important.",
                  identity=str(alias.pk), format="plain")
    assert state.state == State.FAILED and state.failure_kind == FailureKind.SENDER
    assert "Sender address rejected" in state.last_error
    composition = Composition.objects.get(pk=state.composition_id)
    assert composition.body == "Texte important." and composition.identity_id == alias.pk
    assert composition.draft_uid  # back in Brouillons
    toasts = signed_in_client.get("/envoi/toasts/").content.decode()
    assert "ne vous permet pas d’envoyer depuis cette adresse" in toasts


def test_a_plus_alias_is_accepted_and_replies_pick_the_identity_addressed(
    mail_settings, signed_in_client, bob, imap, celery_worker, short_delay
):
    _first_name(signed_in_client, "Alice Martin")
    me = signed_in_client.mail_user.email
    alias = me.replace("@", "+ventes@")
    signed_in_client.post("/parametres/ecrire/identites/nouvelle/", {
        "name": "Alice — Ventes", "email": alias, "reply_to": me, "new_signature": "", "reply_signature": ""})
    identity = Identity.objects.get(email=alias)
    edit_url = signed_in_client.get("/ecrire/").url
    state = _send(signed_in_client, edit_url, to=bob.email, subject="Offre", body="Notre offre.",
                  identity=str(identity.pk), format="plain")
    assert state.state == State.SENT, state.last_error
    assert state.envelope_from == alias
    raw = wait_for(lambda: messages_in(imap, bob), timeout=30)[0]
    message = email.message_from_bytes(raw, policy=policy.default)
    assert message["From"].addresses[0].addr_spec == alias and message["Reply-To"] == me

    # Bob answers the alias; our reply goes out as the alias, with its own signature for replies.
    original = (f"From: Bob <{bob.email}>\r\nTo: {alias}\r\nSubject: Re: Offre\r\n"
                "Message-ID: <offre-1@example.test>\r\nDate: Mon, 30 Nov 2026 09:00:00 +0100\r\n"
                "Content-Type: text/html; charset=utf-8\r\n\r\n"
                "<p>Merci <b>Alice</b> !</p><img src=x onerror=alert(1)><script>alert(2)</script>\r\n").encode()
    with imap(signed_in_client.mail_user) as mailbox:
        uid = mailbox.append("INBOX", original, flags=())
    from webmail.identities.models import WritingPreferences

    assert WritingPreferences.objects.get().plain_text  # the last message was written in plain text
    WritingPreferences.objects.update(plain_text=False)
    response = signed_in_client.get(f"/ecrire/?reply={uid}&folder=INBOX")
    composition = Composition.objects.get(pk=response.url.rstrip("/").rsplit("/", 1)[1])
    assert composition.identity_id == identity.pk and composition.to == f'"Bob" <{bob.email}>'
    assert "<b>Alice</b>" in composition.quote_html and "onerror" not in composition.quote_html
    assert "script" not in composition.quote_html and "a écrit" in composition.quote_html
    page = signed_in_client.get(response.url).content.decode()
    assert "alert(2)" not in page and "onerror" not in page


def test_a_forwarded_html_mail_keeps_its_inline_images(mail_settings, signed_in_client, bob, imap, celery_worker,
                                                       short_delay):
    import base64

    from tests.identities.images import png

    _first_name(signed_in_client, "Alice Martin")
    photo, logo = png(240, 160), png(48, 48, (20, 120, 60))
    pdf = b"%PDF-1.4\n" + bytes(range(256)) * 40
    original = (
        f"From: Chantal Dubois <chantal@example.fr>\r\nTo: {signed_in_client.mail_user.email}\r\n"
        "Subject: Photos du chantier\r\nMessage-ID: <chantier-7@example.fr>\r\n"
        "Date: Mon, 30 Nov 2026 09:00:00 +0100\r\nMIME-Version: 1.0\r\n"
        'Content-Type: multipart/mixed; boundary="mixed"\r\n\r\n'
        '--mixed\r\nContent-Type: multipart/related; boundary="rel"\r\n\r\n'
        "--rel\r\nContent-Type: text/html; charset=utf-8\r\n\r\n"
        '<p><img src="cid:logo@example.fr" alt="Logo Dubois"></p><p>Voici l\'<b>état</b> du chantier :</p>'
        '<p><img src="cid:photo-1@example.fr" alt="Façade"></p>\r\n'
        "--rel\r\nContent-Type: image/png\r\nContent-ID: <photo-1@example.fr>\r\nContent-Transfer-Encoding: base64\r\n"
        "Content-Disposition: inline\r\n\r\n" + base64.encodebytes(photo).decode() + "\r\n"
        "--rel\r\nContent-Type: image/png\r\nContent-ID: <logo@example.fr>\r\nContent-Transfer-Encoding: base64\r\n"
        "Content-Disposition: inline\r\n\r\n" + base64.encodebytes(logo).decode() + "\r\n--rel--\r\n"
        '--mixed\r\nContent-Type: application/pdf; name="devis.pdf"\r\nContent-Transfer-Encoding: base64\r\n'
        'Content-Disposition: attachment; filename="devis.pdf"\r\n\r\n' + base64.encodebytes(pdf).decode()
        + "\r\n--mixed--\r\n").encode()
    with imap(signed_in_client.mail_user) as mailbox:
        uid = mailbox.append("INBOX", original, flags=())
    edit_url = signed_in_client.get(f"/ecrire/?forward={uid}&folder=INBOX").url
    composition = Composition.objects.get(pk=edit_url.rstrip("/").rsplit("/", 1)[1])
    assert composition.quote_html.count("data:image/png;base64,") == 2
    assert [a.filename for a in composition.attachments.all()] == ["devis.pdf"]  # the images are not attachments
    state = _send(signed_in_client, edit_url, to=bob.email, subject=composition.subject, format="rich",
                  body_html="<div>Pour information, les photos de Chantal.</div>")
    assert state.state == State.SENT, state.last_error
    message = email.message_from_bytes(wait_for(lambda: messages_in(imap, bob), timeout=30)[0], policy=policy.default)
    html = message.get_body(("html",)).get_content()
    images = {part["Content-ID"].strip("<>"): part.get_content() for part in message.walk()
              if part.get_content_type() == "image/png"}
    assert sorted(images.values()) == sorted([photo, logo])  # byte for byte, once each
    for content_id in images:
        assert f'src="cid:{content_id}"' in html
    assert "<b>état</b>" in html and "data:image" not in html
    pdfs = [part for part in message.walk() if part.get_content_type() == "application/pdf"]
    assert len(pdfs) == 1 and pdfs[0].get_content() == pdf


def test_a_template_kept_with_its_attachments_brings_them_to_the_next_message(
    mail_settings, signed_in_client, bob, imap, celery_worker, short_delay, settings
):
    """"Enregistrer comme modèle" with "avec ses pièces jointes": the monthly report's form travels
    with the template, byte for byte, into the next message; without the box, only the text."""
    import hashlib

    from django.core.files.uploadedfile import SimpleUploadedFile

    from tests import mailcorpus
    from webmail.identities.models import Template

    short_delay(0.3)
    _first_name(signed_in_client)
    form = mailcorpus.pdf("Formulaire de remboursement — décembre.pdf", 400_000)
    edit_url = signed_in_client.get("/ecrire/").url
    signed_in_client.post(edit_url.rstrip("/") + "/pieces-jointes/",
                          {"files": [SimpleUploadedFile(form.name, form.data, form.content_type)]})
    signed_in_client.post(edit_url, {"to": "", "cc": "", "bcc": "", "subject": "Note de frais ‹mois›",
                                     "body": "Bonjour ‹Prénom›,\n\nCi-joint le formulaire.", "action": "save"})
    composition = Composition.objects.get()
    assert signed_in_client.get(f"/parametres/ecrire/modeles/depuis/{composition.pk}/").status_code == 405
    with_files = signed_in_client.post(f"/parametres/ecrire/modeles/depuis/{composition.pk}/", {"attachments": "1"})
    without = signed_in_client.post(f"/parametres/ecrire/modeles/depuis/{composition.pk}/")
    assert with_files.status_code == without.status_code == 302
    kept, plain = Template.objects.filter(subject="Note de frais ‹mois›").order_by("pk")
    assert [a.filename for a in kept.attachments.all()] == [form.name]
    assert not plain.attachments.exists()
    assert form.name in signed_in_client.get(with_files.url).content.decode()

    composition.delete()
    edit_url = signed_in_client.get("/ecrire/").url
    response = signed_in_client.post(edit_url, {"to": bob.email, "cc": "", "bcc": "", "subject": "", "body": "",
                                                "template": str(kept.pk), "action": "insert_template"})
    assert response.status_code == 302
    page = signed_in_client.get(edit_url).content.decode()
    assert form.name in page and "Ci-joint le formulaire." in page

    settings.ATTACHMENTS_MAX_BYTES = 500_000  # a second copy of the form would pass the limit
    too_big = signed_in_client.post(edit_url, {"to": bob.email, "cc": "", "bcc": "", "subject": "x", "body": "",
                                               "template": str(kept.pk), "action": "insert_template"})
    assert too_big.status_code == 413
    assert "taille permise" in too_big.content.decode()
    assert Composition.objects.get().attachments.count() == 1, "nothing changed"

    state = _send(signed_in_client, edit_url, to=bob.email, subject="Note de frais décembre",
                  body="Bonjour Bob,\n\nCi-joint le formulaire.")
    assert state.state == State.SENT, state.last_error
    raw = wait_for(lambda: messages_in(imap, bob), timeout=30)[0]
    [part] = email.message_from_bytes(raw, policy=policy.default).iter_attachments()
    assert part.get_filename() == form.name
    assert hashlib.sha256(part.get_payload(decode=True)).hexdigest() == form.sha256
