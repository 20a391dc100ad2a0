"""Conversations in Chromium: one row per thread, opened in order with the user's own reply from
Envoyés, older messages folded and unfolded by mouse or keyboard, archived as a whole with undo."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.browser.test_accessibility import _sign_in as _axe_sign_in
from tests.browser.test_accessibility import axe_page, violations  # noqa: F401 (a fixture)
from tests.browser.test_finding_mail import ARABIC_SIGN_IN
from tests.browser.test_phone import finger_sized, no_horizontal_scroll
from tests.browser.test_phone import sign_in as phone_sign_in
from tests.browser.test_reading_hostile import sign_in
from tests.mailbox.test_conversations import _thread

pytestmark = [pytest.mark.browser, pytest.mark.imap, pytest.mark.django_db(transaction=True)]


def _put_thread(imap, user) -> None:
    def put_mail(user, raws, folder="INBOX", flags=()):
        with imap(user) as mailbox:
            mailbox.append_many(folder, list(raws), flags)

    _thread(user, put_mail)


def test_reading_a_conversation_in_order_then_archiving_it_with_undo(page, mail_user, imap, screenshot):
    _put_thread(imap, mail_user)
    sign_in(page, mail_user)
    rows = page.locator("li.message")
    expect(rows).to_have_count(2)
    conversation = rows.first
    expect(conversation.locator(".sender")).to_have_text(re.compile(r"^Claire, Bob\s*3\s*3 messages$"))
    expect(conversation.get_by_role("checkbox", name="Sélectionner la conversation « Re: Devis cuisine — Łódź »")
           ).to_be_visible()
    screenshot("conversation-list")
    bodies = []
    page.on("request", lambda request: "/corps/" in request.url and bodies.append(request.url))
    conversation.get_by_role("link").click()

    expect(page.get_by_role("heading", name="Devis cuisine — Łódź", level=1)).to_be_visible()
    expect(page.get_by_text("4 messages dans cette conversation")).to_be_visible()
    messages = page.locator(".thread-message")
    expect(messages).to_have_count(4)
    senders = [text.strip() for text in messages.locator("summary .sender").all_inner_texts()]
    assert senders == ["Claire Martin", "Vous", "Claire Martin", "Bob Durand"]
    for nth, text in ((0, "Pouvez-vous m’envoyer le devis ?"), (2, "Merci, c’est parfait."),
                      (3, "Je m’occupe de la pose.")):  # the open ones, in their frames
        expect(page.frame_locator(f".thread-message >> nth={nth} >> iframe").get_by_text(text).first).to_be_visible()

    mine = messages.nth(1)
    expect(mine.locator("details")).not_to_have_attribute("open", "")
    assert len(bodies) == 3 and not any("folder=Sent" in url for url in bodies)  # folded: not fetched yet
    expect(mine.get_by_text("Envoyés", exact=True)).to_be_visible()
    mine.locator("summary").focus()
    page.keyboard.press("Enter")  # a summary unfolds from the keyboard too
    expect(page.frame_locator(".thread-message >> nth=1 >> iframe").get_by_text("Voici le devis")).to_be_visible()
    # The frame takes its message's height (one line here), not the fixed 16rem box it starts as.
    page.wait_for_function("() => document.querySelectorAll('.thread-message iframe')[1]"
                           ".getBoundingClientRect().height < 150")
    page.get_by_role("heading", name="Devis cuisine — Łódź", level=1).scroll_into_view_if_needed()
    screenshot("conversation")

    page.get_by_role("toolbar", name="Actions sur la conversation").get_by_role("button", name="Archiver").click()
    expect(page).to_have_url(re.compile(r"/mail/\?folder=INBOX$"))
    toast = page.get_by_role("status").filter(has_text="3 messages archivés")
    expect(toast).to_be_visible()
    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text("Sans rapport")
    toast.get_by_role("button", name="Annuler").click()
    expect(rows).to_have_count(2)
    expect(rows.first.locator(".sender")).to_contain_text("Claire, Bob")


def test_switching_conversations_off_in_the_settings(page, mail_user, imap):
    _put_thread(imap, mail_user)
    sign_in(page, mail_user)
    expect(page.locator("li.message")).to_have_count(2)
    page.goto(page.base_url + "/parametres/")
    box = page.get_by_label("Regrouper les messages en conversations")
    expect(box).to_be_checked()  # on by default
    box.uncheck()
    page.get_by_role("button", name="Enregistrer").click()
    page.get_by_text("Paramètres enregistrés.").wait_for()
    page.goto(page.base_url + "/mail/")
    expect(page.locator("li.message")).to_have_count(4)


@pytest.mark.parametrize(("locale", "color_scheme"), [("fr-FR", "light"), ("fr-FR", "dark"), ("ar", "light")])
def test_the_conversation_list_and_page_pass_axe(axe_page, mail_user, imap, locale, color_scheme):  # noqa: F811
    _put_thread(imap, mail_user)
    page = axe_page(color_scheme=color_scheme, locale=locale)
    _axe_sign_in(page, mail_user, **({} if locale == "fr-FR" else ARABIC_SIGN_IN))
    found = violations(page)
    page.locator("li.message").first.get_by_role("link").click()
    expect(page.locator(".thread-message")).to_have_count(4)
    found += violations(page)
    assert not found, "\n".join(found)


def test_a_conversation_on_a_phone(open_page, mail_user, imap):
    _put_thread(imap, mail_user)
    page = open_page(viewport={"width": 360, "height": 780}, is_mobile=True, has_touch=True)
    phone_sign_in(page, mail_user)
    page.locator("li.message").first.get_by_role("link").tap()
    expect(page.locator(".thread-message")).to_have_count(4)
    no_horizontal_scroll(page)
    folded = page.locator(".thread-message").nth(1).locator("summary")
    finger_sized(folded)
    folded.tap()
    expect(page.frame_locator(".thread-message >> nth=1 >> iframe").get_by_text("Voici le devis")).to_be_visible()
    no_horizontal_scroll(page)
