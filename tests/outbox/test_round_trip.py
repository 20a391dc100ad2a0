"""Real mail leaves intact: each message of the corpus (tests/mailcorpus.py) is written through the
compose page as the browser posts it, queued, sent by a real Celery worker through a real SMTP
server (the project's demo server, and a strict Postfix), delivered into Dovecot, and read back
over IMAP by its recipients. What arrives, what is filed in Envoyés and what is saved in Brouillons
must be what was written: text, subject, addresses, MIME structure, every attachment's SHA-256.

The totals (messages, bytes, attachments checked) are printed at the end of the run.
"""

from __future__ import annotations

import email
import hashlib
import time
from email import policy
from html.parser import HTMLParser

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.mail import EmailMessage, EmailMultiAlternatives

from tests import mailcorpus
from tests.outbox.conftest import wait_for
from webmail.compose.building import as_bytes
from webmail.compose.models import Composition
from webmail.mailbox.parse import parse_message
from webmail.outbox.models import OutboxMessage, State

pytestmark = [pytest.mark.imap, pytest.mark.smtp, pytest.mark.celery, pytest.mark.django_db(transaction=True)]

CASES = {case.name: case for case in mailcorpus.cases()}


class _FormValues(HTMLParser):
    """The values the compose form holds, as the browser would post them back."""

    def __init__(self):
        super().__init__()
        self.values: dict[str, str] = {}
        self.attachments: list[str] = []
        self._textarea: str | None = None
        self._in_attachment_name = False

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "input" and attrs.get("name") in ("to", "cc", "bcc", "subject"):
            self.values[attrs["name"]] = attrs.get("value") or ""
        elif tag == "textarea" and attrs.get("name") == "body":
            self._textarea = ""
        elif tag == "span" and attrs.get("class") == "attachment-name":
            self._in_attachment_name = True
            self.attachments.append("")

    def handle_endtag(self, tag):
        if tag == "textarea" and self._textarea is not None:
            # HTML drops one newline right after <textarea>; browsers post line ends as CRLF.
            text = self._textarea.removeprefix("\n")
            self.values["body"] = text.replace("\r\n", "\n").replace("\n", "\r\n")
            self._textarea = None
        elif tag == "span":
            self._in_attachment_name = False

    def handle_data(self, data):
        if self._textarea is not None:
            self._textarea += data
        elif self._in_attachment_name:
            self.attachments[-1] += data


def form_values(page: str) -> _FormValues:
    parser = _FormValues()
    parser.convert_charrefs = True
    parser.feed(page)
    return parser


def _addresses(people: list[tuple[str, str]], users: dict) -> str:
    return ", ".join(f'"{name}" <{users[who].email}>' if name else users[who].email for who, name in people)


def _original(case: mailcorpus.Case, users: dict, imap, alice) -> tuple[int, str]:
    """The long message from bob already in alice's inbox, for a reply or a forward."""
    message = EmailMessage(
        subject="Planning détaillé — semaine 51", body=mailcorpus.long_original(),
        from_email=f'"Bob Étienne" <{users["bob"].email}>', to=[alice.email],
        headers={"Message-ID": "<original-planning-51@example.test>"},
    )
    for file in case.original_files:
        message.attach(file.name, file.data, file.content_type)
    with imap(alice) as mailbox:
        uid = mailbox.append("INBOX", as_bytes(message))
    return uid, "<original-planning-51@example.test>"


