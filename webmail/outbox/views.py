from urllib.parse import urlencode

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST
from django_htmx.http import HttpResponseClientRedirect

from webmail.mailbox.parse import parse_message
from webmail.outbox import schedule, service
from webmail.outbox.choices import schedule_choice
from webmail.outbox.models import OutboxMessage, State
from webmail.outbox.toasts import toast_context
from webmail.preferences.models import Preferences


@require_GET
def toasts(request: HttpRequest) -> HttpResponse:
    """Polled while something is in flight; 204 when nothing changed, so focus stays on Annuler."""
    context = toast_context(request)
    if request.GET.get("v") == context["version"]:
        return HttpResponse(status=204)
    return render(request, "outbox/_toasts.html", context)


@require_POST
def cancel(request: HttpRequest, pk: int) -> HttpResponse:
    get_object_or_404(OutboxMessage, pk=pk, user=request.user)
    outcome = service.cancel(request.user, pk)
    if outcome.cancelled:
        messages.success(request, _("Sending cancelled. Your message is a draft again."))
        target = (reverse("compose:edit", args=[outcome.message.composition_id])
                  if outcome.message.composition_id else reverse("mailbox:home"))
        return HttpResponseClientRedirect(target) if request.htmx else redirect(target)
    context = {"message": outcome.message, "title": _("Too late")}
    return render(request, "outbox/too_late.html", context, status=409)


@require_POST
def dismiss(request: HttpRequest, pk: int) -> HttpResponse:
    service.dismiss(request.user, pk)
    if request.htmx:
        return render(request, "outbox/_toasts.html", toast_context(request))
    return redirect(request.POST.get("next") or "mailbox:home")


@require_GET
def outbox_list(request: HttpRequest) -> HttpResponse:
    return render(request, "outbox/list.html", {"pending": service.in_flight(request.user), "title": _("Outbox")})


@require_GET
def show_sent(request: HttpRequest, pk: int) -> HttpResponse:
    """'Afficher le message': the copy filed in Sent (or the Sent folder until it is filed)."""
    message = get_object_or_404(OutboxMessage, pk=pk, user=request.user, state=State.SENT)
    folder = message.sent_folder or "Sent"
    if message.sent_uid:
        return redirect(f"{reverse('mailbox:message', args=[message.sent_uid])}?{urlencode({'folder': folder})}")
    return redirect(f"{reverse('mailbox:folder')}?{urlencode({'folder': folder})}")


@require_GET
def scheduled_list(request: HttpRequest) -> HttpResponse:
    hours = Preferences.for_user(request.user).office_hours()
    now = timezone.now()
    items = [
        {"message": m, "when": schedule.describe(m.deadline, hours, now), "presets": schedule.presets(now, hours)}
        for m in service.scheduled_for(request.user)
    ]
    return render(request, "outbox/scheduled.html", {"items": items, "title": _("Scheduled")})


@require_GET
def scheduled_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """Open a scheduled message: what will leave, exactly."""
    message = get_object_or_404(OutboxMessage, pk=pk, user=request.user, scheduled=True)
    hours = Preferences.for_user(request.user).office_hours()
    context = {"message": message, "parsed": parse_message(bytes(message.raw)), "title": message.subject,
               "when": schedule.describe(message.deadline, hours, timezone.now())}
    return render(request, "outbox/scheduled_detail.html", context)


@require_POST
def send_now(request: HttpRequest, pk: int) -> HttpResponse:
    get_object_or_404(OutboxMessage, pk=pk, user=request.user, scheduled=True)
    if service.send_now(request.user, pk):
        messages.success(request, _("The message is leaving now."))
    else:
        messages.error(request, _("This message is no longer scheduled."))
    return redirect("outbox:scheduled")


@require_POST
def reschedule(request: HttpRequest, pk: int) -> HttpResponse:
    get_object_or_404(OutboxMessage, pk=pk, user=request.user, scheduled=True)
    hours = Preferences.for_user(request.user).office_hours()
    at, error = schedule_choice(request.POST, hours)
    if error:
        messages.error(request, error)
        return redirect("outbox:scheduled")
    if service.reschedule(request.user, pk, at):
        messages.success(request, _("Rescheduled for %(when)s.") % {"when": schedule.describe(at, hours)})
    else:
        messages.error(request, _("This message is no longer scheduled."))
    return redirect("outbox:scheduled")


@require_POST
def edit_scheduled(request: HttpRequest, pk: int) -> HttpResponse:
    """'Modifier': back in compose; no longer scheduled until sent or scheduled again."""
    get_object_or_404(OutboxMessage, pk=pk, user=request.user, scheduled=True)
    outcome = service.cancel(request.user, pk)
    if not outcome.cancelled or outcome.message.composition_id is None:
        return render(request, "outbox/too_late.html", {"message": outcome.message, "title": _("Too late")},
                      status=409)
    return redirect("compose:edit", pk=outcome.message.composition_id)


@require_POST
def cancel_scheduled(request: HttpRequest, pk: int) -> HttpResponse:
    get_object_or_404(OutboxMessage, pk=pk, user=request.user, scheduled=True)
    outcome = service.cancel(request.user, pk)
    if outcome.cancelled:
        messages.success(request, _("Scheduling cancelled. The message is back in Drafts."))
        return redirect("outbox:scheduled")
    return render(request, "outbox/too_late.html", {"message": outcome.message, "title": _("Too late")}, status=409)
