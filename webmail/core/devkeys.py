"""Keys for a development instance (`make run`): random, generated on the first run into var/ and
kept there for the next ones.

Without them a development instance would use the public fallback SECRET_KEY, and a credentials
key derived from it: anyone holding a copy of its database could decrypt the mail passwords
stored in it. Only settings.DEBUG instances use this file; production sets DJANGO_SECRET_KEY and
CREDENTIALS_KEYS, and `check --deploy` refuses generated keys (webmail.E001, webmail.E003).
"""

import json
import os
from pathlib import Path

from cryptography.fernet import Fernet
from django.core.exceptions import ImproperlyConfigured
from django.core.management.utils import get_random_secret_key

FILE_NAME = "development-keys.json"


def development_keys(var_dir: Path) -> dict[str, str]:
    """{"DJANGO_SECRET_KEY": …, "CREDENTIALS_KEYS": …} from var/development-keys.json, created
    on the first call. The web process, the worker and beat start at the same moment and must all
    read the same keys: the file is written under a temporary name and linked into place, which
    fails if another process got there first; everyone then reads the one that won."""
    path = var_dir / FILE_NAME
    if not path.exists():
        _create(path)
    try:
        keys = json.loads(path.read_text())
        Fernet(keys["CREDENTIALS_KEYS"])
        if not keys["DJANGO_SECRET_KEY"]:
            raise ValueError("empty secret key")
    except (OSError, ValueError, KeyError, TypeError) as error:
        raise ImproperlyConfigured(
            f"{path} does not hold usable development keys ({error.__class__.__name__}). Restore it from "
            "a backup, or delete it to generate new ones (stored mail passwords then need a new sign-in)."
        ) from None
    return keys


def _create(path: Path) -> None:
    keys = {"DJANGO_SECRET_KEY": get_random_secret_key(), "CREDENTIALS_KEYS": Fernet.generate_key().decode()}
    path.parent.mkdir(parents=True, exist_ok=True)
    draft = path.with_name(f".{FILE_NAME}.{os.getpid()}")
    descriptor = os.open(draft, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)  # secrets: owner only
    try:
        with os.fdopen(descriptor, "w") as file:
            json.dump(keys, file)
            file.flush()
            os.fsync(file.fileno())
        try:
            os.link(draft, path)
        except FileExistsError:
            pass  # another process created it first: its keys are the ones
    finally:
        draft.unlink(missing_ok=True)
