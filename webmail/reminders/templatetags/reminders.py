from django import template
from django.utils import timezone

from webmail.outbox import schedule
from webmail.preferences.models import Preferences
from webmail.reminders import service

register = template.Library()


@register.inclusion_tag("reminders/_due.html", takes_context=True)
def follow_ups_due(context) -> dict:
    """At the top of the inbox: sent messages that got no answer, with Relancer and Ignorer."""
    request = context["request"]
    return {"due": service.fired(request.user), "request": request, "csrf_token": context.get("csrf_token")}


@register.inclusion_tag("reminders/_snooze_menu.html", takes_context=True)
def snooze_menu(context, folder: str, uid: int) -> dict:
    """"Reporter" with the office-hours presets of scheduled sending, or a date."""
    request = context["request"]
    hours = Preferences.of(request.user).office_hours()
    return {"folder": folder, "uid": uid, "presets": schedule.presets(timezone.now(), hours),
            "next": context.get("list_url", ""), "csrf_token": context.get("csrf_token")}
