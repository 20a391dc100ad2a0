"""Envoyer un correctif, from a message in Sent or from the "Message envoyé" toast (outbox row)."""

from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from webmail.compose import corrections
from webmail.compose.service import OriginalNotFound
from webmail.core.requests import error_page, message_reference
from webmail.mailbox.parse import parse_message
from webmail.outbox.models import OutboxMessage, State


def _only(request: HttpRequest) -> list[str] | None:
    """The recipients ticked on the chooser ("seulement à certains destinataires"); None: all."""
    return request.POST.getlist("only") if request.POST.get("choosing") else None


def _source(request: HttpRequest, pk: int | None, params) -> tuple[bytes, list[str] | None] | HttpResponse:
    """The message to correct: an outbox row that left, or the copy in Sent named by folder and uid."""
    if pk is not None:
        message = get_object_or_404(OutboxMessage, pk=pk, user=request.user, state=State.SENT)
        return bytes(message.raw), list(message.recipients)
    where = message_reference(params)
    if where is None:
        return error_page(request, _("This message reference is not valid."))
    try:
        return corrections.sent_copy(request.user, *where), None
    except OriginalNotFound:
        return error_page(request, _("This message no longer exists."), 404)


@require_POST
def start(request: HttpRequest, pk: int | None = None) -> HttpResponse:
    """'Envoyer un correctif': the compose page, addressed to exactly the original recipients."""
    source = _source(request, pk, request.POST)
    if isinstance(source, HttpResponse):
        return source
    only = _only(request)
    if only is not None and not only:
        return error_page(request, _("Choose at least one recipient for the correction."))
    composition = corrections.start_correction(request.user, source[0], envelope=source[1], only=only)
    return redirect("compose:edit", pk=composition.pk)


@require_GET
def choose(request: HttpRequest, pk: int | None = None) -> HttpResponse:
    """'Seulement à certains destinataires…': the original recipients, all ticked, to untick."""
    source = _source(request, pk, request.GET)
    if isinstance(source, HttpResponse):
        return source
    recipients = corrections.recipients_of(*source)
    action = reverse("outbox:correct", args=[pk]) if pk is not None else reverse("compose:correct")
    context = {"recipients": recipients, "action": action, "folder": request.GET.get("folder", ""),
               "uid": request.GET.get("uid", ""), "subject": parse_message(source[0]).subject,
               "title": _("Send a correction")}
    return render(request, "compose/correction_recipients.html", context)
