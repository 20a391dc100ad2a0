"""The message list (a folder or search results) and the actions on messages."""

from __future__ import annotations

from urllib.parse import urlencode, urlsplit

from django.contrib import messages
from django.http import HttpRequest, HttpResponse, QueryDict
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_POST
from django.views.decorators.vary import vary_on_headers
from django_htmx.http import reswap, retarget, trigger_client_event

from webmail.accounts.mail import cache_key, open_mailbox
from webmail.core.redirects import safe_next
from webmail.imap.gateway import MailServerError
from webmail.mailbox import actions, conversations, prefetch, reading
from webmail.mailbox.folders import label_for, present
from webmail.mailbox.forms import SearchForm, is_search
from webmail.mailbox.listing import PageNotFound, folder_listing, search_listing
from webmail.mailbox.search_query import describe
from webmail.mailbox.views.common import BadRequest, folder_param, handles_bad_input, page_param, refuse
from webmail.mailbox.views.reading import image_salt, image_url_for
from webmail.preferences.models import Preferences
from webmail.undo import service as undo
from webmail.undo.toasts import note_action

LIST_ID = "message-list"  # the list's element id, sent by htmx as HX-Target


@require_GET
def home(request: HttpRequest) -> HttpResponse:
    return redirect("mailbox:folder")


def _list_context(request: HttpRequest, query: QueryDict) -> dict:
    """Everything the list templates need for the list described by `query` (GET parameters)."""
    name = folder_param(query.get("folder"))
    number = page_param(query.get("page"))
    form = SearchForm(query) if is_search(query) else None
    if form is not None and not form.is_valid():
        raise BadRequest(" ".join(str(e) for errors in form.errors.values() for e in errors))
    criteria = form.criteria(bool(query.get("folder"))) if form is not None else None
    with open_mailbox(request.user.mail_account) as mailbox:
        try:
            if criteria is not None:
                folders = present(mailbox.folders())
                listing = search_listing(mailbox, criteria, name, number, {f.name: f.label for f in folders})
            else:
                listing, found = folder_listing(mailbox, name, number)
                folders = present(found)
                reading.note_listed(cache_key(request.user.mail_account), name, listing.uidvalidity,
                                    [row.message for row in listing.rows], found)
        except PageNotFound:
            raise BadRequest(_("This page does not exist."), status=404) from None
    base = query.copy()
    base.pop("page", None)
    return {
        "conversations": _conversations(request, listing, folders),
        "folders": folders,
        "current": name,
        "title": _("Search results") if form is not None else label_for(name, folders),
        "listing": listing,
        "query": query.get("q", ""),
        "search_summary": describe(criteria.terms, listing.searched_in and label_for(listing.searched_in, folders))
        if criteria is not None else "",
        "search_form": form,
        "base_query": base.urlencode(),
        "list_url": f"{reverse('mailbox:folder')}?{query.urlencode()}",
        # Moving to the folder on screen does nothing; search results may come from any folder.
        "move_targets": [f for f in folders if f.selectable and (form is not None or f.name != name)],
    }


def _conversations(request: HttpRequest, listing, folders) -> list | None:
    """The page's rows grouped by thread, when the reader wants it. Search results stay one row per
    hit, and Drafts one row per draft (each opens in the editor)."""
    if listing.searching or not Preferences.of(request.user).conversations:
        return None
    if any(f.name == listing.folder and f.kind == "\\Drafts" for f in folders):
        return None
    return conversations.group([row.message for row in listing.rows])


@require_GET
@vary_on_headers("HX-Request", "HX-Target")
@handles_bad_input
def folder(request: HttpRequest) -> HttpResponse:
    context = _list_context(request, request.GET)
    # The list alone for what swaps the list (polling, folder and page links); the whole page for
    # everything else, e.g. a history restore (back button) or "Back to Inbox" from a message.
    fragment = request.htmx and request.htmx.target == LIST_ID
    response = render(request, "mailbox/_message_list.html" if fragment else "mailbox/folder.html", context)
    listing = context["listing"]
    if not listing.searching:  # the newest messages of the page, fetched ahead of a click
        salt = image_salt(request)
        prefetch.after(response, request.user.mail_account, listing.folder,
                       prefetch.top_of([row.message for row in listing.rows]), salt,
                       lambda uid: image_url_for(salt, listing.folder, uid))
    return response


