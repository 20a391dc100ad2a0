"""What only a browser shows of the page around the mail: hidden buttons stay hidden, and the
folder list is there (and works) on the pages that are not about reading."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.mailbox.conftest import build

pytestmark = [pytest.mark.browser, pytest.mark.imap, pytest.mark.django_db(transaction=True)]


def _sign_in(page, user) -> None:
    page.goto(page.base_url + "/compte/connexion/")
    page.get_by_label("Adresse e-mail").fill(user.email)
    page.get_by_label("Mot de passe").fill(user.password)
    page.get_by_role("button", name="Se connecter").click()
    page.wait_for_url(page.base_url + "/mail/**")


def test_the_files_button_meant_for_pages_without_javascript_is_not_shown(page, sign_in, mail_user):
    sign_in(mail_user)
    page.get_by_role("link", name="Nouveau message").click()
    expect(page.get_by_label("Joindre des fichiers")).to_be_visible()
    button = page.get_by_role("button", name="Ajouter les fichiers", include_hidden=True)
    expect(button).to_have_attribute("hidden", "")  # outbox.js hides it: choosing files uploads them
    expect(button).to_be_hidden()


def test_the_browser_time_zone_button_shows_only_when_the_zones_differ(open_page, mail_user):
    same = open_page(timezone_id="Europe/Paris")  # the saved zone by default
    _sign_in(same, mail_user)
    same.goto(same.base_url + "/parametres/")
    expect(same.get_by_label("Fuseau horaire")).to_have_value("Europe/Paris")
    expect(same.get_by_role("button", name="Utiliser le fuseau horaire de mon navigateur", include_hidden=True)).to_be_hidden()

    elsewhere = open_page(timezone_id="America/New_York")
    _sign_in(elsewhere, mail_user)
    elsewhere.goto(elsewhere.base_url + "/parametres/")
    offer = elsewhere.get_by_role("button", name="Utiliser le fuseau horaire de mon navigateur (America/New_York)")
    expect(offer).to_be_visible()
    offer.click()
    expect(elsewhere.get_by_label("Fuseau horaire")).to_have_value("America/New_York")


def test_drafts_is_one_click_away_from_the_compose_page(page, sign_in, mail_user, imap):
    draft = build(subject="Brouillon du rapport annuel", sender=mail_user.email, body="Premier jet.\n" * 40)
    with imap(mail_user) as mailbox:
        mailbox.append("Drafts", draft, flags=("\\Seen", "\\Draft"))
    sign_in(mail_user)
    page.get_by_role("link", name="Nouveau message").click()
    expect(page.get_by_label("Objet")).to_be_visible()
    folders = page.get_by_role("navigation", name="Dossiers")
    folders.get_by_role("link", name="Brouillons").click()
    page.wait_for_url("**/mail/?folder=Drafts")
    expect(page.get_by_role("heading", name="Brouillons")).to_be_visible()
    expect(page.get_by_text("Brouillon du rapport annuel")).to_be_visible()
    expect(folders.get_by_role("link", name="Brouillons")).to_have_attribute("aria-current", "page")
