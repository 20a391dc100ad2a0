"""Scheduling from the compose view, and the pre-send checks dialog, in a real browser."""

import re

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import make_every_day_a_working_day, write

pytestmark = [pytest.mark.browser, pytest.mark.imap, pytest.mark.django_db(transaction=True)]


def test_schedule_tomorrow_morning_then_cancel_back_to_drafts(page, sign_in, mail_user, make_mail_user,
                                                              screenshot):
    bob = make_mail_user("bob")
    sign_in(mail_user)
    make_every_day_a_working_day(page)
    write(page, bob.email, "Point budget de demain", "Bonjour Bob,\n\nOn fait le point demain ?\n\nAlice")
    page.get_by_text("Programmer l'envoi").click()
    preset = page.get_by_role("button", name=re.compile("Demain matin"))
    expect(preset).to_contain_text("08:00, heure de Paris")
    screenshot("schedule-menu")
    preset.click()

    expect(page.get_by_role("status").filter(has_text="Envoi programmé pour demain 08:00")).to_be_visible()
    page.get_by_role("link", name="Programmés").click()
    item = page.locator(".scheduled-item").filter(has_text="Point budget de demain")
    expect(item).to_contain_text("08:00, heure de Paris")
    expect(item).to_contain_text(bob.email)
    item.get_by_role("button", name="Annuler l'envoi").click()
    expect(page.get_by_text("Programmation annulée")).to_be_visible()

    page.goto(page.base_url + "/mail/?folder=Drafts")
    expect(page.get_by_text("Point budget de demain")).to_be_visible()


def test_forgotten_attachment_dialog_then_attach_and_send(page, sign_in, mail_user, make_mail_user, settings,
                                                          tmp_path, screenshot):
    settings.OUTBOX_DELAY_OVERRIDE = 20
    bob = make_mail_user("bob")
    sign_in(mail_user)
    page.goto(page.base_url + "/ecrire/")
    page.get_by_label("À", exact=True).fill(bob.email)
    page.get_by_label("Objet").fill("Contrat de prestation")
    page.get_by_label("Message", exact=True).fill("Bonjour Bob,\n\nCi-joint le contrat signé.\n\nAlice")
    page.get_by_role("button", name="Envoyer", exact=True).click()

    dialog = page.get_by_role("dialog", name="Avant d'envoyer")
    expect(dialog).to_be_visible()
    expect(dialog).to_contain_text("ci-joint", ignore_case=True)
    screenshot("checks-dialog")
    dialog.get_by_role("link", name="Modifier").click()
    expect(dialog).to_be_hidden()

    contract = tmp_path / "contrat.pdf"
    contract.write_bytes(b"%PDF-1.4 contrat")
    page.get_by_label("Joindre des fichiers").set_input_files(str(contract))
    expect(page.locator("#attachments")).to_contain_text("contrat.pdf")
    page.get_by_role("button", name="Envoyer", exact=True).click()
    expect(page.get_by_role("status").filter(has_text="Envoi dans")).to_be_visible()
