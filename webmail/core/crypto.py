"""Encryption of stored mail passwords.

Scheduled sending needs the password while the user is away, so it must be stored; it is
encrypted with keys that live in the environment, never in the database. CREDENTIALS_KEYS is a
comma-separated list: the first key encrypts, every key decrypts, so a key can be rotated by
putting a new one first and running `manage.py rotate_credentials_key`.
"""

import base64
import hashlib
from functools import cache

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.conf import settings


class CredentialsUnreadable(Exception):
    """No configured key can decrypt a stored secret (the key was removed or changed)."""


def _dev_key() -> bytes:
    # Last resort when no key is configured and none was generated (DEBUG off: tests, one-off
    # commands). Development instances get a random key in var/ (settings.py); the deploy check
    # asks for a real key.
    digest = hashlib.sha256(b"webmail-credentials:" + settings.SECRET_KEY.encode()).digest()
    return base64.urlsafe_b64encode(digest)


@cache
def _fernet(keys: tuple[str, ...]) -> MultiFernet:
    return MultiFernet([Fernet(key) for key in keys] or [Fernet(_dev_key())])


def _current() -> MultiFernet:
    return _fernet(tuple(settings.CREDENTIALS_KEYS))


def encrypt(secret: str) -> str:
    return _current().encrypt(secret.encode()).decode()


def decrypt(token: str) -> str:
    try:
        return _current().decrypt(token.encode()).decode()
    except InvalidToken:
        raise CredentialsUnreadable("no configured credentials key can decrypt this secret") from None


def rotate(token: str) -> str:
    """Re-encrypt with the first (newest) key."""
    try:
        return _current().rotate(token.encode()).decode()
    except InvalidToken:
        raise CredentialsUnreadable("no configured credentials key can decrypt this secret") from None


def generate_key() -> str:
    return Fernet.generate_key().decode()
