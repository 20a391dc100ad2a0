"""The reading pane: the message page, its sandboxed body, inline images and attachments."""

from __future__ import annotations

from urllib.parse import urlencode

from django.core import signing
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import content_disposition_header
from django.utils.translation import gettext as _
from django.views.decorators.cache import cache_control, never_cache
from django.views.decorators.clickjacking import xframe_options_sameorigin
from django.views.decorators.http import require_GET, require_POST

from webmail.accounts.mail import cache_key, open_mailbox
from webmail.core.middleware import CHANGED_AT
from webmail.mailbox import conversations, message_cache, prefetch, preview, reading
from webmail.mailbox.folders import label_for, present
from webmail.mailbox.models import TrustedSender
from webmail.mailbox.parse import find_by_content_id, get_part, part_charset
from webmail.mailbox.views.common import (
    BadRequest,
    folder_param,
    handles_bad_input,
    refuse,
    render_page,
    uid_param,
)

IMAGE_SALT = "mailbox.inline-image"
IMAGE_MAX_AGE = 12 * 3600


def _gone(request: HttpRequest) -> HttpResponse:
    return refuse(request, _("This message does not exist any more (it may have been moved or deleted)."), 404)


def _is_trusted(request: HttpRequest):
    return lambda email: TrustedSender.is_trusted(request.user, email)


@require_GET
@never_cache
@handles_bad_input
def message(request: HttpRequest, uid: int) -> HttpResponse:
    folder = folder_param(request.GET.get("folder"))
    uid = uid_param(uid)
    remote = request.GET.get("remote") == "1"
    account = request.user.mail_account
    key = cache_key(account)
    with open_mailbox(account) as mailbox:
        entry, raw, found = reading.read_for_page(mailbox, key, folder, uid, request.session.get(CHANGED_AT, 0.0))
        around = prefetch.around(mailbox.shown_rows(folder), uid)
    folders = present(found)
    if raw is None:
        return _gone(request)
    salt = image_salt(request)
    opened = reading.open_message(entry, raw, remote, _is_trusted(request), salt, image_url_for(salt, folder, uid))
    query = {"folder": folder}
    body_query = {**query, "remote": "1"} if remote else query
    context = {
        "folders": folders,
        "current": folder,
        "folder_label": label_for(folder, folders),
        "title": opened.subject or _("(no subject)"),
        "m": opened,
        "uid": uid,
        "folder": folder,
        "selection": f"{uid}:{folder}",  # what the toolbar's actions act on
        "flagged": raw.flagged,
        "body_url": f"{reverse('mailbox:body', args=[uid])}?{urlencode(body_query)}",
        "remote_url": f"{reverse('mailbox:message', args=[uid])}?{urlencode({**query, 'remote': '1'})}",
        "list_url": f"{reverse('mailbox:folder')}?{urlencode(query)}",
        "move_targets": [f for f in folders if f.selectable and f.name != folder],
        "reply": reply_links(folder, uid),
        "is_draft": any(f.name == folder and f.kind == "\\Drafts" for f in folders),
        "is_sent": any(f.name == folder and f.kind == "\\Sent" for f in folders),  # offers "Envoyer un correctif"
        # An answer (to the user's own message in Envoyés, often): its conversation is one click away.
        "conversation_url": f"{reverse('mailbox:conversation', args=[uid])}?{urlencode(query)}"
        if opened.parsed.in_reply_to or opened.parsed.references else "",
    }
    response = render_page(request, "mailbox/message.html", context)
    prefetch.after(response, account, folder, around, salt, lambda other: image_url_for(salt, folder, other))
    return response


def _fetch(request: HttpRequest, folder: str, uid: int):
    """The message as stored, without marking it read (None when it is gone)."""
    with open_mailbox(request.user.mail_account) as mailbox:
        return mailbox.fetch_message(folder, uid)


def image_salt(request: HttpRequest) -> str:
    """Image tokens are a capability inside one session only: signed for it, they are worth
    nothing to anyone else, another session of the same user included."""
    return f"{IMAGE_SALT}:{request.user.pk}:{request.session.session_key}"


def image_url_for(salt: str, folder: str, uid: int):
    """The URLs of a message's cid: images for the session whose `image_salt` is `salt`."""
    def cid_url(content_id: str) -> str:
        token = signing.dumps([folder, uid, content_id], salt=salt, compress=True)
        return reverse("mailbox:inline_image", args=[token])

    return cid_url


