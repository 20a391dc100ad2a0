"""The undo toast in a real browser: countdown, Annuler, the `z` shortcut, the settings page."""

import re

import pytest
from playwright.sync_api import expect

pytestmark = [pytest.mark.browser, pytest.mark.imap, pytest.mark.smtp, pytest.mark.celery,
              pytest.mark.django_db(transaction=True)]


def _write(page, to: str, subject: str, body: str) -> None:
    page.goto(page.base_url + "/ecrire/")
    page.get_by_label("À", exact=True).fill(to)
    page.get_by_label("Objet").fill(subject)
    page.get_by_label("Message", exact=True).fill(body)


def test_envoyer_then_annuler_reopens_the_message(page, sign_in, mail_user, make_mail_user, settings,
                                                  celery_worker, screenshot):
    settings.OUTBOX_DELAY_OVERRIDE = 8
    bob = make_mail_user("bob")
    sign_in(mail_user)
    _write(page, bob.email, "Devis de novembre", "Bonjour Bob,\n\nVoici le devis.")
    screenshot("compose")
    page.get_by_role("button", name="Envoyer").click()

    toast = page.get_by_role("status").filter(has_text="Envoi dans")
    expect(toast).to_be_visible()
    first = int(re.search(r"\d+", toast.inner_text()).group())
    page.wait_for_timeout(1300)
    assert int(re.search(r"\d+", toast.inner_text()).group()) < first, "the countdown moves"
    screenshot("undo-toast")

    undo = page.get_by_role("button", name="Annuler")
    undo.focus()
    page.keyboard.press("Enter")  # reachable and usable by keyboard
    expect(page).to_have_url(re.compile(r"/ecrire/[0-9a-f-]+/$"))
    expect(page.get_by_label("À", exact=True)).to_have_value(bob.email)
    expect(page.get_by_label("Objet")).to_have_value("Devis de novembre")
    # The rich editor (a text box, not a textarea) has the message back.
    expect(page.get_by_role("textbox", name="Message", exact=True)).to_contain_text("Voici le devis.")
    expect(page.get_by_text("Envoi annulé")).to_be_visible()


def test_the_toast_survives_a_reload_and_z_undoes(page, sign_in, mail_user, make_mail_user, settings):
    settings.OUTBOX_DELAY_OVERRIDE = 20
    bob = make_mail_user("bob")
    sign_in(mail_user)
    _write(page, bob.email, "Rappel : budget de jeudi", "À demain.")
    page.get_by_role("button", name="Envoyer").click()
    expect(page.get_by_role("status").filter(has_text="Envoi dans")).to_be_visible()
    page.reload()
    expect(page.get_by_role("button", name="Annuler")).to_be_visible()
    page.locator("body").press("z")
    expect(page).to_have_url(re.compile(r"/ecrire/[0-9a-f-]+/$"))
    expect(page.get_by_label("Objet")).to_have_value("Rappel : budget de jeudi")


def test_when_the_window_runs_out_the_message_is_in_sent(page, sign_in, mail_user, make_mail_user, settings,
                                                         celery_worker):
    settings.OUTBOX_DELAY_OVERRIDE = 1.5
    bob = make_mail_user("bob")
    sign_in(mail_user)
    _write(page, bob.email, "Compte rendu", "Voici le compte rendu.")
    page.get_by_role("button", name="Envoyer").click()
    sent = page.get_by_role("status").filter(has_text="Message envoyé")
    expect(sent).to_be_visible(timeout=15_000)
    sent.get_by_role("link", name="Afficher le message").click()
    # Written in the rich editor, it left as HTML (with its plain-text part): the reading pane shows
    # the HTML in its sandboxed frame.
    expect(page.frame_locator("iframe.message-body").get_by_text("Voici le compte rendu.")).to_be_visible()


def test_the_settings_page_changes_the_delay(page, sign_in, mail_user, make_mail_user, settings, screenshot):
    settings.OUTBOX_DELAY_OVERRIDE = None
    bob = make_mail_user("bob")
    sign_in(mail_user)
    page.get_by_role("link", name="Paramètres").click()
    page.get_by_label("30 secondes").check()
    screenshot("settings")
    page.get_by_role("button", name="Enregistrer").click()
    expect(page.get_by_text("Paramètres enregistrés.")).to_be_visible()
    expect(page.get_by_label("30 secondes")).to_be_checked()
    _write(page, bob.email, "Délai d'annulation réglé", "30 secondes pour changer d'avis.")
    page.get_by_role("button", name="Envoyer").click()
    expect(page.get_by_role("status").filter(has_text=re.compile(r"Envoi dans (30|29) s"))).to_be_visible()
    page.get_by_role("button", name="Annuler").click()
    expect(page).to_have_url(re.compile(r"/ecrire/"))
