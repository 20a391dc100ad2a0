from datetime import timedelta

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from webmail.compose.corrections import sent_copy
from webmail.compose.service import OriginalNotFound
from webmail.core.redirects import safe_next
from webmail.core.requests import error_page, message_reference
from webmail.outbox import schedule
from webmail.outbox.choices import schedule_choice
from webmail.outbox.models import OutboxMessage, State
from webmail.preferences.models import Preferences
from webmail.reminders import service
from webmail.reminders.models import FollowUp

FOLLOW_UP_DAYS = ("1", "3", "7")


def _when(request: HttpRequest):
    """A date and time typed in the user's zone if there is one, else 1, 3 or 7 days from now."""
    days, at = request.POST.get("days", ""), request.POST.get("at", "")
    if not at and days in FOLLOW_UP_DAYS:
        return timezone.now() + timedelta(days=int(days)), None
    hours = Preferences.for_user(request.user).office_hours()
    return schedule_choice({"schedule_at": "custom", "schedule_local": at}, hours)


@require_POST
def follow_up(request: HttpRequest) -> HttpResponse:
    """'Me le rappeler s'il n'y a pas de réponse' on a message in Sent."""
    where = message_reference(request.POST)
    if where is None:
        return error_page(request, _("This message reference is not valid."))
    due_at, error = _when(request)
    if error:
        return error_page(request, error)
    try:
        service.follow_up(request.user, sent_copy(request.user, *where), due_at)
    except OriginalNotFound:
        return error_page(request, _("This message no longer exists."), 404)
    except ValueError:
        return error_page(request, _("This message cannot be followed up: it has no Message-ID."))
    hours = Preferences.for_user(request.user).office_hours()
    messages.success(request, _("If nobody answers, this message comes back to the top of your inbox on %(when)s.")
                     % {"when": schedule.describe(due_at, hours)})
    return redirect(safe_next(request, "mailbox:home"))


@require_POST
def follow_up_sent(request: HttpRequest, pk: int) -> HttpResponse:
    """The same, at send time: from the "Message envoyé" toast (the outbox row, whose envelope
    names the Bcc recipients too)."""
    message = get_object_or_404(OutboxMessage, pk=pk, user=request.user, state=State.SENT)
    due_at, error = _when(request)
    if error:
        return error_page(request, error)
    service.follow_up(request.user, bytes(message.raw), due_at, envelope=list(message.recipients))
    hours = Preferences.for_user(request.user).office_hours()
    messages.success(request, _("If nobody answers, this message comes back to the top of your inbox on %(when)s.")
                     % {"when": schedule.describe(due_at, hours)})
    # Back to the page the toast was on (the toast itself may have come from a poll of its own URL).
    back = request.META.get("HTTP_REFERER", "")
    if back and url_has_allowed_host_and_scheme(back, {request.get_host()}, require_https=request.is_secure()):
        return redirect(back)
    return redirect("mailbox:home")


@require_POST
def relaunch(request: HttpRequest, pk: int) -> HttpResponse:
    """'Relancer': compose a follow-up in the same thread."""
    get_object_or_404(FollowUp, pk=pk, user=request.user, state__in=[FollowUp.State.FIRED, FollowUp.State.DONE])
    try:
        composition = service.relaunch(request.user, pk)
    except service.NoSentCopy:
        return error_page(request, _("This message is no longer in Sent."), 404)
    return redirect("compose:edit", pk=composition.pk)


@require_POST
def ignore(request: HttpRequest, pk: int) -> HttpResponse:
    service.ignore(request.user, pk)
    return redirect(safe_next(request, "mailbox:home"))


@require_POST
def snooze(request: HttpRequest) -> HttpResponse:
    """'Reporter': out of the inbox until the chosen time, then back, unread."""
    where = message_reference(request.POST)
    if where is None:
        return error_page(request, _("This message reference is not valid."))
    hours = Preferences.for_user(request.user).office_hours()
    at, error = schedule_choice(request.POST, hours)
    if error:
        return error_page(request, error)
    if service.snooze(request.user, where[0], where[1], at) is None:
        return error_page(request, _("This message no longer exists."), 404)
    messages.success(request, _("Snoozed until %(when)s: it will be back in your inbox, unread.")
                     % {"when": schedule.describe(at, hours)})
    return redirect(safe_next(request, "mailbox:home"))
