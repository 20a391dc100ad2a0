from urllib.parse import urlencode

from django.contrib import messages
from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST
from django.views.decorators.vary import vary_on_headers
from django_htmx.http import HttpResponseClientRedirect

from webmail.core.redirects import safe_next
from webmail.mailbox.parse import parse_message
from webmail.outbox import listing, schedule, service
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
    return redirect(safe_next(request, "mailbox:home"))


@require_POST
def dismiss_folded(request: HttpRequest) -> HttpResponse:
    """× on the folded toast ("3 autres envois ont échoué"): closes every toast it counts."""
    ids = request.POST.getlist("id")
    if not ids or not all(i.isdigit() for i in ids):
        return HttpResponseBadRequest(_("Nothing to close."))
    service.dismiss(request.user, *map(int, ids))
    if request.htmx:
        return render(request, "outbox/_toasts.html", toast_context(request))
    return redirect(safe_next(request, "mailbox:home"))


@require_POST
def resend_refused(request: HttpRequest, pk: int) -> HttpResponse:
    """'Renvoyer à ces destinataires…': a copy of the message for the refused recipients, to correct."""
    try:
        composition = service.resend_to_refused(request.user, pk)
    except service.NothingToResend:
        return render(request, "error.html", {"message": _("This message has no refused recipients to send to again.")},
                      status=404)
    return redirect("compose:edit", pk=composition.pk)


def _list_or_fragment(request: HttpRequest, context: dict, page: str, fragment: str) -> HttpResponse:
    """The whole page, or (polled by htmx while something is in flight) its list alone; 204 while
    the list has not changed, so nothing on the page moves under the user."""
    if not request.htmx:
        return render(request, page, context)
    if request.GET.get("v") == context["version"]:
        return HttpResponse(status=204)
    return render(request, fragment, context)


@require_GET
@vary_on_headers("HX-Request")
def outbox_list(request: HttpRequest) -> HttpResponse:
    context = {**listing.outbox(request.user, timezone.now()), "title": _("Outbox")}
    return _list_or_fragment(request, context, "outbox/list.html", "outbox/_outbox_items.html")


@require_GET
def show_sent(request: HttpRequest, pk: int) -> HttpResponse:
    """'Afficher le message': the copy filed in Sent (or the Sent folder until it is filed)."""
    message = get_object_or_404(OutboxMessage, pk=pk, user=request.user, state=State.SENT)
    folder = message.sent_folder or "Sent"
    if message.sent_uid:
        return redirect(f"{reverse('mailbox:message', args=[message.sent_uid])}?{urlencode({'folder': folder})}")
    return redirect(f"{reverse('mailbox:folder')}?{urlencode({'folder': folder})}")


@require_GET
@vary_on_headers("HX-Request")
def scheduled_list(request: HttpRequest) -> HttpResponse:
    hours = Preferences.for_user(request.user).office_hours()
    context = {**listing.scheduled(request.user, hours, timezone.now()), "title": _("Scheduled")}
    return _list_or_fragment(request, context, "outbox/scheduled.html", "outbox/_scheduled_items.html")


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
    """'Modifier': back in compose, which offers to schedule it again for the same time (the
    composition remembers it); it no longer leaves until scheduled again or sent."""
    get_object_or_404(OutboxMessage, pk=pk, user=request.user, scheduled=True)
    outcome = service.cancel(request.user, pk, keep_time=True)
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


@require_POST
def stop_everything(request: HttpRequest) -> HttpResponse:
    """'Tout arrêter': what is in its undo window is cancelled at once; the page then lists the
    scheduled messages with a confirmation, and what had already left."""
    report = service.stop_sending(request.user)
    return render(request, "outbox/stop.html", {"report": report, "title": _("Stop everything")})


@require_POST
def stop_scheduled(request: HttpRequest) -> HttpResponse:
    """The confirmation of 'Tout arrêter': the scheduled messages it listed go back to Drafts."""
    ids, stopped = request.POST.getlist("id"), request.POST.getlist("stopped")
    if not ids or not all(i.isdigit() and len(i) < 19 for i in [*ids, *stopped]):
        return render(request, "error.html", {"message": _("Choose the scheduled messages to stop.")}, status=400)
    report = service.stop_scheduled(request.user, [int(i) for i in ids], [int(i) for i in stopped])
    return render(request, "outbox/stop.html", {"report": report, "title": _("Stop everything"), "confirmed": True})
