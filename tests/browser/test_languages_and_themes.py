"""Arabic right to left with no English left in it, Polish chosen in Paramètres, and the dark
theme (the system's or the one chosen), in Chromium."""

from __future__ import annotations

import re

import pytest
from django.contrib.auth import get_user_model
from playwright.sync_api import expect

from tests.browser.test_accessibility import INBOX
from webmail.preferences.models import Preferences

pytestmark = [pytest.mark.browser, pytest.mark.imap, pytest.mark.django_db(transaction=True)]

ARABIC_LETTER = re.compile(r"[\u0600-\u06ff]")
# What may stay Latin in the Arabic UI: key names (the users' own data is skipped below).
ALLOWED_LATIN = {"Enter", "Shift", "Shift+Z"}


def _sign_in(page, user, email_label: str, password_label: str, button: str) -> None:
    page.goto(page.base_url + "/compte/connexion/")
    page.get_by_label(email_label).fill(user.email)
    page.get_by_label(password_label).fill(user.password)
    page.get_by_role("button", name=button).click()
    page.wait_for_url(lambda url: "/compte/connexion/" not in url)
    if "/mail/" not in page.url:  # a first sign-in may ask for a name first
        page.goto(page.base_url + "/mail/")


def _untranslated(page) -> list[str]:
    """The interface's own words (not the mail, not addresses) that have no Arabic letter."""
    texts = page.evaluate("""() => {
        const skip = "li.message, #message-subject, .headers dd, .message-text, .whoami, .sender, select#id_language,"
                   + " select#id_time_zone, .folder-name, option, .attachments li, kbd, script, style, [hidden]";
        const out = [];
        const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
        while (walker.nextNode()) {
            const node = walker.currentNode, el = node.parentElement, text = node.textContent.trim();
            if (!text || el.closest(skip) || !el.checkVisibility({visibilityProperty: true})) continue;
            out.push(text);
        }
        document.querySelectorAll("[aria-label], [title], [placeholder]").forEach(el => {
            if (el.closest(skip)) return;
            for (const name of ["aria-label", "title", "placeholder"]) if (el.getAttribute(name)) out.push(el.getAttribute(name));
        });
        return out;
    }""")
    # One or two characters are an icon's glyph (the editor's B, I, U, •): their name is the aria-label/title, read too.
    return [t for t in texts if not ARABIC_LETTER.search(t) and t not in ALLOWED_LATIN and len(t) > 2
            and not re.fullmatch(r"[\d\s:/().,–—·-]+", t)]


def _user(mail_user):
    return get_user_model().objects.get(username=mail_user.email.lower())


def test_arabic_is_right_to_left_and_fully_translated(open_page, mail_user, imap, screenshot):
    with imap(mail_user) as mailbox:
        mailbox.append_many("INBOX", INBOX)
    page = open_page(locale="ar")  # the browser asks for Arabic; nothing chosen in Paramètres
    page.goto(page.base_url + "/compte/connexion/")
    assert _untranslated(page) == []
    _sign_in(page, mail_user, "عنوان البريد الإلكتروني", "كلمة المرور", "تسجيل الدخول")
    expect(page.locator("html")).to_have_attribute("dir", "rtl")
    expect(page.locator("html")).to_have_attribute("lang", "ar")
    # The folder list on the right, the mail on its left.
    sidebar, main = page.locator(".sidebar").bounding_box(), page.locator("#main").bounding_box()
    assert sidebar["x"] > main["x"]
    expect(page.get_by_role("heading", name="البريد الوارد")).to_be_visible()
    assert _untranslated(page) == []
    # Mixed direction: a French sender's name runs left to right inside the Arabic list.
    row = page.locator("li.message").filter(has_text="Comptabilité Durand")
    assert row.locator(".sender").evaluate("el => getComputedStyle(el).direction") == "ltr"
    arabic_row = page.locator("li.message").filter(has_text="سارة بن علي")
    assert arabic_row.locator(".summary").evaluate("el => getComputedStyle(el).direction") == "rtl"
    screenshot("arabic-inbox", of=page)

    # A French message read in the Arabic UI keeps its own direction.
    page.locator("li.message a.open").filter(has_text="Zaproszenie").click()
    expect(page.locator(".message-text")).to_contain_text("zapraszam")
    assert page.locator(".message-text").evaluate("el => getComputedStyle(el).direction") == "ltr"
    assert _untranslated(page) == []

    for path in ["/ecrire/", "/parametres/", "/envoi/", "/envoi/programmes/", "/dossiers/"]:
        page.goto(page.base_url + path)
        assert _untranslated(page) == [], path

    # Compose: the subject's direction follows what is typed.
    page.goto(page.base_url + "/ecrire/")
    subject = page.get_by_label("الموضوع")
    subject.fill("Devis n° 118")
    assert subject.evaluate("el => el.matches(':dir(ltr)')")
    subject.fill("عرض السعر رقم 118 لشركة Durand")
    assert subject.evaluate("el => el.matches(':dir(rtl)')")


