"""axe-core (tests/browser/vendor/axe.min.js) on every main page, in the light theme, the dark
theme (both the system's choice and the one made in Paramètres) and in Arabic: no WCAG 2.1 A/AA
violation, contrast included."""

from __future__ import annotations

import json
from email.message import EmailMessage
from email.utils import formatdate, make_msgid
from pathlib import Path

import pytest
from django.contrib.auth import get_user_model
from playwright.sync_api import expect

from webmail.preferences.models import Preferences

pytestmark = [pytest.mark.browser, pytest.mark.imap, pytest.mark.django_db(transaction=True)]

AXE = Path(__file__).parent / "vendor" / "axe.min.js"
WCAG_AA = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
# Main pages, by path; a message is opened from the list.
PAGES = ["/mail/", "/mail/?q=facture", "/ecrire/", "/parametres/", "/envoi/", "/envoi/programmes/", "/dossiers/"]


def _mail(subject: str, sender: str, body: str, html: str | None = None) -> bytes:
    message = EmailMessage()
    message["Subject"], message["From"], message["To"] = subject, sender, "alice@example.test"
    message["Date"], message["Message-ID"] = formatdate(localtime=True), make_msgid(domain="example.test")
    message.set_content(body)
    if html:
        message.add_alternative(html, subtype="html")
    return message.as_bytes()


INBOX = [
    _mail("Facture n° 2026-118 — travaux de novembre", "Comptabilité Durand <compta@durand.example.fr>",
          "Bonjour,\n\nVeuillez trouver la facture de novembre.\n\nCordialement",
          "<p>Bonjour,</p><p>Veuillez trouver la <b>facture</b> de novembre.</p>"),
    _mail("Zaproszenie na spotkanie zarządu", "Małgorzata Wiśniewska <m.wisniewska@example.pl>",
          "Dzień dobry,\n\nzapraszam na spotkanie.\n\nPozdrawiam"),
    _mail("اجتماع الفريق يوم الاثنين", "سارة بن علي <sara@example.test>", "مرحبًا،\n\nنلتقي يوم الاثنين.\n"),
]


@pytest.fixture
def axe_page(open_page):
    def open_with(color_scheme: str = "light", locale: str = "fr-FR"):
        # The page's CSP allows only our own scripts; axe is injected by the test, not by the page.
        return open_page(locale=locale, color_scheme=color_scheme, bypass_csp=True)

    return open_with


def violations(page) -> list[str]:
    page.add_script_tag(path=str(AXE))
    result = page.evaluate("""async (tags) => {
        const r = await axe.run(document, {runOnly: {type: "tag", values: tags}, resultTypes: ["violations"]});
        return r.violations.map(v => ({id: v.id, help: v.help,
            nodes: v.nodes.slice(0, 5).map(n => n.target.join(" ") + " — " + (n.failureSummary || "").split("\\n").slice(1).join(" "))}));
    }""", WCAG_AA)
    return [f"{page.url}: {v['id']} ({v['help']}): " + json.dumps(v["nodes"], ensure_ascii=False) for v in result]


def _sign_in(page, user, password_label="Mot de passe", email_label="Adresse e-mail", button="Se connecter"):
    page.goto(page.base_url + "/compte/connexion/")
    page.get_by_label(email_label).fill(user.email)
    page.get_by_label(password_label).fill(user.password)
    page.get_by_role("button", name=button).click()
    page.wait_for_url(lambda url: "/compte/connexion/" not in url)


def _check_every_page(page) -> list[str]:
    found = []
    for path in PAGES:
        page.goto(page.base_url + path)
        found += violations(page)
    page.goto(page.base_url + "/mail/")
    page.locator("li.message a.open").first.click()
    expect(page.locator("#message-subject")).to_be_visible()
    found += violations(page)
    return found


def _preferences(mail_user, **values) -> None:
    user = get_user_model().objects.get(username=mail_user.email.lower())
    Preferences.objects.update_or_create(user=user, defaults=values)


@pytest.mark.parametrize("theme", ["light", "dark-system", "dark-chosen"])
def test_no_violation_on_the_main_pages(axe_page, mail_user, imap, theme):
    with imap(mail_user) as mailbox:
        mailbox.append_many("INBOX", INBOX)
    page = axe_page(color_scheme="dark" if theme == "dark-system" else "light")
    sign_in_violations = []
    page.goto(page.base_url + "/compte/connexion/")
    sign_in_violations += violations(page)
    _sign_in(page, mail_user)
    if theme == "dark-chosen":
        _preferences(mail_user, theme="dark")
    found = sign_in_violations + _check_every_page(page)
    if theme != "light":
        background = page.evaluate("getComputedStyle(document.body).backgroundColor")
        assert background == "rgb(17, 19, 24)", background  # the dark theme really is on
    assert not found, "\n".join(found)


def test_no_violation_in_arabic(axe_page, mail_user, imap):
    with imap(mail_user) as mailbox:
        mailbox.append_many("INBOX", INBOX)
    page = axe_page(locale="ar")
    page.goto(page.base_url + "/compte/connexion/")
    found = violations(page)
    _sign_in(page, mail_user, "كلمة المرور", "عنوان البريد الإلكتروني", "تسجيل الدخول")
    expect(page.locator("html")).to_have_attribute("dir", "rtl")
    found += _check_every_page(page)
    assert not found, "\n".join(found)


@pytest.mark.parametrize("color_scheme", ["light", "dark"])
def test_no_violation_on_the_phone_with_its_panels_open(browser, live_server, mail_user, imap, color_scheme):
    with imap(mail_user) as mailbox:
        mailbox.append_many("INBOX", INBOX)
    context = browser.new_context(locale="fr-FR", color_scheme=color_scheme, bypass_csp=True, is_mobile=True,
                                  has_touch=True, viewport={"width": 390, "height": 844})
    try:
        page = context.new_page()
        page.base_url = live_server.url
        _sign_in(page, mail_user)
        page.goto(page.base_url + "/mail/")
        found = violations(page)
        page.get_by_role("button", name="Dossiers").tap()
        found += violations(page)
        page.get_by_role("button", name="Compte").tap()
        found += violations(page)
        page.locator("li.message").first.get_by_role("checkbox").tap()
        found += violations(page)
        assert not found, "\n".join(found)
    finally:
        context.close()


def test_axe_reports_what_it_should(axe_page, mail_user):
    """The check itself: grey on grey text and an unnamed button are caught on our own page."""
    page = axe_page(color_scheme="dark")
    page.goto(page.base_url + "/compte/connexion/")
    page.evaluate("""() => {
        const p = document.createElement("p");
        p.textContent = "Texte à peine lisible";
        p.style.cssText = "color: #777; background: #6a6a6a";
        const b = document.createElement("button");
        document.body.append(p, b);
    }""")
    found = " ".join(violations(page))
    assert "color-contrast" in found and "button-name" in found
