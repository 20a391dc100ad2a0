"""Dates and times in the user's own time zone (the settings page), not in the server's."""

from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from django.conf import settings
from django.utils import timezone

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
    # select_related with the user by the auth backend: no query of its own.
    preferences = getattr(user, "preferences", None) or Preferences(**settings.PREFERENCES_DEFAULTS)
    try:
        return ZoneInfo(preferences.time_zone)
    except (ZoneInfoNotFoundError, ValueError):  # validated on save; a zone removed from tzdata since
        return None
