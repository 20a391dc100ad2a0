from urllib.parse import urlencode

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST
from django_htmx.http import HttpResponseClientRedirect

from webmail.outbox import service
from webmail.outbox.models import OutboxMessage, State
from webmail.outbox.toasts import toast_context


@require_GET
def toasts(request: HttpRequest) -> HttpResponse:
    """Polled while something is in flight; 204 when nothing changed, so focus stays on Annuler."""
    context = toast_context(request.user)
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
        return render(request, "outbox/_toasts.html", toast_context(request.user))
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
