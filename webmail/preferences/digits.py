"""Which digits dates, times and counts are written with in Arabic.

Django writes Western digits (0-9) in every language, and so does the Unicode locale data for
plain "ar" since CLDR 42 (Chromium's `Intl.NumberFormat("ar")` says "latn"; ar-EG and ar-SA keep
Arabic-Indic): that is the default. A user who reads Arabic-Indic digits (٠-٩) chooses them in
Paramètres; they are then used where the interface writes a date, a time or a count of its own
(the list's dates, the reading pane's date, the scheduling times, the toast's countdown), never
in what people wrote (a subject's "Facture 2026-11" stays as typed).
"""

from contextvars import ContextVar

ARABIC_INDIC = "arab"
_WESTERN_TO_ARABIC_INDIC = str.maketrans("0123456789", "٠١٢٣٤٥٦٧٨٩")
_current: ContextVar[str] = ContextVar("digits", default="")


def choose(language: str, preference: str) -> str:
    """The numbering system of a page: Arabic-Indic only in Arabic and when chosen."""
    return ARABIC_INDIC if language == "ar" and preference == ARABIC_INDIC else ""


def activate(system: str):
    return _current.set(system)


def deactivate(token) -> None:
    _current.reset(token)


def current() -> str:
    return _current.get()


def shape(text: str) -> str:
    """`text` with the current page's digits (unchanged unless Arabic-Indic is active)."""
    if _current.get() == ARABIC_INDIC:
        return str(text).translate(_WESTERN_TO_ARABIC_INDIC)
    return text
