from django.conf import settings
from django.contrib import messages
from django.db import transaction
from django.forms.models import model_to_dict
from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from webmail.compose import contacts, presend, service
from webmail.compose.forms import CompositionForm, check_attachment_sizes
from webmail.compose.models import Attachment, Composition
from webmail.compose.writing import writing_context
from webmail.core.middleware import POLICY
from webmail.imap.gateway import MailServerError
from webmail.outbox import schedule
from webmail.outbox import service as outbox
from webmail.outbox.choices import schedule_choice
from webmail.preferences.models import Preferences


def _uid(value: str | None) -> int | None:
    return int(value) if value and value.isdigit() and 0 < int(value) < 2**32 else None


@require_GET
def new(request: HttpRequest) -> HttpResponse:
    """Start writing: blank, or answering / forwarding a message, or continuing a draft."""
    folder = request.GET.get("folder", "INBOX")
    params = {key: request.GET.get(key) for key in ("reply", "reply_all", "forward", "draft")}
    given = {key: value for key, value in params.items() if value is not None}
    if given and not all(_uid(value) for value in given.values()):
        return HttpResponseBadRequest(_("This message reference is not valid."))
    try:
        if "reply" in given or "reply_all" in given:
            uid = _uid(given.get("reply") or given.get("reply_all"))
            composition = service.start_reply(request.user, folder, uid, reply_all="reply_all" in given)
        elif "forward" in given:
            composition = service.start_forward(request.user, folder, _uid(given["forward"]))
        elif "draft" in given:
            composition = service.continue_draft(request.user, _uid(given["draft"]))
        else:
            composition = service.start_new(request.user, to=request.GET.get("to", "")[:2000])
    except service.OriginalNotFound:
        return render(request, "error.html", {"message": _("This message no longer exists.")}, status=404)
    return redirect("compose:edit", pk=composition.pk)


def _context(form: CompositionForm, composition: Composition, **extra) -> dict:
    hours = Preferences.for_user(composition.user).office_hours()
    now = timezone.now()
    return {"form": form, "composition": composition, "attachments": composition.attachments.all(),
            **writing_context(composition),
            "title": composition.subject or _("New message"), "presets": schedule.presets(now, hours),
            **_kept_time(composition, hours, now), **extra}


def _kept_time(composition: Composition, hours, now) -> dict:
    """The time a message had in Programmés before Modifier: offered again unless it has passed."""
    at = composition.scheduled_for
    if at is None:
        return {}
    return {"kept_when": schedule.when_phrase(at, now, hours), "kept_exact": schedule.describe(at, hours, now),
            "kept_at": at, "kept_passed": schedule.validate_send_at(at, now, settings.SCHEDULE_HORIZON_DAYS) is not None}


def _render(request, form, composition, status=200, **extra) -> HttpResponse:
    response = render(request, "compose/edit.html", _context(form, composition, **extra), status=status)
    # The editor shows colours and pasted formatting through style attributes (they were sanitised
    # on the server like a received message's); scripts stay as strict as everywhere.
    response.headers["Content-Security-Policy"] = POLICY.replace(
        "style-src 'self'", "style-src 'self'; style-src-attr 'unsafe-inline'")
    return response


@require_http_methods(["GET", "POST"])
def edit(request: HttpRequest, pk) -> HttpResponse:
    composition = get_object_or_404(Composition, pk=pk, user=request.user)
    if composition.in_outbox():
        messages.info(request, _("This message is in the outbox. Cancel its sending to edit it."))
        return redirect("outbox:list")
    if request.method == "GET":
        return _render(request, CompositionForm(instance=composition), composition)
    # The dialog's buttons post only their decision: the fields were saved when it opened.
    data = request.POST if "to" in request.POST else model_to_dict(composition, fields=CompositionForm.Meta.fields)
    form = CompositionForm(data, instance=composition)
    action = "schedule" if "schedule_at" in request.POST else request.POST.get("action", "save")
    if action in ("send", "schedule"):
        return _send_or_schedule(request, form, composition, action)
    if not form.is_valid():
        return _render(request, form, composition, status=400)
    form.save()
    if action == "drop_quote":
        service.drop_quote(composition)
        return redirect("compose:edit", pk=composition.pk)
    if action == "insert_template":
        try:
            inserted = service.insert_template(composition, request.POST.get("template", ""))
        except service.TemplateTooLarge:
            return _render(request, form, composition, status=413, template_error=_(
                "This template's files would take the message over the attachments limit."))
        if not inserted:
            return _render(request, form, composition, status=400, template_error=_("This template no longer exists."))
        return redirect(reverse("compose:edit", args=[composition.pk]) + "?modele=1")
    if action == "fix_address":
        presend.fix_address(composition, request.POST.get("address", ""), request.POST.get("suggestion", ""))
        return redirect("compose:edit", pk=composition.pk)
    if action == "attach":
        error = _add_attachments(composition, request.FILES.getlist("files"))
        if error:
            return _render(request, form, composition, status=413, upload_error=error)
    service.save_draft(composition)
    messages.success(request, _("Draft saved."))
    return redirect("compose:edit", pk=composition.pk)


