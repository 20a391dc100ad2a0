"""Line breaks in what ends up in a header (subject, names in To/Cc/Bcc) are folded into a space:
never a 500 (BadHeaderError), never an injected header, for a crafted request, the autosave, and a
composition stored before the fix. Over HTTP, with the real Dovecot, SMTP server and Celery worker."""

import email
from email import policy

import pytest

from tests.outbox.conftest import messages_in, state_of, wait_for
from webmail.compose.models import Composition
from webmail.outbox.models import OutboxMessage, State

pytestmark = [pytest.mark.imap, pytest.mark.django_db]

CRAFTED_SUBJECT = "Réunion de l'équipe — Łódź\r\nBcc: victime@example.test"
FOLDED_SUBJECT = "Réunion de l'équipe — Łódź Bcc: victime@example.test"


def _fields(**overrides) -> dict:
    return {"to": "bob@example.test", "cc": "", "bcc": "", "subject": "Bonjour", "body": "Texte", **overrides}


def _subject(parsed) -> str:
    # Django starts a long non-ASCII subject on a folded line ("Subject: \r\n =?utf-8?…"), which
    # parsers read back with a leading space: not what these tests are about.
    return parsed["Subject"].strip()


def _only_draft(imap, user):
    [raw] = messages_in(imap, user, "Drafts")
    return raw, email.message_from_bytes(raw, policy=policy.default)


@pytest.mark.parametrize("how", ["autosave", "Enregistrer"])
def test_a_subject_with_cr_lf_is_saved_on_one_line(signed_in_client, imap, how):
    url = signed_in_client.get("/ecrire/").url
    if how == "autosave":
        response = signed_in_client.post(f"{url}enregistrer/", _fields(subject=CRAFTED_SUBJECT))
        assert response.status_code == 200
        assert "Brouillon enregistré" in response.content.decode()
    else:
        response = signed_in_client.post(url, _fields(subject=CRAFTED_SUBJECT, action="save"))
        assert response.status_code == 302
    assert Composition.objects.get().subject == FOLDED_SUBJECT
    raw, draft = _only_draft(imap, signed_in_client.mail_user)
    assert _subject(draft) == FOLDED_SUBJECT
    assert draft["Bcc"] is None and b"\nBcc:" not in raw, "no header injected"


def test_names_with_line_breaks_in_to_cc_bcc_are_folded_in_the_draft(signed_in_client, imap):
    url = signed_in_client.get("/ecrire/").url
    response = signed_in_client.post(f"{url}enregistrer/", _fields(
        to='"Marie\r\nBcc: victime@example.test" <marie@example.test>',
        cc='"Zofia\nŁódź" <zofia@example.test>',
        bcc='"محمد\r\nالعلي" <mohamed@example.test>',
    ))
    assert response.status_code == 200
    _, draft = _only_draft(imap, signed_in_client.mail_user)
    assert [(a.display_name, a.addr_spec) for a in draft["To"].addresses] == [
        ("Marie Bcc: victime@example.test", "marie@example.test")]
    assert [(a.display_name, a.addr_spec) for a in draft["Cc"].addresses] == [("Zofia Łódź", "zofia@example.test")]
    assert [(a.display_name, a.addr_spec) for a in draft["Bcc"].addresses] == [("محمد العلي", "mohamed@example.test")]


def test_an_address_per_line_still_makes_separate_recipients(signed_in_client, imap):
    url = signed_in_client.get("/ecrire/").url
    signed_in_client.post(f"{url}enregistrer/", _fields(to="marie@example.test\r\nbob@example.test"))
    _, draft = _only_draft(imap, signed_in_client.mail_user)
    assert [a.addr_spec for a in draft["To"].addresses] == ["marie@example.test", "bob@example.test"]