def _body_policy(request: HttpRequest, allow_remote: bool) -> str:
    # The frame may show only images from this message (served by inline_image) and data: URLs,
    # plus https images once the reader allowed remote content. No script, no fonts, no forms.
    origin = f"{request.scheme}://{request.get_host()}"
    images = f"{origin}{reverse('mailbox:inline_image', args=['x'])[:-2]} data:" + (" https:" if allow_remote else "")
    return "; ".join(
        [
            "default-src 'none'",
            f"img-src {images}",
            "style-src 'unsafe-inline'",
            "base-uri 'none'",
            "form-action 'none'",
            "frame-ancestors 'self'",
            # allow-same-origin without allow-scripts: nothing in the frame can run, and its image
            # requests carry the session cookie (from an opaque origin they are cross-site: none).
            "sandbox allow-same-origin allow-popups allow-popups-to-escape-sandbox",
        ]
    )


@require_GET
@never_cache
@xframe_options_sameorigin
@handles_bad_input
def body(request: HttpRequest, uid: int) -> HttpResponse:
    """The message body as a document of its own, for the sandboxed iframe of the reading pane."""
    folder = folder_param(request.GET.get("folder"))
    uid = uid_param(uid)
    account = request.user.mail_account
    key = cache_key(account)
    # Right after the message page, from what it made (no IMAP); else fetched, parsed and kept.
    entry = message_cache.cache.for_frame(key, folder, uid)
    if entry is None:
        with open_mailbox(account) as mailbox:
            entry, _raw, _folders = reading.read(mailbox, key, folder, uid, mark_seen=False)
        if entry is None:
            return _gone(request)
    salt = image_salt(request)
    html, allow = reading.render_body(
        entry, request.GET.get("remote") == "1", _is_trusted(request), salt, image_url_for(salt, folder, uid)
    )
    response = render(request, "mailbox/body.html", {"body": html})
    response["Content-Security-Policy"] = _body_policy(request, allow)
    response["Referrer-Policy"] = "no-referrer"
    return response


@require_GET
@cache_control(private=True, max_age=3600)
def inline_image(request: HttpRequest, token: str) -> HttpResponse:
    """A cid: image of a message, through a URL that the body view hands out to this session."""
    try:
        folder, uid, content_id = signing.loads(token, salt=image_salt(request), max_age=IMAGE_MAX_AGE)
    except (signing.BadSignature, ValueError, TypeError):
        return HttpResponse(status=404)
    with open_mailbox(request.user.mail_account) as mailbox:
        raw = mailbox.fetch_message(folder, uid)
    found = find_by_content_id(raw.raw, content_id) if raw else None
    if found is None or not found[1].startswith("image/") or reading.is_active_type(found[1]):
        return HttpResponse(status=404)
    data, content_type = found
    response = HttpResponse(data, content_type=content_type)
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    return response


def _part(request: HttpRequest, folder: str, uid: int, part: str):
    """(data, content type, file name, charset) of an attachment; BadRequest(404) when it is gone."""
    raw = _fetch(request, folder, uid)
    if raw is None:
        raise BadRequest(_("This message does not exist any more (it may have been moved or deleted)."), 404)
    found = get_part(raw.raw, part)
    if found is None:
        raise BadRequest(_("This attachment does not exist."), 404)
    return (*found, part_charset(raw.raw, part))


# Whatever an attachment holds, it never runs as the webmail: no script, no plugin, an opaque
# origin (sandbox), and only the reading pane may frame it (the PDF preview).
ATTACHMENT_POLICY = "default-src 'none'; frame-ancestors 'self'; sandbox"


@require_GET
@never_cache
@xframe_options_sameorigin
@handles_bad_input
def attachment(request: HttpRequest, uid: int, part: str) -> HttpResponse:
    """The attachment's bytes: downloaded, or with ?inline=1 shown in the page (images, PDF, text)."""
    folder = folder_param(request.GET.get("folder"))
    data, content_type, filename, charset = _part(request, folder, uid_param(uid), part)
    kind = preview.kind_of(content_type, filename) if request.GET.get("inline") == "1" else None
    if kind == "pdf" and preview.pdf_has_active_content(data):
        kind = None
    if kind == "text":
        data = preview.text_of(data, charset).text.encode()
    if kind is not None:
        content_type = preview.served_type(kind, content_type, filename)
    elif reading.is_active_type(content_type) or not content_type.isascii() or "/" not in content_type:
        content_type = "application/octet-stream"  # never let the browser render what could run script
    response = HttpResponse(data, content_type=content_type)
    response["Content-Disposition"] = content_disposition_header(kind is None, filename)
    response["Content-Security-Policy"] = ATTACHMENT_POLICY
    response["X-Content-Type-Options"] = "nosniff"
    response["Referrer-Policy"] = "no-referrer"
    return response