def _send_or_schedule(request, form, composition: Composition, action: str) -> HttpResponse:
    """Envoyer / Programmer: validate, then the pre-send checks unless confirmed, then the outbox."""
    if not form.is_valid():
        return _render(request, form, composition, status=400)
    form.save()  # what was typed is kept even when the addresses need fixing
    if not form.validate_for_sending():
        return _render(request, form, composition, status=400)
    send_at = None
    if action == "schedule":
        hours = Preferences.for_user(request.user).office_hours()
        send_at, error = schedule_choice(request.POST, hours, kept=composition.scheduled_for)
        if error:
            return _render(request, form, composition, status=400, schedule_error=error)
    if not request.POST.get("confirmed"):
        findings = presend.review(composition, timezone.now(), sending_now=action == "send")
        if findings:
            return _render(request, form, composition, findings=findings, pending_action=action,
                           schedule_at=request.POST.get("schedule_at", ""),
                           schedule_local=request.POST.get("schedule_local", ""))
    if send_at is not None:
        service.discard_draft_copy(composition)  # it lives in Programmés until it leaves
    try:
        outbox.queue(composition, send_at=send_at, scheduled=send_at is not None)
    except outbox.AlreadyInOutbox:
        pass  # a double click on Envoyer: the first one queued it, once
    return redirect("mailbox:home")


@require_POST
def autosave(request: HttpRequest, pk) -> HttpResponse:
    """Called a few seconds after typing stops and when leaving the page."""
    composition = get_object_or_404(Composition, pk=pk, user=request.user)
    if composition.in_outbox():
        return HttpResponse(status=409)
    form = CompositionForm(request.POST, instance=composition)
    if not form.is_valid():
        return render(request, "compose/_save_status.html", {"error": True}, status=400)
    form.save()  # kept in the database even if the mail server cannot take the draft now
    try:
        service.save_draft(composition)
    except MailServerError:
        return render(request, "compose/_save_status.html", {"error": True}, status=503)
    return render(request, "compose/_save_status.html", {"saved_at": timezone.now()})


def _add_attachments(composition: Composition, files) -> str | None:
    error = check_attachment_sizes(composition.attachments_size, files)
    if error:
        return error
    with transaction.atomic():
        for upload in files:
            Attachment.objects.create(
                composition=composition, filename=upload.name[:255], size=upload.size,
                content_type=upload.content_type or "application/octet-stream", data=upload.read(),
            )
    return None


@require_POST
def upload(request: HttpRequest, pk) -> HttpResponse:
    composition = get_object_or_404(Composition, pk=pk, user=request.user)
    files = request.FILES.getlist("files")
    if not files:
        return render(request, "compose/_attachments.html",
                      {"composition": composition, "attachments": composition.attachments.all(),
                       "upload_error": _("Choose at least one file.")}, status=400)
    error = _add_attachments(composition, files)
    context = {"composition": composition, "attachments": composition.attachments.all(), "upload_error": error}
    return render(request, "compose/_attachments.html", context, status=413 if error else 200)


@require_POST
def remove_attachment(request: HttpRequest, pk, attachment_id: int) -> HttpResponse:
    composition = get_object_or_404(Composition, pk=pk, user=request.user)
    composition.attachments.filter(pk=attachment_id).delete()
    if request.htmx:
        return render(request, "compose/_attachments.html",
                      {"composition": composition, "attachments": composition.attachments.all()})
    return redirect("compose:edit", pk=composition.pk)


@require_POST
def discard(request: HttpRequest, pk) -> HttpResponse:
    composition = get_object_or_404(Composition, pk=pk, user=request.user)
    service.discard(composition)
    messages.success(request, _("Draft deleted."))
    return redirect("mailbox:home")


@require_GET
def suggest(request: HttpRequest) -> HttpResponse:
    """Options for the address fields' <datalist>, for the last address being typed."""
    typed = next((request.GET[f] for f in ("to", "cc", "bcc", "q") if f in request.GET), "")
    last = typed.replace(";", ",").rsplit(",", 1)[-1][:200]
    return render(request, "compose/_contacts.html", {"options": contacts.suggestions(request.user, last)})