@pytest.mark.smtp
@pytest.mark.celery
@pytest.mark.django_db(transaction=True)
def test_envoyer_with_a_crafted_subject_sends_it_on_one_line_to_the_recipient_only(
    compose, bob, make_mail_user, imap, smtp_server, celery_worker, short_delay
):
    victim, zofia = make_mail_user("victime"), make_mail_user("zofia")
    _, response = compose(bob.email, subject=CRAFTED_SUBJECT.replace("victime@example.test", victim.email),
                          cc=f'"Zofia\r\nBcc: {victim.email}" <{zofia.email}>', confirmed="1")
    assert response.status_code == 302
    outbox = OutboxMessage.objects.get()
    wait_for(lambda: state_of(outbox) == State.SENT)
    [delivery] = smtp_server.messages_with_id(outbox.message_id)
    assert delivery.recipients == [bob.email, zofia.email]
    [received] = messages_in(imap, bob)
    parsed = email.message_from_bytes(received, policy=policy.default)
    assert _subject(parsed) == f"Réunion de l'équipe — Łódź Bcc: {victim.email}"
    assert parsed["Bcc"] is None
    assert [(a.display_name, a.addr_spec) for a in parsed["Cc"].addresses] == [
        (f"Zofia Bcc: {victim.email}", zofia.email)]
    assert messages_in(imap, victim) == []


@pytest.mark.smtp
@pytest.mark.celery
@pytest.mark.django_db(transaction=True)
def test_a_composition_stored_with_line_breaks_before_the_fix_still_sends(
    signed_in_client, bob, imap, smtp_server, celery_worker, short_delay
):
    """The code before this fix saved the fields, then failed on the draft copy: the row kept the
    line breaks. The pre-send dialog's Envoyer posts no fields, so the stored row is what leaves."""
    url = signed_in_client.get("/ecrire/").url
    Composition.objects.update(
        to=bob.email, subject="Compte rendu\nlundi 3 mars", bcc='"Zofia\nŁódź" <zofia@example.test>',
        body="Bonjour Bob,\n\nvoici le compte rendu.", in_reply_to="<a@example.test>\r\n",
        references="<a@example.test>\n <b@example.test>",
    )
    response = signed_in_client.post(url, {"action": "send", "confirmed": "1"})
    assert response.status_code == 302
    outbox = OutboxMessage.objects.get()
    wait_for(lambda: OutboxMessage.objects.get(pk=outbox.pk).filed)
    assert state_of(outbox) == State.SENT
    [received] = messages_in(imap, bob)
    parsed = email.message_from_bytes(received, policy=policy.default)
    assert _subject(parsed) == "Compte rendu lundi 3 mars"
    assert parsed["In-Reply-To"] == "<a@example.test>"
    assert parsed["References"] == "<a@example.test> <b@example.test>"
    [sent] = messages_in(imap, signed_in_client.mail_user, "Sent")
    assert _subject(email.message_from_bytes(sent, policy=policy.default)) == "Compte rendu lundi 3 mars"


@pytest.mark.smtp
@pytest.mark.celery
@pytest.mark.django_db(transaction=True)
def test_the_worker_puts_a_stored_composition_with_line_breaks_back_in_drafts(
    signed_in_client, bob, imap, smtp_server, celery_worker, short_delay, settings
):
    """A permanent refusal sends the message back to Drafts from the worker, which builds the
    draft from the stored row: line breaks there must not crash it."""
    short_delay(1.0)
    url = signed_in_client.get("/ecrire/").url
    nobody = "personne@example.test"  # the SMTP server refuses it: 550, a permanent failure
    response = signed_in_client.post(url, _fields(to=nobody, subject="Relevé", action="send", confirmed="1"))
    assert response.status_code == 302
    outbox = OutboxMessage.objects.get()
    Composition.objects.update(subject="Relevé\r\nde novembre", cc='"Zofia\nŁódź" <zofia@example.test>')
    wait_for(lambda: state_of(outbox) == State.FAILED)
    _, draft = _only_draft(imap, signed_in_client.mail_user)
    assert _subject(draft) == "Relevé de novembre"
    assert [a.display_name for a in draft["Cc"].addresses] == ["Zofia Łódź"]
