"""The reading pane against the real Dovecot: headers, bodies, remote content, cid images, attachments."""

from __future__ import annotations

import re
from email.message import EmailMessage
from urllib.parse import unquote

import pytest

from tests.mailbox.conftest import build

pytestmark = [pytest.mark.imap, pytest.mark.django_db]


def _open(client, uid, folder="INBOX", **extra):
    return client.get(f"/mail/{uid}/", {"folder": folder, **extra})


def test_plain_message_shows_decoded_headers_and_escaped_linked_text(signed_in_client, put_mail, uids):
    user = signed_in_client.mail_user
    put_mail(user, [build(
        subject="=?utf-8?q?R=C3=A9union_de_lundi?=",
        sender="=?utf-8?q?Ren=C3=A9e_Dupr=C3=A9?= <renee@example.fr>",
        cc="Bob <bob@example.test>",
        body="Voir https://example.org/agenda <b>pas du HTML</b>\n\n> cité\n> encore",
    )])
    [uid] = uids(user)
    html = _open(signed_in_client, uid).content.decode()
    assert "Réunion de lundi" in html
    assert "Renée Dupré &lt;renee@example.fr&gt;" in html
    assert "Bob &lt;bob@example.test&gt;" in html
    assert '<a href="https://example.org/agenda"' in html
    assert "&lt;b&gt;pas du HTML&lt;/b&gt;" in html
    assert '<details class="quoted">' in html
    assert f'href="/ecrire/?reply={uid}&amp;folder=INBOX"' in html
    assert f'href="/ecrire/?reply_all={uid}&amp;folder=INBOX"' in html
    assert f'href="/ecrire/?forward={uid}&amp;folder=INBOX"' in html


def test_opening_marks_read_and_mark_unread_puts_it_back(signed_in_client, put_mail, uids, flags_of):
    user = signed_in_client.mail_user
    put_mail(user, [build()])
    [uid] = uids(user)
    assert "\\Seen" not in flags_of(user, "INBOX", uid)
    assert _open(signed_in_client, uid).status_code == 200
    assert "\\Seen" in flags_of(user, "INBOX", uid)
    response = signed_in_client.post("/mail/actions/", {"action": "unread", "msg": f"{uid}:INBOX"})
    assert response.status_code == 302
    assert "\\Seen" not in flags_of(user, "INBOX", uid)


def test_html_body_is_framed_sandboxed_and_served_with_a_strict_policy(signed_in_client, put_mail, uids):
    user = signed_in_client.mail_user
    put_mail(user, [build(html='<p style="color: red">Salut<script>alert(1)</script>'
                               '<img src="https://tracker.example/p.gif"></p>')])
    [uid] = uids(user)
    page = _open(signed_in_client, uid).content.decode()
    # Same origin so that its cid: images carry the session cookie; still no scripts.
    assert 'sandbox="allow-same-origin allow-popups allow-popups-to-escape-sandbox"' in page
    assert "Images distantes bloquées" in page and "Afficher les images" in page
    src = re.search(r'<iframe[^>]* src="([^"]+)"', page).group(1).replace("&amp;", "&")
    body = signed_in_client.get(src)
    assert body.status_code == 200
    content = body.content.decode()
    assert "Salut" in content and "color: red" in content
    assert "<script" not in content and "tracker.example" not in content
    policy = body["Content-Security-Policy"]
    assert "default-src 'none'" in policy and "frame-ancestors 'self'" in policy
    assert "script-src" not in policy and "https:" not in policy
    assert "allow-scripts" not in policy and "allow-scripts" not in page
    assert body["X-Frame-Options"] == "SAMEORIGIN"


def test_show_images_once_and_always_for_this_sender(signed_in_client, put_mail, uids):
    user = signed_in_client.mail_user
    put_mail(user, [build(html='<p>Promo<img src="https://images.example/a.png"></p>', sender="shop@example.com")])
    [uid] = uids(user)
    page = _open(signed_in_client, uid, remote="1").content.decode()
    assert "Images distantes bloquées" not in page
    src = re.search(r'<iframe[^>]* src="([^"]+)"', page).group(1).replace("&amp;", "&")
    body = signed_in_client.get(src)
    assert "https://images.example/a.png" in body.content.decode()
    assert "img-src" in body["Content-Security-Policy"] and "https:" in body["Content-Security-Policy"]

    # Not remembered: opening again blocks them.
    assert "Images distantes bloquées" in _open(signed_in_client, uid).content.decode()
    response = signed_in_client.post(f"/mail/{uid}/confiance/", {"folder": "INBOX"})
    assert response.status_code == 302
    assert "Images distantes bloquées" not in _open(signed_in_client, uid).content.decode()