def _write(client, case: mailcorpus.Case, users: dict, imap, alice) -> dict:
    """Write the message as a person does in the browser; returns what was posted with Envoyer."""
    query, original_id = "", None
    if case.starts_from != "new":
        uid, original_id = _original(case, users, imap, alice)
        query = f"?{case.starts_from}={uid}&folder=INBOX"
    response = client.get("/ecrire/" + query)
    assert response.status_code == 302, response.content[:300]
    edit_url = response.url
    shown = form_values(client.get(edit_url).content.decode())
    if case.files:
        uploads = [SimpleUploadedFile(f.name, f.data, f.content_type) for f in case.files]
        response = client.post(edit_url.rstrip("/") + "/pieces-jointes/", {"files": uploads})
        assert response.status_code == 200, response.content[:500]
    # What the user types goes above what the page prefilled (the quote, the forwarded block).
    prefilled = shown.values.get("body", "")
    body = case.body.replace("\n", "\r\n") + prefilled
    data = {
        "to": _addresses(case.to, users) if case.starts_from != "reply" else shown.values["to"],
        "cc": _addresses(case.cc, users), "bcc": _addresses(case.bcc, users),
        "subject": case.subject or shown.values["subject"], "body": body, "quote": shown.values.get("quote", ""),
    }
    if case.via_draft:
        edit_url = _save_and_reopen(client, edit_url, data, case, alice, imap)
        data = form_values(client.get(edit_url).content.decode()).values
    response = client.post(edit_url, {**data, "action": "send", "confirmed": "1"})
    assert response.status_code == 302, response.content[:800]
    return {**data, "original_id": original_id}


def _save_and_reopen(client, edit_url: str, data: dict, case, alice, imap) -> str:
    """Brouillons: save, check the stored draft, drop the working copy, reopen it from the folder."""
    response = client.post(edit_url, {**data, "action": "save"})
    assert response.status_code == 302, response.content[:500]
    composition = Composition.objects.get()
    with imap(alice) as mailbox:
        raw = mailbox.fetch_raw("Drafts", composition.draft_uid)
    _check_message(raw, data, case, bcc_shown=True)
    # The working copy is gone, as when the draft is opened on another device: only Brouillons has it.
    Composition.objects.all().delete()
    response = client.get(f"/ecrire/?draft={composition.draft_uid}")
    assert response.status_code == 302, response.content[:300]
    reopened = form_values(client.get(response.url).content.decode())
    for name in ("subject", "body"):
        assert mailcorpus.normalised(reopened.values[name]) == mailcorpus.normalised(data[name].strip()), name
    for name in ("to", "cc", "bcc"):
        assert _emails(reopened.values[name]) == _emails(data[name]), name
        assert _names(reopened.values[name]) == _names(data[name]), name
    assert sorted(reopened.attachments) == sorted(f.name for f in _expected_files(case)), "attachments reopened"
    return response.url


def _emails(field: str) -> list[str]:
    return [address.lower() for _, address in email.utils.getaddresses([field])]


def _names(field: str) -> list[str]:
    return [name for name, _ in email.utils.getaddresses([field])]


def _expected_files(case: mailcorpus.Case) -> list[mailcorpus.File]:
    return case.files + case.original_files


class Checked:
    def __init__(self, message, attachments: int):
        self.message = message
        self.attachments = attachments


def _check_message(raw: bytes, posted: dict, case, *, bcc_shown: bool) -> Checked:
    """The bytes a client fetched are the message that was written."""
    assert raw is not None
    assert mailcorpus.raw_problems(raw) == [], "stored message is not proper RFC 5322"
    message = email.message_from_bytes(raw, policy=policy.default)
    assert not [d for d in message.defects], message.defects
    assert str(message["Subject"]).strip() == posted["subject"].strip()
    assert _emails(str(message["To"])) == _emails(posted["to"])
    assert _names(str(message["To"])) == _names(posted["to"])
    assert _emails(str(message["Cc"] or "")) == _emails(posted["cc"])
    if bcc_shown:
        assert _emails(str(message["Bcc"] or "")) == _emails(posted["bcc"])
    else:
        assert message["Bcc"] is None, "Bcc recipients must not be shown to the others"
    text = message.get_body(preferencelist=("plain",)).get_content()
    # The quoted original is kept apart from what is typed (its own field) and leaves under it.
    written = "\n\n".join(part for part in (posted["body"].strip(), posted.get("quote", "").strip("\r\n")) if part)
    assert mailcorpus.normalised(text).rstrip("\n") == mailcorpus.normalised(written)

    expected = _expected_files(case)
    if expected:
        assert message.get_content_type() == "multipart/mixed"
    else:
        assert message.get_content_type() == "text/plain"
    found = [(part.get_filename(), part.get_content_type(), hashlib.sha256(part.get_payload(decode=True)).hexdigest())
             for part in message.iter_attachments()]
    assert sorted(found) == sorted((f.name, f.content_type, f.sha256) for f in expected)

    # What the recipient sees in this webmail's reading pane.
    shown = parse_message(raw)
    assert shown.subject == posted["subject"].strip()
    assert mailcorpus.normalised(shown.text or "").rstrip("\n") == mailcorpus.normalised(posted["body"].strip())
    assert sorted(a.filename for a in shown.attachments) == sorted(f.name for f in expected)
    return Checked(message, len(expected))


