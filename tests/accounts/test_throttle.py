"""Sign-in throttling as offices and reverse proxies meet it: counted per account, per (account,
address) and, with a much higher limit, per address; X-Forwarded-For believed only from a trusted proxy."""

import pytest
from django.core.exceptions import ImproperlyConfigured

from webmail.core.env import env_networks

pytestmark = [pytest.mark.imap, pytest.mark.redis, pytest.mark.django_db]

LOGIN = "/compte/connexion/"
OFFICE = "203.0.113.7"  # one NAT address for the whole office
PROXY = "127.0.0.1"


def _try(client, user, password=None, **meta):
    return client.post(LOGIN, {"email": user.email, "password": password or user.password}, **meta)


def _fail(client, user, times, **meta):
    for _ in range(times):
        assert _try(client, user, "mot-de-passe-faux", **meta).status_code == 401


def test_alices_typos_do_not_lock_out_bob_at_the_same_office(client, make_mail_user):
    alice, bob = make_mail_user("alice"), make_mail_user("bob")
    _fail(client, alice, 5, REMOTE_ADDR=OFFICE)

    refused = _try(client, alice, REMOTE_ADDR=OFFICE)
    assert refused.status_code == 429
    assert "Trop de tentatives infructueuses. Réessayez dans 15 minutes." in refused.content.decode()
    assert _try(client, bob, REMOTE_ADDR=OFFICE).status_code == 302


def test_the_lockout_says_how_long_in_the_singular_too(client, mail_user, settings):
    settings.LOGIN_FAILURE_WINDOW = 60
    _fail(client, mail_user, 5)
    assert "Réessayez dans 1 minute." in _try(client, mail_user).content.decode()


def test_behind_a_trusted_proxy_each_client_address_counts_apart(client, make_mail_user, settings):
    settings.TRUSTED_PROXIES = [PROXY]
    alice, bob = make_mail_user("alice"), make_mail_user("bob")
    _fail(client, alice, 5, REMOTE_ADDR=PROXY, HTTP_X_FORWARDED_FOR="198.51.100.10")

    assert _try(client, alice, REMOTE_ADDR=PROXY, HTTP_X_FORWARDED_FOR="198.51.100.10").status_code == 429
    # Everybody else comes through the same proxy address: they are not locked out.
    assert _try(client, bob, REMOTE_ADDR=PROXY, HTTP_X_FORWARDED_FOR="198.51.100.20").status_code == 302
    # Nor is alice herself at home, another client address (the account's own limit is higher).
    assert _try(client, alice, REMOTE_ADDR=PROXY, HTTP_X_FORWARDED_FOR="192.0.2.44").status_code == 302


def test_a_forwarded_header_from_an_untrusted_address_is_ignored(client, mail_user, settings):
    settings.TRUSTED_PROXIES = []
    for n in range(5):  # a fresh made-up address on every attempt
        _fail(client, mail_user, 1, REMOTE_ADDR="198.51.100.66", HTTP_X_FORWARDED_FOR=f"10.9.8.{n}")
    assert _try(client, mail_user, REMOTE_ADDR="198.51.100.66", HTTP_X_FORWARDED_FOR="10.9.8.99").status_code == 429


def test_what_the_client_writes_in_front_of_the_proxys_entry_is_ignored(client, mail_user, settings):
    settings.TRUSTED_PROXIES = ["10.0.0.0/8"]
    for n in range(5):  # the proxy appends the real address after whatever the client sent
        _fail(client, mail_user, 1, REMOTE_ADDR="10.0.0.5", HTTP_X_FORWARDED_FOR=f"172.16.0.{n}, 198.51.100.66")
    spoofed = _try(client, mail_user, REMOTE_ADDR="10.0.0.5", HTTP_X_FORWARDED_FOR="172.16.9.9, 198.51.100.66")
    assert spoofed.status_code == 429


def test_a_chain_of_trusted_proxies_is_walked_back_to_the_client(client, make_mail_user, settings):
    settings.TRUSTED_PROXIES = ["127.0.0.1", "10.0.0.0/8"]
    alice, bob = make_mail_user("alice"), make_mail_user("bob")
    chain = {"REMOTE_ADDR": PROXY, "HTTP_X_FORWARDED_FOR": "198.51.100.66, 10.1.2.3"}
    _fail(client, alice, 5, **chain)
    assert _try(client, alice, **chain).status_code == 429
    # Another client through the same two proxies is another address.
    assert _try(client, bob, REMOTE_ADDR=PROXY, HTTP_X_FORWARDED_FOR="198.51.100.77, 10.1.2.3").status_code == 302


def test_guessing_one_account_from_many_addresses_is_limited(client, mail_user, settings):
    settings.LOGIN_ACCOUNT_FAILURES_ALLOWED = 6
    for n in range(6):
        _fail(client, mail_user, 1, REMOTE_ADDR=f"198.51.100.{n + 1}")
    assert _try(client, mail_user, REMOTE_ADDR="192.0.2.200").status_code == 429


def test_one_address_trying_many_accounts_is_limited_above_an_offices_typos(client, make_mail_user, settings):
    settings.LOGIN_ADDRESS_FAILURES_ALLOWED = 12
    colleagues = [make_mail_user(f"collegue{n}") for n in range(6)]
    for colleague in colleagues[:4]:  # an office morning: a few typos each, then the right password
        _fail(client, colleague, 2, REMOTE_ADDR=OFFICE)
        assert _try(client, colleague, REMOTE_ADDR=OFFICE).status_code == 302
        client.post("/compte/deconnexion/")
    _fail(client, colleagues[4], 4, REMOTE_ADDR=OFFICE)  # 12 failures from the address: its limit
    refused = _try(client, colleagues[5], REMOTE_ADDR=OFFICE)
    assert refused.status_code == 429
    assert _try(client, colleagues[5], REMOTE_ADDR="192.0.2.1").status_code == 302


def test_the_default_limits_leave_room_for_an_office(settings):
    assert settings.LOGIN_FAILURES_ALLOWED == 5
    assert settings.LOGIN_ACCOUNT_FAILURES_ALLOWED == 20
    assert settings.LOGIN_ADDRESS_FAILURES_ALLOWED == 100
    assert settings.TRUSTED_PROXIES == []


def test_trusted_proxies_come_from_the_environment_and_are_checked(monkeypatch):
    monkeypatch.setenv("TRUSTED_PROXIES", "127.0.0.1, 10.0.0.0/8,::1")
    assert env_networks("TRUSTED_PROXIES") == ["127.0.0.1", "10.0.0.0/8", "::1"]
    monkeypatch.setenv("TRUSTED_PROXIES", "127.0.0.1,proxy.example")
    with pytest.raises(ImproperlyConfigured, match="proxy.example"):
        env_networks("TRUSTED_PROXIES")
