"""Dates and times in the user's own time zone (the settings page), not in the server's; pages in
the language chosen there, else the browser's (LocaleMiddleware, which runs first, read it)."""

from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from django.conf import settings
from django.utils import timezone, translation

from webmail.preferences import digits
from webmail.preferences.models import Preferences


class UserTimeZoneMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        zone = _zone_of(request.user)
        if zone is not None:  # otherwise the default zone: each request ends with it (finally)
            timezone.activate(zone)
        try:
            return self.get_response(request)
        finally:
            timezone.deactivate()


def _zone_of(user) -> ZoneInfo | None:
    if not user.is_authenticated:
        return None
    preferences = Preferences.of(user)
    try:
        return ZoneInfo(preferences.time_zone)
    except (ZoneInfoNotFoundError, ValueError):  # validated on save; a zone removed from tzdata since
        return None


class UserLanguageMiddleware:
    """The language saved in Paramètres wins over the browser's, on every device the user signs in
    from (LocaleMiddleware's response half then names it in Content-Language); and the digits the
    page writes its dates and counts with (webmail/preferences/digits.py)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        preferences = Preferences.of(request.user) if request.user.is_authenticated else None
        if preferences is not None and preferences.language in dict(settings.LANGUAGES):
            translation.activate(preferences.language)
            request.LANGUAGE_CODE = preferences.language
        token = digits.activate(digits.choose(translation.get_language(), preferences.digits if preferences else ""))
        try:
            return self.get_response(request)
        finally:
            digits.deactivate(token)

