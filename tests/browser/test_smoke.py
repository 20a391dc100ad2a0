import pytest
from django.core.mail import EmailMessage
from playwright.sync_api import expect

pytestmark = [pytest.mark.browser, pytest.mark.imap, pytest.mark.django_db(transaction=True)]


def test_sign_in_and_see_the_inbox(page, mail_user, imap, screenshot):
    with imap(mail_user) as mailbox:
        message = EmailMessage("Réunion de lancement", "À jeudi !", "Bob <bob@example.test>", [mail_user.email])
        mailbox.append("INBOX", message.message().as_bytes())

    page.goto(page.base_url + "/")
    screenshot("sign-in")
    page.get_by_label("Adresse e-mail").fill(mail_user.email)
    page.get_by_label("Mot de passe").fill(mail_user.password)
    page.get_by_role("button", name="Se connecter").click()

    expect(page.get_by_role("heading", name="Boîte de réception")).to_be_visible()
    expect(page.get_by_text("Réunion de lancement")).to_be_visible()
    expect(page.get_by_role("navigation", name="Dossiers")).to_contain_text("Envoyés")
    screenshot("inbox")


def test_wrong_password_shows_an_alert(page, mail_user):
    page.goto(page.base_url + "/compte/connexion/")
    page.get_by_label("Adresse e-mail").fill(mail_user.email)
    page.get_by_label("Mot de passe").fill("wrong")
    page.get_by_role("button", name="Se connecter").click()
    expect(page.get_by_role("alert")).to_contain_text("mot de passe incorrect")