@require_GET
@never_cache
@handles_bad_input
def attachment_preview(request: HttpRequest, uid: int, part: str) -> HttpResponse:
    """A page showing one attachment (image, PDF in a frame, text), with Download and back."""
    folder = folder_param(request.GET.get("folder"))
    uid = uid_param(uid)
    data, content_type, filename, charset = _part(request, folder, uid, part)
    kind = preview.kind_of(content_type, filename)
    scripted = kind == "pdf" and preview.pdf_has_active_content(data)
    query = urlencode({"folder": folder})
    url = f"{reverse('mailbox:attachment', args=[uid, part])}?{query}"
    context = {
        "title": filename, "filename": filename, "kind": None if scripted else kind, "size": len(data), "content_type": content_type,
        "current": folder, "download_url": url, "scripted": scripted, "inline_url": f"{url}&inline=1",
        "message_url": f"{reverse('mailbox:message', args=[uid])}?{query}",
        "text": preview.text_of(data, charset) if kind == "text" else None,
    }
    return render(request, "mailbox/preview.html", context)


@require_POST
@handles_bad_input
def trust_sender(request: HttpRequest, uid: int) -> HttpResponse:
    """"Always show images from this sender": remembered for the user, taken from the message itself."""
    folder = folder_param(request.POST.get("folder"))
    uid = uid_param(uid)
    raw = _fetch(request, folder, uid)
    if raw is None:
        return _gone(request)
    sender = reading.sender_of(reading.parse_message(raw.raw))
    if not sender:
        return refuse(request, _("This message has no sender address to trust."))
    TrustedSender.trust(request.user, sender)
    return redirect(f"{reverse('mailbox:message', args=[uid])}?{urlencode({'folder': folder})}")


def reply_links(folder: str, uid: int) -> dict[str, str]:
    """Links to the compose app: answer, forward, or (in Drafts) continue writing."""
    compose = reverse("compose:new")
    return {
        kind: f"{compose}?{urlencode({kind: uid, 'folder': folder})}"
        for kind in ("reply", "reply_all", "forward", "draft")
    }


@require_GET
@never_cache
@handles_bad_input
def conversation(request: HttpRequest, uid: int) -> HttpResponse:
    """A conversation opened from the list: its messages in order, the user's replies from Envoyés
    among them, the older ones folded. Opening it marks it read, as opening a message does."""
    folder = folder_param(request.GET.get("folder"))
    uid = uid_param(uid)
    also = _uids_param(request.GET.get("also", ""))
    with open_mailbox(request.user.mail_account) as mailbox:
        folders = present(mailbox.folders())
        sent = next((f.name for f in folders if f.kind == "\\Sent"), None)
        gathered = conversations.gather(mailbox, folder, uid, sent, also)
        unread = [m.uid for name, m in gathered.messages if name == folder and not m.seen] if gathered else []
        if unread:
            mailbox.set_flag(folder, unread, "\\Seen", True)
    if gathered is None:
        return _gone(request)
    latest = gathered.messages[-1][1]
    query = {"folder": folder}
    items = [
        {
            "m": m,
            "folder": name,
            "in_sent": name == sent and name != folder,
            "open": m is latest or (name == folder and m.uid in unread),
            "body_url": f"{reverse('mailbox:body', args=[m.uid])}?{urlencode({'folder': name})}",
            "message_url": f"{reverse('mailbox:message', args=[m.uid])}?{urlencode({'folder': name})}",
            "reply": reply_links(name, m.uid),
        }
        for name, m in gathered.messages
    ]
    context = {
        "folders": folders,
        "current": folder,
        "folder": folder,
        "folder_label": label_for(folder, folders),
        "title": conversations.strip_prefixes(gathered.messages[0][1].subject) or _("(no subject)"),
        "items": items,
        "selection": f"{','.join(map(str, gathered.uids_in(folder)))}:{folder}",
        "list_url": f"{reverse('mailbox:folder')}?{urlencode(query)}",
        "move_targets": [f for f in folders if f.selectable and f.name != folder],
    }
    return render_page(request, "mailbox/conversation.html", context)


def _uids_param(value: str) -> list[int]:
    """The "also=12,9" of a conversation's link: the messages the list grouped with it."""
    try:
        uids = [int(part) for part in value.split(",") if part]
    except ValueError:
        raise BadRequest(_("This message reference is not valid.")) from None
    if len(uids) > conversations.MAX_GATHERED or not all(0 < uid < 2**32 for uid in uids):
        raise BadRequest(_("This message reference is not valid."))
    return uids