@pytest.fixture(params=["demo", "postfix"])
def smtp_via(request, mail_settings):
    """The SMTP server the webmail submits to: the project's own, or a strict real Postfix."""
    if request.param == "postfix":
        request.getfixturevalue("postfix_settings")
    return request.param


@pytest.mark.parametrize("name", list(CASES))
def test_what_arrives_is_what_was_written(name, smtp_via, signed_in_client, make_mail_user, imap, celery_worker,
                                           short_delay, record_property):
    case = CASES[name]
    short_delay(0.3)
    alice = signed_in_client.mail_user
    users = {who: make_mail_user(who) for who in ("bob", "carol", "dan")}
    started = time.monotonic()

    posted = _write(signed_in_client, case, users, imap, alice)

    outbox = OutboxMessage.objects.get()
    assert mailcorpus.raw_problems(bytes(outbox.raw)) == []
    done = (State.SENT, State.FAILED, State.UNCERTAIN, State.CANCELLED)
    wait_for(lambda: OutboxMessage.objects.filter(pk=outbox.pk, state__in=done).exists(), timeout=120)
    outbox.refresh_from_db()
    assert outbox.state == State.SENT, outbox.last_error
    wait_for(lambda: OutboxMessage.objects.filter(pk=outbox.pk, filed=True).exists(), timeout=60)
    attachments = 0
    recipients = [who for who, _ in case.to + case.cc + case.bcc]
    for who in recipients:
        with imap(users[who]) as mailbox:
            uids = mailbox.search("INBOX", ["HEADER", "Message-ID", outbox.message_id])
            assert len(uids) == 1, f"{who} received {len(uids)} copies"
            raw = mailbox.fetch_raw("INBOX", uids[0])
        received = _check_message(raw, posted, case, bcc_shown=False)
        attachments += received.attachments
        if posted["original_id"] and case.starts_from == "reply":
            assert received.message["In-Reply-To"] == posted["original_id"]
            assert posted["original_id"] in received.message["References"]
    with imap(alice) as mailbox:
        sent = mailbox.search("Sent", ["HEADER", "Message-ID", outbox.message_id])
        assert len(sent) == 1
        sent_raw = mailbox.fetch_raw("Sent", sent[0])
        assert mailbox.search("Drafts", ["ALL"]) == [], "the draft is removed once sent"
    attachments += _check_message(sent_raw, posted, case, bcc_shown=True).attachments

    record_property("round_trip", {
        "server": smtp_via, "case": name, "messages": len(recipients) + 1, "bytes": len(raw) * len(recipients)
        + len(sent_raw), "attachments": attachments, "seconds": round(time.monotonic() - started, 1),
    })


def test_the_corpus_covers_what_the_issue_lists():
    """The corpus keeps the shapes that once broke sending; shrinking it must be deliberate."""
    from django.conf import settings

    by_name = CASES
    assert by_name["letter"].body.count("\n") >= 80
    paragraph = by_name["one-long-paragraph"].body
    assert len(paragraph) >= 5000 and "\n" not in paragraph
    sizes = sorted(len(f.data) for case in by_name.values() for f in case.files + case.original_files)
    assert sizes[0] == 0 and 200 * 1024 in sizes and 3 * 1024 * 1024 in sizes and 20 * 1024 * 1024 in sizes
    assert sum(len(f.data) for f in by_name["largest-allowed"].files) == settings.ATTACHMENTS_MAX_BYTES
    assert len(by_name["several-at-once"].files) >= 5
    assert {c.starts_from for c in by_name.values()} == {"new", "reply", "forward"}
    names = [f.name for f in by_name["names-with-accents"].files]
    assert all(" " in name and not name.isascii() for name in names)


