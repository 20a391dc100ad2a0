"""Every string marked for translation, in a template or in Python, has an Arabic and a Polish
translation: no silent English in the middle of an Arabic page.

The strings are extracted afresh from the code (Django's makemessages, into a temporary folder),
so a msgid added to the code but never to the .po files fails here too, not only one added to the
French file and forgotten in the others. Untranslated: missing from the catalog, left empty (any
plural form) or fuzzy. GNU gettext's `msgfmt --check` (a Debian package the Makefile installs)
checks that the placeholders and the plural forms agree.
"""

import os
import re
import subprocess
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import call_command
from django.test.utils import override_settings

from tests.i18n import pofile

LOCALE = Path(settings.BASE_DIR) / "webmail" / "locale"
REQUIRED = ["ar", "pl"]
PLURAL_FORMS = {"ar": 6, "pl": 3}


@pytest.fixture(scope="module")
def template(tmp_path_factory) -> Path:
    """The .pot of every msgid the code has today."""
    out = tmp_path_factory.mktemp("locale")
    root = Path(settings.BASE_DIR)
    cwd = Path.cwd()
    os.chdir(root)  # makemessages walks the current folder
    try:
        # "locale" is ignored so that makemessages never adopts webmail/locale and writes there.
        with override_settings(LOCALE_PATHS=[str(out)]):
            call_command("makemessages", locale=["xx"], keep_pot=True, verbosity=0,
                         ignore_patterns=[".venv", "var", "tests", "docs", "compose", "locale", "node_modules"])
    finally:
        os.chdir(cwd)
    pot = out / "django.pot"
    assert pot.exists()
    return pot


@pytest.mark.parametrize("language", REQUIRED)
def test_every_marked_string_has_a_translation(template, language):
    missing = _untranslated(LOCALE / language / "LC_MESSAGES" / "django.po", template)
    assert not missing, (
        f"{len(missing)} strings without a {language} translation (add them to "
        f"webmail/locale/{language}/LC_MESSAGES/django.po):\n" + "\n".join(map(repr, missing))
    )


def _untranslated(catalog: Path, template: Path) -> list[str]:
    translations = pofile.read(catalog)
    return [msgid for msgid in pofile.read(template)
            if msgid not in translations or not translations[msgid].translated]


@pytest.mark.parametrize("language", REQUIRED)
def test_catalog_compiles_with_its_placeholders_and_plural_forms(language):
    catalog = LOCALE / language / "LC_MESSAGES" / "django.po"
    result = subprocess.run(["msgfmt", "--check", "--statistics", "-o", "/dev/null", str(catalog)],
                            capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert re.search(r"^\d+ translated messages\.$", result.stderr, re.MULTILINE), result.stderr  # none fuzzy
    header = catalog.read_text(encoding="utf-8")
    assert f"nplurals={PLURAL_FORMS[language]};" in header


def test_the_check_catches_a_missing_translation(template, tmp_path):
    """The comparison itself: a catalog with one msgid left empty fails."""
    catalog = (LOCALE / "pl" / "LC_MESSAGES" / "django.po").read_text(encoding="utf-8")
    broken = tmp_path / "django.po"
    broken.write_text(catalog.replace('msgstr "Nowa wiadomość"', 'msgstr ""', 1), encoding="utf-8")
    assert "New message" in _untranslated(broken, template)
    assert "New message" not in _untranslated(LOCALE / "pl" / "LC_MESSAGES" / "django.po", template)
