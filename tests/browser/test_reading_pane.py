"""Reading mail in Chromium: keyboard shortcuts, HTMX actions without reload, the sandboxed body."""

from __future__ import annotations

import re
from email.message import EmailMessage
from email.utils import formatdate, make_msgid

import pytest
from playwright.sync_api import expect

from tests.browser.test_reading_hostile import sign_in

pytestmark = [pytest.mark.browser, pytest.mark.imap, pytest.mark.django_db(transaction=True)]

PNG = bytes.fromhex(
    "89504e470d0a1a0a0000000d4948445200000001000000010806000000"
    "1f15c4890000000d49444154789c6360f8cfc0000003010100c9fe92ef0000000049454e44ae426082"
)


def _message(subject: str, sender: str = "Claire <claire@example.fr>") -> EmailMessage:
    """A well-formed message (Date and Message-ID: no "damaged message" notice) to add a body to."""
    message = EmailMessage()
    message["Subject"], message["From"], message["To"] = subject, sender, "a@b.test"
    message["Date"], message["Message-ID"] = formatdate(localtime=True), make_msgid(domain="example.test")
    return message


def _html_mail() -> bytes:
    message = _message("Lettre illustrée")
    message.set_content("version texte")
    message.add_alternative('<p>Bonjour <b>illustré</b><img src="cid:pixel@x" alt="pixel">'
                            '<img src="https://tracker.example/open.gif" alt=""></p>', subtype="html")
    message.get_payload()[1].add_related(PNG, "image", "png", cid="<pixel@x>")
    return message.as_bytes()


def _plain(subject: str) -> bytes:
    message = _message(subject, "Bob <bob@example.test>")
    message.set_content(f"Texte de {subject}")
    return message.as_bytes()


def test_keyboard_and_htmx_actions(page, mail_user, imap, screenshot):
    with imap(mail_user) as mailbox:
        mailbox.append_many("INBOX", [_plain("Premier"), _plain("Deuxième"), _html_mail()])
    sign_in(page, mail_user)
    page.evaluate("window.__noReload = true")

    page.keyboard.press("?")
    dialog = page.get_by_role("dialog", name="Raccourcis clavier")
    expect(dialog).to_be_visible()
    dialog.get_by_role("button", name="Fermer").click()
    expect(dialog).to_be_hidden()

    page.keyboard.press("j")
    expect(page.locator("li.message.cursor")).to_contain_text("Lettre illustrée")
    page.keyboard.press("j")
    expect(page.locator("li.message.cursor")).to_contain_text("Deuxième")
    page.keyboard.press("s")
    expect(page.locator("li.message", has_text="Deuxième").locator(".star-toggle.on")).to_be_visible()
    expect(page.locator("li.message.cursor")).to_contain_text("Deuxième")

    # Bulk archive through HTMX: the list changes, the page does not reload.
    page.get_by_label("Sélectionner « Premier »").check()
    page.get_by_label("Sélectionner « Deuxième »").check()
    page.locator("#bulk-form").get_by_role("button", name="Archiver").click()
    expect(page.get_by_role("status")).to_contain_text("2 messages archivés.")
    expect(page.locator("li.message")).to_have_count(1)
    assert page.evaluate("window.__noReload") is True
    screenshot("message-list")

    images = []
    page.on("response", lambda r: images.append(r.status) if "/mail/image/" in r.url else None)
    page.keyboard.press("j")
    page.keyboard.press("o")
    expect(page.get_by_role("heading", name="Lettre illustrée")).to_be_visible()
    expect(page.get_by_text("Images distantes bloquées")).to_be_visible()
    expect(page.frame_locator("iframe.message-body").get_by_text("illustré")).to_be_visible()
    expect(page.frame_locator("iframe.message-body").get_by_alt_text("pixel")).to_be_visible()
    assert images == [200]
    screenshot("reading-pane")

    page.keyboard.press("s")
    expect(page.locator("#star-form button")).to_have_attribute("aria-pressed", "true")
    page.keyboard.press("u")
    expect(page).to_have_url(re.compile(r"/mail/\?folder=INBOX$"))
    expect(page.get_by_role("heading", name="Boîte de réception")).to_be_visible()