@require_GET
@never_cache
def news(request: HttpRequest) -> HttpResponse:
    """The folder list with its unread counts, swapped in out of band by pages without the list's
    own poll (newmail.js updates the tab title and, if asked, notifies). One LIST-STATUS.
    A server that fails gets 204: the page keeps the counts it has, without an alert every 30 s."""
    try:
        with open_mailbox(request.user.mail_account) as mailbox:
            folders = present(mailbox.folders())
    except MailServerError:
        return HttpResponse(status=204)
    return render(request, "mailbox/_news.html", {"folders": folders})


@require_GET
@handles_bad_input
def search(request: HttpRequest) -> HttpResponse:
    """The advanced search form; it GETs the message list like the top bar's box."""
    current = folder_param(request.GET.get("folder"))
    form = SearchForm(initial={"q": request.GET.get("q", ""), "scope": "folder"})
    with open_mailbox(request.user.mail_account) as mailbox:
        folders = present(mailbox.folders())
    return render(
        request,
        "mailbox/search.html",
        {"folders": folders, "current": current, "form": form, "title": _("Advanced search")},
    )


def _next_url(request: HttpRequest, selection) -> str:
    folder_name = selection[0][0] if selection else "INBOX"
    return safe_next(request, f"{reverse('mailbox:folder')}?{urlencode({'folder': folder_name})}")


@require_POST
@handles_bad_input
def act(request: HttpRequest) -> HttpResponse:
    """Star, read, move, archive or delete the selected messages, then show the list again."""
    try:
        wanted = actions.parse_request(request.POST)
        with open_mailbox(request.user.mail_account) as mailbox:
            result = actions.apply(mailbox, wanted.action, wanted.selection, wanted.target,
                                   confirmed=wanted.confirmed)
    except actions.ActionRefused as exc:
        return refuse(request, exc.message, exc.status)
    except actions.NeedsConfirmation:
        return confirm_permanent_delete(request, wanted)
    done = result.sentence
    # An undoable action is told by its toast ("2 messages archivés. · Annuler"), said once.
    toast = undo.remember(request.user, result) is not None
    if toast:
        note_action(request)
    next_url = _next_url(request, wanted.selection)
    if not request.htmx:
        if not toast:
            messages.success(request, done)
        return redirect(next_url)
    if request.POST.get("view") == "message":
        if wanted.action in ("star", "unstar"):
            folder_name, uid = wanted.selection[0]
            context = {"folder": folder_name, "uid": uid, "flagged": wanted.action == "star", "done": done,
                       "undo_toast": toast}
            return trigger_client_event(render(request, "mailbox/_star_form.html", context), "mail-undo")
        if not toast:
            messages.success(request, done)
        response = HttpResponse(status=204)
        response["HX-Redirect"] = next_url
        return response
    context = _list_context(request, QueryDict(urlsplit(next_url).query))
    context["done"], context["undo_toast"] = done, toast
    # The toast region fetches "2 messages archivés · Annuler" on this event.
    return trigger_client_event(render(request, "mailbox/_message_list.html", context), "mail-undo")


def confirm_permanent_delete(request: HttpRequest, wanted: actions.ActionRequest) -> HttpResponse:
    """Deleting from the Trash is the one action without undo: ask first (a plain form, which posts
    the same selection again with confirmed=1)."""
    context = {"wanted": wanted, "count": len(wanted.selection), "next": _next_url(request, wanted.selection),
               "title": _("Delete for good?")}
    if request.htmx:
        return reswap(retarget(render(request, "mailbox/_confirm_delete.html", context), "#main"), "innerHTML")
    return render(request, "mailbox/confirm_delete.html", context)
