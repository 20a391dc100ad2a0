"""Inline (cid:) images in real Chromium: they show in the sandboxed body frame, and their URL is
worth something only inside the session it was handed to — not without a session, not in another
user's, not in another session of the same user. Before, anyone holding the URL (a proxy log, a
shared screen, a forwarded link) could fetch the image for 12 hours without signing in."""

from __future__ import annotations

import random
import struct
import zlib
from email.message import EmailMessage
from email.utils import formatdate, make_msgid

import pytest
from playwright.sync_api import expect

pytestmark = [pytest.mark.browser, pytest.mark.imap, pytest.mark.django_db(transaction=True)]

WIDTH, HEIGHT = 480, 320


def _photo_png() -> bytes:
    """A 480×320 RGB PNG of noisy gradients (~400 kB, about what a photo in a newsletter weighs)."""
    rng = random.Random(20261130)
    rows = b"".join(
        b"\0" + bytes(min(255, (x + y) // 4 + rng.randrange(64)) for x in range(WIDTH) for _ in range(3))
        for y in range(HEIGHT)
    )

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    header = struct.pack(">IIBBBBB", WIDTH, HEIGHT, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(rows)) + chunk(b"IEND", b"")


PHOTO = _photo_png()


def _letter_with_a_photo() -> bytes:
    message = EmailMessage()
    message["Subject"] = "Photos du séminaire à Łódź"
    message["From"], message["To"] = "Zofia Wójcik <zofia@example.pl>", "alice@example.test"
    message["Date"], message["Message-ID"] = formatdate(localtime=True), make_msgid(domain="example.pl")
    message.set_content("Bonjour, voici la photo de groupe.")
    message.add_alternative(
        "<p>Bonjour,</p><p>voici la photo de groupe prise devant la Manufaktura :</p>"
        '<p><img src="cid:groupe@example.pl" alt="Photo de groupe" width="480" height="320"></p>'
        "<p>À bientôt, مع تحياتي</p>", subtype="html")
    message.get_payload()[1].add_related(PHOTO, "image", "png", cid="<groupe@example.pl>")
    return message.as_bytes()


def _signed_in_context(browser, base_url: str, user):
    context = browser.new_context(locale="fr-FR")
    page = context.new_page()
    page.goto(base_url + "/compte/connexion/")
    page.get_by_label("Adresse e-mail").fill(user.email)
    page.get_by_label("Mot de passe").fill(user.password)
    page.get_by_role("button", name="Se connecter").click()
    page.wait_for_url(base_url + "/mail/**")
    return context


def test_an_inline_image_shows_in_the_reading_pane_and_its_url_needs_that_session(
    browser, live_server, mail_user, make_mail_user, imap
):
    with imap(mail_user) as mailbox:
        mailbox.append("INBOX", _letter_with_a_photo())
    alice = _signed_in_context(browser, live_server.url, mail_user)
    page = alice.new_page()
    images = []
    page.on("response", lambda r: images.append(r) if "/mail/image/" in r.url else None)
    page.goto(live_server.url + "/mail/")
    page.get_by_role("link", name="Photos du séminaire à Łódź").click()

    photo = page.frame_locator("iframe.message-body").get_by_alt_text("Photo de groupe")
    expect(photo).to_be_visible()
    photo.evaluate("img => img.decode()")
    assert photo.evaluate("img => [img.complete, img.naturalWidth, img.naturalHeight]") == [True, WIDTH, HEIGHT]
    [response] = images
    assert response.status == 200 and response.body() == PHOTO
    assert "sessionid=" in (response.request.all_headers().get("cookie") or ""), "sent with alice's session"
    url = response.url

    # Without a session: no image, whatever the token says.
    nobody = browser.new_context()
    signed_out = nobody.request.get(url, max_redirects=0)
    assert signed_out.status in (302, 403, 404) and signed_out.body() != PHOTO
    if signed_out.status == 302:
        assert "/compte/connexion/" in signed_out.headers["location"]

    # Another user's session, and another session of alice herself: 404.
    bob = _signed_in_context(browser, live_server.url, make_mail_user("bob"))
    other_alice = _signed_in_context(browser, live_server.url, mail_user)
    for context in (bob, other_alice):
        refused = context.request.get(url, max_redirects=0)
        assert refused.status == 404 and refused.body() != PHOTO

    # Once alice signs out, the URL is dead for her browser too.
    page.locator("form[action='/compte/deconnexion/'] button").click()
    page.wait_for_url(live_server.url + "/compte/connexion/**")
    assert alice.request.get(url, max_redirects=0).body() != PHOTO
    for context in (alice, nobody, bob, other_alice):
        context.close()