def test_delete_from_the_reading_pane_and_the_list_polls_for_new_mail(page, mail_user, imap):
    with imap(mail_user) as mailbox:
        mailbox.append_many("INBOX", [_plain("À supprimer")])
    sign_in(page, mail_user)
    page.get_by_role("link", name=re.compile("À supprimer")).click()
    page.locator(".reading-toolbar").get_by_role("button", name="Supprimer").click()
    expect(page.get_by_text("1 message placé dans la corbeille.")).to_be_visible()
    expect(page.get_by_text("Aucun message ici.")).to_be_visible()

    with imap(mail_user) as mailbox:
        mailbox.append("INBOX", _plain("Arrivé entre-temps"))
    # Instead of waiting 30 s, fire the poll the way htmx's timer does.
    page.evaluate(
        "htmx.ajax('GET', document.querySelector('#message-list').getAttribute('hx-get'),"
        " {target: '#message-list', swap: 'outerHTML'})"
    )
    expect(page.locator(".subject", has_text="Arrivé entre-temps")).to_be_visible()


def test_e_and_hash_archive_and_delete_the_message_under_the_cursor(page, mail_user, imap):
    with imap(mail_user) as mailbox:
        mailbox.append_many("INBOX", [_plain("Garder"), _plain("Archiver"), _plain("Jeter")])
    sign_in(page, mail_user)
    page.keyboard.press("j")
    expect(page.locator("li.message.cursor")).to_contain_text("Jeter")
    page.keyboard.press("#")
    expect(page.get_by_role("status")).to_contain_text("1 message placé dans la corbeille.")
    page.keyboard.press("j")
    expect(page.locator("li.message.cursor")).to_contain_text("Archiver")
    page.keyboard.press("e")
    expect(page.get_by_role("status")).to_contain_text("1 message archivé.")
    expect(page.locator("li.message")).to_have_count(1)
    with imap(mail_user) as mailbox:
        assert len(mailbox.search("Archive", ["ALL"])) == 1 and len(mailbox.search("Trash", ["ALL"])) == 1


def test_folder_and_page_links_swap_only_the_list_and_keep_history(page, mail_user, imap):
    with imap(mail_user) as mailbox:
        mailbox.append_many("INBOX", [_plain(f"Lettre {i:02}") for i in range(55)])
        mailbox.append_many("Sent", [_plain("Réponse envoyée")])
    sign_in(page, mail_user)
    page.evaluate("window.__noReload = true")
    list_title = page.get_by_role("heading", level=1)
    expect(list_title).to_have_text("Boîte de réception")

    page.get_by_role("link", name="Plus anciens").click()
    expect(page.locator("li.message").first).to_contain_text("Lettre 04")
    expect(page).to_have_url(re.compile(r"page=2"))
    expect(list_title).to_be_focused()

    page.get_by_role("navigation", name="Dossiers").get_by_role("link", name="Envoyés").click()
    expect(list_title).to_have_text("Envoyés")
    expect(page.locator("li.message")).to_have_count(1)
    expect(page).to_have_url(re.compile(r"folder=Sent"))
    expect(page).to_have_title(re.compile(r"^(\(\d+\) )?Envoyés"))  # after the inbox's unread count
    expect(page.locator("a.folder[aria-current=page]")).to_contain_text("Envoyés")
    assert page.evaluate("window.__noReload") is True  # no page load: only the list was swapped

    page.go_back()  # the previous list comes back from the server, whole
    expect(list_title).to_have_text("Boîte de réception")
    expect(page.locator("li.message").first).to_contain_text("Lettre 04")
    expect(page.locator("a.folder[aria-current=page]")).to_contain_text("Boîte de réception")


