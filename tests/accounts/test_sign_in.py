import pytest
from django.contrib.auth import get_user_model
from django.db import connection

from webmail.accounts.models import MailAccount
from webmail.demo.dovecot import free_port

pytestmark = [pytest.mark.imap, pytest.mark.django_db]

LOGIN = "/compte/connexion/"


def test_sign_in_page_has_labelled_fields(client):
    response = client.get(LOGIN)
    assert response.status_code == 200
    html = response.content.decode()
    assert '<label for="id_email">Adresse e-mail</label>' in html
    assert '<label for="id_password">Mot de passe</label>' in html


def test_sign_in_with_the_mail_password_opens_the_inbox(client, mail_user):
    response = client.post(LOGIN, {"email": mail_user.email, "password": mail_user.password})
    assert response.status_code == 302
    inbox = client.get(response.url, follow=True)
    assert inbox.status_code == 200
    assert "Boîte de réception" in inbox.content.decode()
    account = MailAccount.objects.get(email=mail_user.email)
    assert account.password() == mail_user.password
    assert not account.user.has_usable_password()


def test_signing_in_again_reuses_the_user_and_account(client, mail_user):
    for _ in range(2):
        client.post(LOGIN, {"email": mail_user.email, "password": mail_user.password})
        client.post("/compte/deconnexion/")
    assert get_user_model().objects.filter(username=mail_user.email).count() == 1
    assert MailAccount.objects.filter(email=mail_user.email).count() == 1


def test_wrong_password_is_refused_and_nothing_is_stored(client, mail_user):
    response = client.post(LOGIN, {"email": mail_user.email, "password": "not-the-password"})
    assert response.status_code == 401
    assert "Adresse e-mail ou mot de passe incorrect." in response.content.decode()
    assert not MailAccount.objects.exists()
    assert not get_user_model().objects.exists()


def test_unreachable_server_says_so_without_a_server_error(client, mail_user, settings):
    settings.IMAP_PORT = free_port()  # nothing listens there
    response = client.post(LOGIN, {"email": mail_user.email, "password": mail_user.password})
    assert response.status_code == 503
    assert "Le serveur de messagerie est injoignable" in response.content.decode()
    assert not MailAccount.objects.exists()


def test_tls_failure_is_reported_as_unreachable(client, mail_user, settings):
    settings.IMAP_SECURITY = "tls"  # the private Dovecot speaks plain IMAP on this port
    response = client.post(LOGIN, {"email": mail_user.email, "password": mail_user.password})
    assert response.status_code == 503
    assert "injoignable" in response.content.decode()


def test_invalid_form_input_gets_field_errors(client, mail_settings):
    response = client.post(LOGIN, {"email": "not an address", "password": ""})
    assert response.status_code == 400
    html = response.content.decode()
    assert "Saisissez une adresse de courriel valide." in html
    assert "Ce champ est obligatoire." in html


def test_repeated_failures_for_one_account_are_throttled(client, mail_user, settings):
    settings.LOGIN_FAILURES_ALLOWED = 3
    for _ in range(3):
        assert client.post(LOGIN, {"email": mail_user.email, "password": "wrong"}).status_code == 401
    # Even the right password is refused while throttled: the attacker must not learn it.
    response = client.post(LOGIN, {"email": mail_user.email, "password": mail_user.password})
    assert response.status_code == 429
    assert "Trop de tentatives" in response.content.decode()


def test_repeated_failures_from_one_address_are_throttled(client, make_mail_user, settings):
    settings.LOGIN_ADDRESS_FAILURES_ALLOWED = 3
    for _ in range(3):
        victim = make_mail_user("victim")
        client.post(LOGIN, {"email": victim.email, "password": "wrong"})
    other = make_mail_user("other")
    response = client.post(LOGIN, {"email": other.email, "password": other.password})
    assert response.status_code == 429


def test_a_successful_sign_in_clears_the_accounts_failures(client, mail_user, settings):
    settings.LOGIN_FAILURES_ALLOWED = 3
    for _ in range(2):
        client.post(LOGIN, {"email": mail_user.email, "password": "wrong"})
    assert client.post(LOGIN, {"email": mail_user.email, "password": mail_user.password}).status_code == 302
    client.post("/compte/deconnexion/")
    # From another address, so that only the account's own counter could throttle.
    for _ in range(2):
        client.post(LOGIN, {"email": mail_user.email, "password": "wrong"}, REMOTE_ADDR="10.0.0.2")
    response = client.post(LOGIN, {"email": mail_user.email, "password": mail_user.password}, REMOTE_ADDR="10.0.0.2")
    assert response.status_code == 302