def test_the_frame_shows_remote_images_as_the_page_just_shown_said(signed_in_client, put_mail, uids, monkeypatch):
    """The page's "remote images" bar and the frame under it agree, even when the sender's trust is
    withdrawn elsewhere (another device) between the two; the next page asks again."""
    from django.contrib.auth import get_user_model

    from webmail.mailbox.models import TrustedSender

    user = signed_in_client.mail_user
    owner = get_user_model().objects.get(username=user.email.lower())
    put_mail(user, [build(html='<p>Promo<img src="https://images.example/a.png"></p>', sender="shop@example.com")])
    [uid] = uids(user)
    TrustedSender.trust(owner, "shop@example.com")
    page = _open(signed_in_client, uid).content.decode()
    assert "Images distantes bloquées" not in page
    TrustedSender.objects.filter(user=owner).delete()
    src = re.search(r'<iframe[^>]* src="([^"]+)"', page).group(1).replace("&amp;", "&")
    assert "https://images.example/a.png" in signed_in_client.get(src).content.decode()

    page = _open(signed_in_client, uid).content.decode()
    assert "Images distantes bloquées" in page
    src = re.search(r'<iframe[^>]* src="([^"]+)"', page).group(1).replace("&amp;", "&")
    assert "images.example" not in signed_in_client.get(src).content.decode()

    # A frame asked for long after its page (a reload of the frame alone) asks the database.
    TrustedSender.trust(owner, "shop@example.com")
    for module in ("webmail.mailbox.message_cache", "webmail.mailbox.reading"):
        monkeypatch.setattr(f"{module}.FRAME_SECONDS", -1)
    assert "https://images.example/a.png" in signed_in_client.get(src).content.decode()


def test_cid_images_are_served_from_the_message(signed_in_client, put_mail, uids):
    user = signed_in_client.mail_user
    message = EmailMessage()
    message["Subject"], message["From"], message["To"] = "Logo", "a@example.fr", "b@example.test"
    message.set_content("texte")
    message.add_alternative('<p>Voici<img src="cid:logo@x" alt="logo"></p>', subtype="html")
    png = b"\x89PNG\r\n\x1a\n" + b"\0" * 32
    message.get_payload()[1].add_related(png, "image", "png", cid="<logo@x>")
    put_mail(user, [message.as_bytes()])
    [uid] = uids(user)
    page = _open(signed_in_client, uid).content.decode()
    src = re.search(r'<iframe[^>]* src="([^"]+)"', page).group(1).replace("&amp;", "&")
    body = signed_in_client.get(src).content.decode()
    image_url = re.search(r'<img[^>]* src="(/mail/image/[^"]+)"', body).group(1)
    image = signed_in_client.get(image_url)
    assert image.status_code == 200
    assert image["Content-Type"] == "image/png" and image.content == png
    assert signed_in_client.get(image_url[:-6] + "AAAAA/").status_code == 404
    # The URL is worth something only in the session it was handed to (tests/browser/test_inline_images.py).
    signed_in_client.logout()
    signed_out = signed_in_client.get(image_url)
    assert signed_out.status_code == 302 and signed_out.content != png


def test_attachments_are_listed_and_downloaded_safely(signed_in_client, put_mail, uids):
    user = signed_in_client.mail_user
    put_mail(user, [build(attachments=[
        ("rapport été.pdf", "application/pdf", b"%PDF-1.4 data"),
        ("page.html", "text/html", b"<script>alert(1)</script>"),
        ("dessin.svg", "image/svg+xml", b"<svg onload='alert(1)'/>"),
    ])])
    [uid] = uids(user)
    page = _open(signed_in_client, uid).content.decode()
    assert "3 pièces jointes" in page
    assert "rapport été.pdf" in page and "application/pdf" in page
    links = re.findall(r'href="(/mail/\d+/pieces/[^/"]+/\?[^"]+)"', page)  # downloads, not the previews
    assert len(links) == 3
    pdf = signed_in_client.get(links[0].replace("&amp;", "&"))
    assert pdf.status_code == 200 and pdf.content == b"%PDF-1.4 data"
    assert pdf["Content-Disposition"].startswith("attachment;")
    assert "filename*=utf-8''" in pdf["Content-Disposition"]
    assert unquote(pdf["Content-Disposition"].split("''", 1)[1]) == "rapport été.pdf"
    assert pdf["X-Content-Type-Options"] == "nosniff"
    for link in links[1:]:
        response = signed_in_client.get(link.replace("&amp;", "&"))
        assert response["Content-Type"] == "application/octet-stream"
        assert response["Content-Disposition"].startswith("attachment;")


