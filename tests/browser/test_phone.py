"""The webmail on a phone (390 × 844, touch), and down to 360 px: the folders behind ☰, "Nouveau
message" one tap away, no page wider than the screen, and the second chance kept: the undo
toast on screen with an "Annuler" a finger can hit."""

from __future__ import annotations

import re
from email.message import EmailMessage
from email.utils import formatdate, make_msgid

import pytest
from playwright.sync_api import expect

pytestmark = [pytest.mark.browser, pytest.mark.imap, pytest.mark.django_db(transaction=True)]

PHONE = {"width": 390, "height": 844}
FINGER = 44  # CSS px, WCAG 2.5.5 and the platforms' guidelines


@pytest.fixture
def phone(open_page):
    """A page in a phone's browser: small touch screen, French."""

    def open_at(width: int = PHONE["width"], height: int = PHONE["height"]):
        return open_page(viewport={"width": width, "height": height}, is_mobile=True, has_touch=True)

    return open_at


def sign_in(page, user) -> None:
    page.goto(page.base_url + "/compte/connexion/")
    page.get_by_label("Adresse e-mail").fill(user.email)
    page.get_by_label("Mot de passe").fill(user.password)
    page.get_by_role("button", name="Se connecter").tap()
    page.wait_for_url(lambda url: "/compte/connexion/" not in url)
    if "/mail/" not in page.url:  # a first sign-in may ask for a name first
        page.goto(page.base_url + "/mail/")


def mail(subject: str, sender: str, body: str) -> bytes:
    message = EmailMessage()
    message["Subject"], message["From"], message["To"] = subject, sender, "alice@example.test"
    message["Date"], message["Message-ID"] = formatdate(localtime=True), make_msgid(domain="example.test")
    message.set_content(body)
    return message.as_bytes()


INBOX = [
    mail("Réunion de chantier — compte rendu du lot plâtrerie et planning des trois prochaines semaines",
         "Claire Dubois-Lefèvre <claire.dubois-lefevre@entreprise-batiment.example.fr>",
         "Bonjour,\n\nVoici le compte rendu de la réunion de jeudi.\n\n" + "Point suivant. " * 200),
    mail("Zaproszenie na spotkanie zarządu — środa, 10:00, sala konferencyjna nr 2",
         "Małgorzata Wiśniewska <m.wisniewska@przedsiebiorstwo.example.pl>",
         "Dzień dobry,\n\nzapraszam na spotkanie zarządu.\n\nPozdrawiam serdecznie"),
    mail("اجتماع الفريق يوم الاثنين لمناقشة ميزانية 2027",
         "سارة بن علي <sara.benali@example.test>", "مرحبًا،\n\nنلتقي يوم الاثنين في الساعة العاشرة.\n\nمع التحية"),
]


def no_horizontal_scroll(page) -> None:
    sizes = page.evaluate("() => [document.documentElement.scrollWidth, window.innerWidth]")
    assert sizes[0] <= sizes[1], f"{page.url}: the page is {sizes[0]} px wide on a {sizes[1]} px screen"


def finger_sized(locator) -> None:
    box = locator.bounding_box()
    assert box is not None
    assert box["width"] >= FINGER and box["height"] >= FINGER, f"{box['width']}×{box['height']} px"


@pytest.mark.parametrize("width", [360, 390])
def test_every_page_fits_the_screen(phone, mail_user, imap, width):
    with imap(mail_user) as mailbox:
        mailbox.append_many("INBOX", INBOX)
    page = phone(width)
    sign_in(page, mail_user)
    no_horizontal_scroll(page)
    for path in ["/mail/?folder=Sent", "/mail/?q=r%C3%A9union", "/ecrire/", "/parametres/", "/envoi/",
                 "/envoi/programmes/", "/dossiers/"]:
        page.goto(page.base_url + path)
        no_horizontal_scroll(page)
    page.goto(page.base_url + "/mail/")
    page.get_by_text("Zaproszenie na spotkanie").tap()
    expect(page.get_by_role("heading", name=re.compile("Zaproszenie"))).to_be_visible()
    no_horizontal_scroll(page)