def test_polish_chosen_in_settings_over_a_french_browser(open_page, mail_user, screenshot):
    page = open_page(locale="fr-FR")
    _sign_in(page, mail_user, "Adresse e-mail", "Mot de passe", "Se connecter")
    page.goto(page.base_url + "/parametres/")
    page.get_by_label("Langue", exact=True).select_option(label="Polski")
    page.get_by_role("button", name="Enregistrer").click()
    expect(page.get_by_text("Ustawienia zapisane.")).to_be_visible()
    expect(page.locator("html")).to_have_attribute("lang", "pl")
    expect(page.get_by_role("heading", name="Język i wygląd")).to_be_visible()
    expect(page.get_by_label("Czas na anulowanie")).to_have_count(0)  # a fieldset: its legend
    expect(page.get_by_text("Czas na anulowanie")).to_be_visible()
    screenshot("polish-settings", of=page)
    page.get_by_role("link", name="Odebrane").click()
    expect(page.get_by_role("heading", name="Odebrane")).to_be_visible()


@pytest.mark.parametrize("how", ["system", "chosen"])
def test_dark_theme_keeps_the_mail_body_light(open_page, mail_user, imap, screenshot, how):
    with imap(mail_user) as mailbox:
        mailbox.append_many("INBOX", INBOX)
    page = open_page(color_scheme="dark" if how == "system" else "light")
    if how == "chosen":
        Preferences.objects.update_or_create(user=_user_or_create(mail_user), defaults={"theme": "dark"})
    _sign_in(page, mail_user, "Adresse e-mail", "Mot de passe", "Se connecter")
    assert page.evaluate("getComputedStyle(document.body).backgroundColor") == "rgb(17, 19, 24)"
    assert page.evaluate("getComputedStyle(document.querySelector('#main')).color") == "rgb(230, 232, 239)"
    page.locator("li.message a.open").filter(has_text="Facture").click()
    frame = page.frame_locator("iframe.message-body")
    expect(frame.locator("body")).to_contain_text("Veuillez trouver")
    body_background = page.locator("iframe.message-body").evaluate(
        "el => getComputedStyle(el.contentDocument.documentElement).backgroundColor")
    assert body_background == "rgb(255, 255, 255)"  # mail written for white paper stays on white
    if how == "system":
        screenshot("dark-mode", of=page)


def test_light_chosen_wins_over_a_dark_system(open_page, mail_user):
    page = open_page(color_scheme="dark")
    _sign_in(page, mail_user, "Adresse e-mail", "Mot de passe", "Se connecter")
    Preferences.objects.update_or_create(user=_user(mail_user), defaults={"theme": "light"})
    page.goto(page.base_url + "/parametres/")
    assert page.evaluate("getComputedStyle(document.body).backgroundColor") == "rgb(246, 247, 251)"
    expect(page.get_by_label("Clair")).to_be_checked()


def _user_or_create(mail_user):
    user, _ = get_user_model().objects.get_or_create(username=mail_user.email.lower())
    return user