def test_opening_a_message_and_going_back_do_not_reload_the_page(page, mail_user, imap):
    with imap(mail_user) as mailbox:
        mailbox.append_many("INBOX", [_plain("Premier"), _plain("Deuxième")])
    sign_in(page, mail_user)
    page.evaluate("window.__noReload = true")
    inbox = page.get_by_role("navigation", name="Dossiers").get_by_role("link", name=re.compile("Boîte de réception"))
    expect(inbox).to_contain_text("2")  # two unread

    page.get_by_role("link", name=re.compile("Deuxième")).click()
    subject = page.get_by_role("heading", level=1, name="Deuxième")
    expect(subject).to_be_focused()
    expect(page).to_have_url(re.compile(r"/mail/\d+/"))
    expect(page.locator(".reading")).to_contain_text("Texte de Deuxième")
    expect(inbox).to_contain_text("1")  # the sidebar came with the message: one unread left
    # Only the title, #main and the folder list were sent (`_main_only.html`); the rest stays.
    expect(page).to_have_title(re.compile(r"Deuxième · Webmail$"))
    expect(page.get_by_role("search")).to_be_visible()

    page.keyboard.press("u")
    expect(page.get_by_role("heading", level=1, name="Boîte de réception")).to_be_focused()
    expect(page.locator("li.message.unread")).to_have_count(1)
    page.go_back()
    expect(subject).to_be_visible()
    page.go_forward()
    expect(page.get_by_role("heading", level=1, name="Boîte de réception")).to_be_visible()
    assert page.evaluate("window.__noReload") is True


def test_a_link_after_the_session_ended_goes_to_sign_in_whole(page, mail_user):
    sign_in(page, mail_user)
    page.context.clear_cookies()  # the session ended (signed out elsewhere, expired)
    page.get_by_role("navigation", name="Dossiers").get_by_role("link", name=re.compile("Envoyés")).click()
    page.wait_for_url(re.compile(r"/compte/connexion/\?next="))
    expect(page.get_by_role("button", name="Se connecter")).to_be_visible()
    expect(page.locator(".sidebar")).to_have_count(0)  # a sign-in page, not one inside the mail layout


def _long_html_mail_with_attachment() -> bytes:
    message = _message("Lettre longue")
    message.set_content("version texte")
    message.add_alternative("".join(f"<p>Paragraphe {i}</p>" for i in range(200)), subtype="html")
    message.add_attachment(b"%PDF-1.4", maintype="application", subtype="pdf", filename="devis.pdf")
    return message.as_bytes()


def test_the_body_takes_the_room_the_pane_has_and_the_attachments_stay_in_view(page, mail_user, imap):
    with imap(mail_user) as mailbox:
        mailbox.append_many("INBOX", [_long_html_mail_with_attachment()])
    page.set_viewport_size({"width": 1280, "height": 1000})
    sign_in(page, mail_user)
    page.get_by_role("link", name=re.compile("Lettre longue")).click()
    expect(page.frame_locator("iframe.message-body").get_by_text("Paragraphe 0", exact=True)).to_be_visible()
    attachment = page.get_by_role("link", name="devis.pdf", exact=True)
    expect(attachment).to_be_in_viewport()
    main_scrolls = "(m => m.scrollHeight > m.clientHeight + 1)(document.getElementById('main'))"
    assert page.evaluate(main_scrolls) is False  # one scroll area: the body's own
    body, pane = page.locator("iframe.message-body").bounding_box(), page.locator("#main").bounding_box()
    assert body["height"] > 0.45 * pane["height"]  # what the headers leave, not a fixed box

    # A short window: the body keeps a readable height and the pane scrolls to the attachments.
    page.set_viewport_size({"width": 1280, "height": 420})
    assert page.locator("iframe.message-body").bounding_box()["height"] >= 0.6 * 420 - 1
    assert page.evaluate(main_scrolls) is True
    attachment.scroll_into_view_if_needed()
    expect(attachment).to_be_in_viewport()