def test_folders_behind_the_menu_button_and_new_message_one_tap_away(phone, mail_user, imap, screenshot):
    with imap(mail_user) as mailbox:
        mailbox.append_many("INBOX", INBOX)
    page = phone()
    sign_in(page, mail_user)
    folders = page.get_by_role("navigation", name="Dossiers")
    expect(folders).to_be_hidden()
    expect(page.get_by_role("link", name="Nouveau message")).to_be_visible()
    finger_sized(page.get_by_role("link", name="Nouveau message"))
    screenshot("phone-inbox", of=page)

    menu = page.get_by_role("button", name="Dossiers")
    finger_sized(menu)
    menu.tap()
    expect(menu).to_have_attribute("aria-expanded", "true")
    expect(folders).to_be_visible()
    expect(folders).to_be_in_viewport()
    screenshot("phone-folders", of=page)
    folders.get_by_role("link", name="Envoyés").tap()
    expect(page).to_have_url(re.compile(r"folder=Sent"))
    expect(folders).to_be_hidden()  # a folder chosen closes the panel
    # The boosted navigation swaps the folder list too: wait for it, or Space opens the panel it replaces.
    expect(page.get_by_role("heading", name="Envoyés", level=1)).to_be_visible()
    page.wait_for_load_state("networkidle")

    # By keyboard too: Space opens the panel like a button, Échap closes it and gives the focus back.
    menu.focus()
    page.keyboard.press(" ")
    expect(folders).to_be_visible()
    expect(folders.get_by_role("link", name="Nouveau message")).to_be_focused()
    page.keyboard.press("Escape")
    expect(folders).to_be_hidden()
    expect(menu).to_be_focused()

    # The account links (Se déconnecter was off-screen) behind ⋮.
    page.get_by_role("button", name="Compte").tap()
    sign_out = page.get_by_role("button", name="Se déconnecter")
    expect(sign_out).to_be_in_viewport(ratio=1)
    page.keyboard.press("Escape")
    expect(sign_out).to_be_hidden()
    page.get_by_role("button", name="Compte").tap()
    sign_out.tap()
    expect(page).to_have_url(re.compile("/compte/connexion/"))


def test_read_a_message_on_the_phone(phone, mail_user, imap, screenshot):
    with imap(mail_user) as mailbox:
        mailbox.append_many("INBOX", INBOX)
    page = phone()
    sign_in(page, mail_user)
    row = page.locator("li.message").filter(has_text="Réunion de chantier")
    select = row.get_by_role("checkbox")
    finger_sized(select)
    finger_sized(row.locator(".star-toggle"))
    select.tap()
    expect(select).to_be_checked()
    toolbar = page.get_by_role("toolbar", name="Actions sur les messages sélectionnés")
    expect(toolbar).to_be_visible()  # the list's actions show once a message is selected
    finger_sized(toolbar.get_by_role("button", name="Archiver"))
    screenshot("phone-selected", of=page)
    select.tap()
    expect(toolbar).to_be_hidden()
    page.get_by_text("Réunion de chantier").tap()
    expect(page.get_by_role("heading", name=re.compile("Réunion de chantier"))).to_be_visible()
    body = page.locator(".message-text")
    expect(body).to_contain_text("Voici le compte rendu")
    width = body.bounding_box()["width"]
    assert width >= PHONE["width"] - 2 * 16, f"the body gets {width} px of {PHONE['width']}"
    finger_sized(page.get_by_role("link", name="Répondre", exact=True))
    screenshot("phone-message", of=page)
    no_horizontal_scroll(page)


