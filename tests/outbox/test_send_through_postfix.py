"""The webmail sends through Postfix, the server a real installation runs, not only through its demo.

Postfix here (tests/postfix.py) refuses a bare LF with 550, as many servers have since the SMTP
smuggling fixes: the webmail once stored and sent LF-only messages, and every message longer than
one line failed with a real server while the demo server let it through.
"""

from __future__ import annotations

import email
import hashlib
import os
import re
from email import policy

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from tests.outbox.conftest import messages_in, wait_for
from webmail.outbox.models import OutboxMessage, State

pytestmark = [pytest.mark.postfix, pytest.mark.imap, pytest.mark.celery, pytest.mark.django_db(transaction=True)]

LINES = [
    "Compte rendu de la visite du chantier de la rue des Écoles, jeudi matin.",
    "Les fondations sont coulées ; le béton a séché plus vite que prévu grâce à la chaleur.",
    "L'électricien passera lundi : prévoir l'accès au sous-sol dès huit heures.",
    "Le maître d'œuvre demande une réunion à propos des menuiseries extérieures.",
    "Côté budget, nous restons à 3 % sous l'enveloppe votée en février dernier.",
]


def _letter() -> str:
    """40 lines of French, about 2 KB: long enough to have broken sending with bare LFs."""
    return "\n".join(f"{n:02d}. {LINES[n % len(LINES)]}" for n in range(1, 41)) + "\n\nBien à toi,\nAlice"


def test_a_letter_with_an_attachment_goes_through_postfix_intact(
    postfix_settings, postfix_server, smtp_server, signed_in_client, bob, imap, celery_worker, short_delay
):
    body = _letter()
    photo = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + os.urandom(300 * 1024)
    response = signed_in_client.get("/ecrire/")
    assert response.status_code == 302, response.content[:300]
    edit_url = response.url
    upload = SimpleUploadedFile("Photo du chantier été.jpg", photo, "image/jpeg")
    response = signed_in_client.post(edit_url.rstrip("/") + "/pieces-jointes/", {"files": [upload]})
    assert response.status_code == 200, response.content[:500]

    response = signed_in_client.post(edit_url, {
        "to": f'"Bob Étienne" <{bob.email}>', "cc": "", "bcc": "", "subject": "Visite du chantier — jeudi",
        "body": body.replace("\n", "\r\n"),  # as a browser posts a textarea
        "action": "send", "confirmed": "1",
    })
    assert response.status_code == 302, response.content[:800]

    outbox = OutboxMessage.objects.get()
    done = wait_for(lambda: OutboxMessage.objects.filter(pk=outbox.pk, state__in=(State.SENT, State.FAILED))
                    .values_list("state", "last_error").first(), timeout=60)
    state, error = done
    assert state == State.SENT, error  # the old LF-only bytes: "550 5.5.2 ... Error: bare <LF> received"
    received = wait_for(lambda: messages_in(imap, bob, criteria=["HEADER", "Message-ID", outbox.message_id]))
    assert len(received) == 1
    message = email.message_from_bytes(received[0], policy=policy.default)
    assert message["Subject"] == "Visite du chantier — jeudi"
    text = message.get_body(preferencelist=("plain",)).get_content().replace("\r\n", "\n")
    assert text.rstrip("\n") == body
    (part,) = message.iter_attachments()
    assert (part.get_filename(), part.get_content_type()) == ("Photo du chantier été.jpg", "image/jpeg")
    assert hashlib.sha256(part.get_content()).hexdigest() == hashlib.sha256(photo).hexdigest()
    # It was Postfix that took it, from alice's authenticated session, and delivered it to Dovecot.
    queued = postfix_server.wait_for_log(
        rf"(\w+): client=\S+, sasl_method=PLAIN, sasl_username={re.escape(signed_in_client.mail_user.email)}\n"
    ).group(1)
    postfix_server.wait_for_log(rf"{queued}: message-id={re.escape(outbox.message_id)}")
    postfix_server.wait_for_log(rf"{queued}: to=<{re.escape(bob.email)}>, relay=127\.0\.0\.1\S*, .*status=sent")
    assert smtp_server.messages_with_id(outbox.message_id) == []
