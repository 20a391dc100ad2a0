"""The private Postfix of the test suite is the strict, real submission server it claims to be.

These tests talk to it with smtplib directly: they test the fixture (tests/postfix.py), not the
webmail. What they pin down is what a real installation answers: a message submitted with AUTH
arrives byte for byte in the recipient's INBOX over IMAP; a bare LF, a client without AUTH, a
recipient elsewhere and an unknown user are all refused, at the SMTP level, with Postfix's words.
"""

from __future__ import annotations

import email
import hashlib
import os
import smtplib
import uuid
from email import policy
from email.message import EmailMessage

import pytest

from tests.outbox.conftest import wait_for

pytestmark = [pytest.mark.postfix, pytest.mark.imap]

BODY = (
    "Bonjour Bob,\n\n"
    "Voici le dossier complet : les relevés de l'été, la facture n° 2024-117 et le plan du chantier.\n"
    "Préviens-moi si quelque chose manque — je serai joignable jusqu'à vendredi.\n\n"
    "Amitiés,\nAlice Lefèvre\n"
)


def _message(sender, recipient, attachment: bytes) -> tuple[str, bytes]:
    message_id = f"<postfix-{uuid.uuid4().hex}@example.test>"
    message = EmailMessage(policy=policy.SMTP)  # CRLF line ends, as RFC 5321 wants them
    message["From"] = f"Alice Lefèvre <{sender.email}>"
    message["To"] = f"Bob Étienne <{recipient.email}>"
    message["Subject"] = "Dossier du chantier — relevés d'août"
    message["Message-ID"] = message_id
    message["Date"] = email.utils.formatdate(localtime=True)
    message.set_content(BODY)
    message.add_attachment(attachment, maintype="application", subtype="pdf", filename="relevés août.pdf")
    return message_id, message.as_bytes()


def _submit(server, sender, recipient: str, raw: bytes, *, login: bool = True) -> tuple[int, str]:
    """One SMTP transaction; returns the answer that ended it (refused RCPT, or the final ".")."""
    with smtplib.SMTP(server.host, server.port, timeout=30) as smtp:
        smtp.ehlo("client.example.test")
        if login:
            # AUTH PLAIN only: smtplib's login() would retry with LOGIN after a refusal.
            smtp.user, smtp.password = sender.email, sender.password
            smtp.auth("PLAIN", smtp.auth_plain)
        code, text = smtp.mail(sender.email)
        assert code == 250, text
        code, text = smtp.rcpt(recipient)
        if code == 250:
            code, text = smtp.data(raw)  # bytes go out as they are: no line-end fixing
        return code, text.decode()


def _inbox(imap, user, message_id: str) -> list[bytes]:
    with imap(user) as mailbox:
        return [mailbox.fetch_raw("INBOX", uid) for uid in mailbox.search("INBOX", ["HEADER", "Message-ID", message_id])]


def test_authenticated_submission_arrives_intact_in_the_inbox(postfix_server, make_mail_user, imap):
    alice, bob = make_mail_user("alice"), make_mail_user("bob")
    pdf = b"%PDF-1.7\n" + os.urandom(3 * 1024 * 1024)
    message_id, raw = _message(alice, bob, pdf)

    code, text = _submit(postfix_server, alice, bob.email, raw)

    assert code == 250 and text.startswith("2.0.0 Ok: queued as "), (code, text)
    queue_id = text.rsplit(" ", 1)[1]
    postfix_server.wait_for_log(rf"{queue_id}: to=<{bob.email}>, relay=127\.0\.0\.1.*status=sent")
    delivered = wait_for(lambda: _inbox(imap, bob, message_id), timeout=15)
    assert len(delivered) == 1
    # Postfix and Dovecot only add trace headers (Return-Path, Delivered-To, Received) on top.
    assert delivered[0].endswith(raw)
    received = email.message_from_bytes(delivered[0], policy=policy.default)
    assert received["Subject"] == "Dossier du chantier — relevés d'août"
    assert received.get_body(preferencelist=("plain",)).get_content() == BODY.replace("\n", "\r\n")
    (part,) = received.iter_attachments()
    assert part.get_filename() == "relevés août.pdf"
    assert hashlib.sha256(part.get_content()).hexdigest() == hashlib.sha256(pdf).hexdigest()


def test_a_bare_line_feed_is_refused(postfix_server, make_mail_user, imap):
    """What smtplib sends when handed bytes with LF line ends, as the webmail once did."""
    alice, bob = make_mail_user("alice"), make_mail_user("bob")
    message_id, raw = _message(alice, bob, b"%PDF-1.7\n" + os.urandom(20 * 1024))

    code, text = _submit(postfix_server, alice, bob.email, raw.replace(b"\r\n", b"\n"))

    assert (code, text) == (550, "5.5.2 mail.example.test Error: bare <LF> received")
    postfix_server.wait_for_log(rf"reject: END-OF-MESSAGE from \S+: bare <LF> received; from=<{alice.email}> "
                                rf"to=<{bob.email}>")
    # The same message with CRLF goes through: only the line ends were at fault.
    assert _submit(postfix_server, alice, bob.email, raw)[0] == 250
    assert len(wait_for(lambda: _inbox(imap, bob, message_id), timeout=15)) == 1


def test_a_client_without_auth_cannot_send(postfix_server, make_mail_user):
    alice, bob = make_mail_user("alice"), make_mail_user("bob")

    code, text = _submit(postfix_server, alice, bob.email, b"", login=False)

    assert (code, text) == (554, "5.7.1 <localhost[127.0.0.1]>: Client host rejected: Access denied")


def test_a_wrong_password_is_refused(postfix_server, make_mail_user):
    alice = make_mail_user("alice")
    alice.password += "-faux"

    with pytest.raises(smtplib.SMTPAuthenticationError) as refused:
        _submit(postfix_server, alice, alice.email, b"")

    assert refused.value.smtp_code == 535


def test_mail_for_another_domain_is_not_relayed(postfix_server, make_mail_user):
    alice = make_mail_user("alice")

    code, text = _submit(postfix_server, alice, "carol@elsewhere.test", b"")

    assert (code, text) == (554, "5.7.1 <carol@elsewhere.test>: Relay access denied")


def test_an_unknown_user_is_refused_at_rcpt(postfix_server, make_mail_user):
    """Postfix asks Dovecot's LMTP whether the user exists, while the client waits for RCPT."""
    alice = make_mail_user("alice")
    stranger = f"personne-{uuid.uuid4().hex[:10]}@example.test"

    code, text = _submit(postfix_server, alice, stranger, b"")

    assert code == 550, text
    assert text.startswith(f"5.1.1 <{stranger}>: Recipient address rejected: undeliverable address:"), text
    assert f"User doesn't exist: {stranger}" in text


def test_a_user_created_during_the_run_is_accepted(postfix_server, make_mail_user, imap):
    """Accounts appear while the suite runs (make_mail_user); Postfix keeps no list of its own."""
    alice = make_mail_user("alice")
    message_id, raw = _message(alice, alice, b"%PDF-1.7\n")
    assert _submit(postfix_server, alice, alice.email, raw)[0] == 250
    late = make_mail_user("late")

    code, text = _submit(postfix_server, alice, late.email, raw)

    assert code == 250, text
    assert len(wait_for(lambda: _inbox(imap, late, message_id), timeout=15)) == 1