def _write(page, to: str, subject: str, body: str) -> None:
    page.get_by_role("link", name="Nouveau message").tap()
    # The message field becomes the rich editor once editor.js runs: type into that one.
    expect(page.get_by_role("toolbar", name="Mise en forme")).to_be_visible()
    page.get_by_label("À", exact=True).fill(to)
    page.get_by_label("Objet").fill(subject)
    page.get_by_role("textbox", name="Message", exact=True).fill(body)


def test_write_send_and_annuler_from_the_toast(phone, mail_user, make_mail_user, settings, celery_worker, screenshot):
    settings.OUTBOX_DELAY_OVERRIDE = 20
    bob = make_mail_user("bob")
    page = phone()
    sign_in(page, mail_user)
    _write(page, bob.email, "Devis signé — lot menuiseries", "Bonjour Bob,\n\nVoici le devis signé.\n\nAlice")
    no_horizontal_scroll(page)
    send = page.get_by_role("button", name="Envoyer", exact=True)
    finger_sized(send)
    send.tap()

    toast = page.get_by_role("status").filter(has_text="Envoi dans")
    expect(toast).to_be_visible()
    undo = toast.get_by_role("button", name="Annuler")
    expect(undo).to_be_in_viewport(ratio=1)  # on screen, not below it
    finger_sized(undo)
    box = undo.bounding_box()
    assert box["y"] + box["height"] <= PHONE["height"]
    screenshot("phone-toast-annuler", of=page)
    undo.tap()
    expect(page).to_have_url(re.compile(r"/ecrire/[0-9a-f-]+/$"))
    expect(page.get_by_text("Envoi annulé")).to_be_visible()
    expect(page.get_by_label("Objet")).to_have_value("Devis signé — lot menuiseries")


def test_schedule_from_the_phone(phone, mail_user, make_mail_user, screenshot):
    bob = make_mail_user("bob")
    page = phone()
    sign_in(page, mail_user)
    page.goto(page.base_url + "/parametres/")
    for day in ("samedi", "dimanche"):  # "Demain matin" offered whatever day the test runs
        page.get_by_label(day, exact=True).check()
    page.get_by_role("button", name="Enregistrer").tap()
    expect(page.get_by_text("Paramètres enregistrés.")).to_be_visible()

    _write(page, bob.email, "Point budget de demain", "Bonjour Bob,\n\nOn fait le point demain ?\n\nAlice")
    page.get_by_text("Programmer l'envoi").tap()
    preset = page.get_by_role("button", name=re.compile("Demain matin"))
    expect(preset).to_be_in_viewport(ratio=1)
    finger_sized(preset)
    picker = page.locator(".schedule-picker")
    box = picker.bounding_box()
    assert box["x"] >= 0 and box["x"] + box["width"] <= PHONE["width"]
    no_horizontal_scroll(page)
    screenshot("phone-schedule-menu", of=page)
    preset.tap()
    expect(page.get_by_role("status").filter(has_text="Envoi programmé pour demain 08:00")).to_be_visible()


def test_the_checks_dialog_fits_the_phone(phone, mail_user, make_mail_user, screenshot):
    bob = make_mail_user("bob")
    page = phone()
    sign_in(page, mail_user)
    _write(page, bob.email, "", "Bonjour Bob,\n\nLe contrat est signé, on commence lundi.\n\nAlice")
    page.get_by_role("button", name="Envoyer", exact=True).tap()
    dialog = page.get_by_role("dialog", name="Avant d'envoyer")
    expect(dialog).to_be_visible()
    expect(dialog).to_contain_text("Le message n’a pas d’objet.")
    box = dialog.bounding_box()
    assert box["x"] >= 0 and box["x"] + box["width"] <= PHONE["width"]
    no_horizontal_scroll(page)
    edit = dialog.get_by_role("link", name="Modifier")
    finger_sized(edit)
    screenshot("phone-checks-dialog", of=page)
    edit.tap()
    expect(dialog).to_be_hidden()