@pytest.mark.parametrize("control", ["\x0b", "\x1c", "\x01", "\x7f"])
def test_a_file_name_with_a_control_character_arrives_whole_in_the_reading_pane(
    control, signed_in_client, make_mail_user, imap, celery_worker, short_delay
):
    """A name such as "\\x0bRapport annuel.pdf" (from another program, or a crafted upload) once
    reached the recipient cut or with its first letter lost."""
    short_delay(0.2)
    bob = make_mail_user("bob")
    report = mailcorpus.pdf(f"{control}Rapport annuel été.pdf", 20_000)
    edit_url = signed_in_client.get("/ecrire/").url
    upload = SimpleUploadedFile(report.name, report.data, report.content_type)
    assert signed_in_client.post(edit_url.rstrip("/") + "/pieces-jointes/", {"files": [upload]}).status_code == 200
    response = signed_in_client.post(edit_url, {"to": bob.email, "cc": "", "bcc": "", "subject": "Rapport",
                                                "body": "Le rapport.", "action": "send", "confirmed": "1"})
    assert response.status_code == 302
    outbox = OutboxMessage.objects.get()
    wait_for(lambda: OutboxMessage.objects.filter(pk=outbox.pk, state=State.SENT, filed=True).exists())
    with imap(signed_in_client.mail_user) as mailbox:
        uid = mailbox.search("Sent", ["HEADER", "Message-ID", outbox.message_id])[0]
    page = signed_in_client.get(f"/mail/{uid}/?folder=Sent").content.decode()
    assert ">Rapport annuel été.pdf</a>" in page
    with imap(bob) as mailbox:
        raw = mailbox.fetch_raw("INBOX", mailbox.search("INBOX", ["ALL"])[0])
    assert [a.filename for a in parse_message(raw).attachments] == ["Rapport annuel été.pdf"]
    [part] = email.message_from_bytes(raw, policy=policy.default).iter_attachments()
    assert hashlib.sha256(part.get_payload(decode=True)).hexdigest() == report.sha256


# Rich messages -------------------------------------------------------------------------------
RICH_LETTER = (
    "<div>Bonjour <b>Zoë</b>,</div>"
    "<div>Voici le <i>compte rendu</i> de la réunion, avec les points <u>à valider</u> :</div>"
    "<ul><li>livraison des maquettes avant le 20</li><li>revue le 12 à Łódź</li></ul>"
    "<ol><li>premier point</li><li>second point</li></ol>"
    '<blockquote>Citation importante du comité.</blockquote>'
    '<div>Le <a href="https://atelier.example/devis?id=12&amp;v=2">devis signé</a> est en ligne.</div>'
    f'<div dir="rtl">{mailcorpus.ARABIC}</div>'
    f"<div>{mailcorpus.POLISH}</div>"
    "<div>Bien cordialement,<br>Alice</div>"
)


def _data_image(image: bytes) -> str:
    import base64

    return f'<img src="data:image/png;base64,{base64.b64encode(image).decode()}" alt="photo">'


def _rich_case(name: str):
    from tests.identities.images import png

    if name == "rich-letter":
        return RICH_LETTER, [], []
    if name == "rich-inline-images":
        plan, facade = png(320, 200, (30, 90, 160)), png(240, 180, (160, 40, 40))
        markup = (f"<div>Le plan et la façade :</div><div>{_data_image(plan)}</div>"
                  f"<div>{_data_image(facade)}</div><div>Et le <b>contrat</b> en pièce jointe.</div>")
        return markup, [plan, facade], [mailcorpus.pdf("contrat signé.pdf", 3 * 1024 * 1024)]
    raise ValueError(name)


def _parts(message, content_type: str) -> list:
    return [part for part in message.walk() if part.get_content_type() == content_type]


