import pytest
from cryptography.fernet import Fernet
from django.core.management import call_command

from webmail.accounts.backends import remember_account
from webmail.accounts.models import MailAccount
from webmail.core import crypto


@pytest.fixture(autouse=True)
def _fresh_keys():
    crypto._fernet.cache_clear()
    yield
    crypto._fernet.cache_clear()


def test_encrypted_password_round_trips_and_is_not_plain():
    token = crypto.encrypt("s3cret-é")
    assert "s3cret" not in token
    assert crypto.decrypt(token) == "s3cret-é"


@pytest.mark.django_db
def test_key_rotation_re_encrypts_every_account(settings):
    old, new = Fernet.generate_key().decode(), Fernet.generate_key().decode()
    settings.CREDENTIALS_KEYS = [old]
    remember_account("rotate@example.test", "the-password")
    before = MailAccount.objects.get().encrypted_password

    settings.CREDENTIALS_KEYS = [new, old]
    call_command("rotate_credentials_key")
    settings.CREDENTIALS_KEYS = [new]  # the old key can now be removed
    account = MailAccount.objects.get()
    assert account.encrypted_password != before
    assert account.password() == "the-password"


@pytest.mark.django_db
def test_a_removed_key_makes_the_password_unreadable_not_wrong(settings):
    settings.CREDENTIALS_KEYS = [Fernet.generate_key().decode()]
    remember_account("lost@example.test", "pw")
    settings.CREDENTIALS_KEYS = [Fernet.generate_key().decode()]
    with pytest.raises(crypto.CredentialsUnreadable):
        MailAccount.objects.get().password()