@pytest.mark.parametrize("path", ["/mail/999/", "/mail/999/corps/", "/mail/999/pieces/1/"])
def test_missing_message_is_a_404(signed_in_client, path):
    response = signed_in_client.get(path, {"folder": "INBOX"})
    assert response.status_code == 404
    assert "n’existe plus" in response.content.decode()


def test_a_message_gone_when_opened_in_place_gets_its_sentence_for_the_alert(signed_in_client):
    """A row clicked after the message was deleted elsewhere: htmx does not swap a 404, mailbox.js
    shows the sentence of the answer's role="alert" element."""
    response = signed_in_client.get("/mail/999/", {"folder": "INBOX"}, HTTP_HX_REQUEST="true",
                                    HTTP_HX_BOOSTED="true", HTTP_HX_TARGET="main")
    assert response.status_code == 404
    html = response.content.decode()
    assert 'role="alert"' in html and "n’existe plus" in html and "<html" not in html


def test_bad_references_are_4xx(signed_in_client, put_mail, uids):
    user = signed_in_client.mail_user
    put_mail(user, [build()])
    [uid] = uids(user)
    assert signed_in_client.get(f"/mail/{2**40}/", {"folder": "INBOX"}).status_code == 400
    assert signed_in_client.get(f"/mail/{uid}/", {"folder": "Nope"}).status_code == 404
    assert signed_in_client.get(f"/mail/{uid}/", {"folder": "a\x01b"}).status_code == 400
    assert signed_in_client.get(f"/mail/{uid}/pieces/9.9/", {"folder": "INBOX"}).status_code == 404
    assert signed_in_client.get(f"/mail/{uid}/pieces/abc/", {"folder": "INBOX"}).status_code == 404


@pytest.mark.parametrize("path", ["/mail/1/confiance/", "/mail/actions/", "/dossiers/creer/",
                                  "/dossiers/renommer/", "/dossiers/supprimer/"])
def test_mutating_views_refuse_get(signed_in_client, path):
    assert signed_in_client.get(path).status_code == 405


def test_mail_read_from_the_server_never_reaches_the_logs(signed_in_client, put_mail, uids, caplog):
    """imapclient hands imaplib's trace of every command and answer to a DEBUG logger: a site that
    turns DEBUG logging on must still not write people's mail into its logs."""
    from webmail.imap import gateway

    user = signed_in_client.mail_user
    secret = "Contenu-confidentiel-7f3a"
    put_mail(user, [build(subject=f"Objet {secret}", body=f"Le code est {secret}.")])
    [uid] = uids(user)
    gateway.pool.clear()  # a new connection: LOGIN, then the list, the message and its body
    caplog.set_level("DEBUG")
    assert secret in signed_in_client.get("/mail/").content.decode()
    assert secret in _open(signed_in_client, uid).content.decode()
    assert secret in signed_in_client.get(f"/mail/{uid}/corps/", {"folder": "INBOX"}).content.decode()
    assert caplog.records  # DEBUG logging was on
    assert secret not in caplog.text
    assert user.password not in caplog.text


def test_a_row_clicked_in_the_list_gets_only_what_htmx_swaps(signed_in_client, put_mail, uids):
    """A boosted link into #main (the list's rows) takes the title, #main and the folder list from
    the answer (hx-select, hx-select-oob): only those are rendered. A full load gets the page."""
    put_mail(signed_in_client.mail_user, [build(subject="Réunion du comité — jeudi")])
    [uid] = uids(signed_in_client.mail_user)
    boosted = {"HTTP_HX_REQUEST": "true", "HTTP_HX_BOOSTED": "true", "HTTP_HX_TARGET": "main"}
    page = signed_in_client.get(f"/mail/{uid}/", {"folder": "INBOX"}, **boosted).content.decode()
    assert "<title>Réunion du comité — jeudi · Webmail</title>" in page
    assert '<main id="main"' in page and 'id="folder-nav"' in page and 'id="message-subject"' in page
    assert "topbar" not in page and "<script" not in page
    full = signed_in_client.get(f"/mail/{uid}/", {"folder": "INBOX"}).content.decode()
    assert "topbar" in full and "<script" in full and 'id="message-subject"' in full
    # Back in history, htmx asks for the whole page again.
    restored = signed_in_client.get(f"/mail/{uid}/", {"folder": "INBOX"}, **boosted,
                                    HTTP_HX_HISTORY_RESTORE_REQUEST="true").content.decode()
    assert "topbar" in restored