@pytest.mark.parametrize("name", ["rich-letter", "rich-inline-images", "html-reply"])
def test_rich_messages_arrive_as_written(name, smtp_via, signed_in_client, make_mail_user, imap, celery_worker,
                                         short_delay, record_property):
    """Formatted text, inline images and HTML replies: the HTML part is the cleaned markup that was
    written, the plain part is made from it, every image arrives byte for byte behind its cid:."""
    from webmail.compose import richtext

    short_delay(0.3)
    client, alice, bob = signed_in_client, signed_in_client.mail_user, make_mail_user("bob")
    query, original_id = "", None
    if name == "html-reply":
        markup, images, files = "<div>Merci pour le <b>tableau</b>, je valide la ligne 2.</div>", [], []
        original = EmailMultiAlternatives(
            "Tableau des livraisons", "Version texte du tableau.", f'"Bob Étienne" <{bob.email}>', [alice.email],
            headers={"Message-ID": "<tableau-livraisons@example.test>"},
        )
        original.attach_alternative("<table><tr><th>Ligne</th><th>Date</th></tr><tr><td>1</td><td>12 déc.</td>"
                                    "</tr><tr><td>2</td><td>19 déc.</td></tr></table>"
                                    "<script>alert('x')</script><p onclick='x()'>Bob</p>", "text/html")
        with imap(alice) as mailbox:
            uid = mailbox.append("INBOX", as_bytes(original))
        query, original_id = f"?reply={uid}&folder=INBOX", "<tableau-livraisons@example.test>"
    else:
        markup, images, files = _rich_case(name)
    edit_url = client.get("/ecrire/" + query).url
    for file in files:
        upload = SimpleUploadedFile(file.name, file.data, file.content_type)
        assert client.post(edit_url.rstrip("/") + "/pieces-jointes/", {"files": [upload]}).status_code == 200
    composition = Composition.objects.get()
    data = {"to": composition.to or bob.email, "cc": "", "bcc": "", "subject": composition.subject or "Compte rendu",
            "format": "rich", "body_html": markup, "body": "", "quote": composition.quote,
            "action": "send", "confirmed": "1"}
    assert client.post(edit_url, data).status_code == 302
    outbox = OutboxMessage.objects.get()
    wait_for(lambda: OutboxMessage.objects.filter(pk=outbox.pk, state=State.SENT, filed=True).exists(), timeout=60)
    assert mailcorpus.raw_problems(bytes(outbox.raw)) == []

    with imap(bob) as mailbox:
        [uid] = mailbox.search("INBOX", ["HEADER", "Message-ID", outbox.message_id])
        received_raw = mailbox.fetch_raw("INBOX", uid)
    with imap(alice) as mailbox:
        [uid] = mailbox.search("Sent", ["HEADER", "Message-ID", outbox.message_id])
        sent_raw = mailbox.fetch_raw("Sent", uid)
    for raw in (received_raw, sent_raw):
        assert mailcorpus.raw_problems(raw) == []
        message = email.message_from_bytes(raw, policy=policy.default)
        html = message.get_body(("html",)).get_content()
        text = mailcorpus.normalised(message.get_body(("plain",)).get_content())
        written = richtext.clean(markup)
        for fragment in ("<b>", "</b>") + (("<i>", "<ul>", "<ol>", "<blockquote", "atelier.example/devis")
                                           if name == "rich-letter" else ()):
            assert fragment in html, fragment
        assert "script" not in html and "onclick" not in html
        assert mailcorpus.normalised(richtext.to_text(written)).strip() in text
        found = sorted(hashlib.sha256(p.get_payload(decode=True)).hexdigest() for p in _parts(message, "image/png"))
        assert found == sorted(hashlib.sha256(image).hexdigest() for image in images)
        for part in _parts(message, "image/png"):
            assert f'cid:{part["Content-ID"].strip("<>")}' in html
        attached = [(p.get_filename(), hashlib.sha256(p.get_payload(decode=True)).hexdigest())
                    for p in message.iter_attachments() if p.get_content_disposition() == "attachment"]
        assert attached == [(f.name, f.sha256) for f in files]
        if name == "rich-letter":
            assert mailcorpus.ARABIC in html and mailcorpus.POLISH in html
            assert "devis signé (https://atelier.example/devis?id=12&v=2)" in text
        if name == "html-reply":
            assert message["In-Reply-To"] == original_id
            assert "19 déc." in html and "<table" in html, "the HTML original is quoted as HTML"
            assert "> " in text
    record_property("round_trip", {"server": smtp_via, "case": name, "messages": 2,
                                   "bytes": len(received_raw) + len(sent_raw), "attachments": len(files) + len(images)})