def test_sign_out_clears_the_session(signed_in_client):
    assert signed_in_client.get("/mail/").status_code == 200
    response = signed_in_client.post("/compte/deconnexion/")
    assert response.status_code == 302
    assert signed_in_client.get("/mail/").status_code == 302


def test_sign_out_refuses_get(signed_in_client):
    assert signed_in_client.get("/compte/deconnexion/").status_code == 405


@pytest.mark.parametrize("url", ["/", "/mail/", "/mail/?folder=Sent"])
def test_every_page_but_sign_in_requires_a_session(client, url):
    response = client.get(url)
    assert response.status_code == 302
    assert response.url.startswith(LOGIN)


@pytest.mark.parametrize("url,target", [("/mail/", "message-list"), ("/envoi/toasts/", "toasts")])
def test_a_poll_after_the_session_ended_sends_the_whole_window_to_sign_in(signed_in_client, url, target):
    signed_in_client.post("/compte/deconnexion/")
    response = signed_in_client.get(url, HTTP_HX_REQUEST="true", HTTP_HX_TARGET=target)
    assert response.status_code == 200 and response.content == b""
    assert response["HX-Redirect"].startswith(LOGIN + "?next=")


def test_sign_in_sends_back_to_the_page_asked_for(client, mail_user):
    response = client.post(
        LOGIN + "?next=/mail/%3Ffolder%3DSent", {"email": mail_user.email, "password": mail_user.password,
                                                 "next": "/mail/?folder=Sent"}
    )
    assert response.url == "/mail/?folder=Sent"


def test_sign_in_never_redirects_to_another_site(client, mail_user):
    response = client.post(LOGIN, {"email": mail_user.email, "password": mail_user.password,
                                   "next": "https://evil.example/"})
    assert response.url == "/"


def test_sign_in_requires_csrf(mail_user):
    from django.test import Client

    strict = Client(enforce_csrf_checks=True)
    response = strict.post(LOGIN, {"email": mail_user.email, "password": mail_user.password})
    assert response.status_code == 403


def test_the_database_never_contains_the_password(client, mail_user):
    client.post(LOGIN, {"email": mail_user.email, "password": mail_user.password})
    assert MailAccount.objects.count() == 1
    with connection.cursor() as cursor:
        for table in connection.introspection.table_names():
            cursor.execute(f'SELECT * FROM "{table}"')
            for row in cursor.fetchall():
                assert mail_user.password not in repr(row), f"password found in {table}"


def test_the_password_never_reaches_the_logs(client, mail_user, caplog):
    caplog.set_level("DEBUG")
    client.post(LOGIN, {"email": mail_user.email, "password": "wrong-" + mail_user.password})
    client.post(LOGIN, {"email": mail_user.email, "password": mail_user.password})
    assert mail_user.password not in caplog.text


def test_a_password_changed_on_the_server_sends_back_to_sign_in(signed_in_client, dovecot):
    dovecot.add_user(signed_in_client.mail_user.email, "changed-elsewhere")
    from webmail.imap import gateway

    gateway.pool.clear()
    response = signed_in_client.get("/mail/")
    assert response.status_code == 302
    assert response.url.startswith(LOGIN)


def test_the_interface_follows_the_browser_language(client, mail_settings):
    response = client.get(LOGIN, HTTP_ACCEPT_LANGUAGE="en-GB,en;q=0.9")
    assert '<label for="id_email">E-mail address</label>' in response.content.decode()
    assert '<html lang="en" dir="ltr">' in response.content.decode()


def test_the_user_can_override_the_language(client, mail_settings):
    client.post("/i18n/setlang/", {"language": "en", "next": LOGIN}, HTTP_ACCEPT_LANGUAGE="fr")
    response = client.get(LOGIN, HTTP_ACCEPT_LANGUAGE="fr")
    assert "E-mail address" in response.content.decode()
