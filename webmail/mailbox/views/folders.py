"""Managing folders: create, rename, delete (special folders and the inbox stay as they are)."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from webmail.accounts.mail import open_mailbox
from webmail.mailbox import folders as folder_admin
from webmail.mailbox.folders import present


def _page(request: HttpRequest, mailbox, error: str = "", status: int = 200) -> HttpResponse:
    context = {
        "folders": present(mailbox.folders()),
        "current": "",
        "title": _("Folders"),
        "error": error,
        "values": request.POST,
    }
    template = "mailbox/_folder_admin.html" if request.htmx else "mailbox/folders.html"
    return render(request, template, context, status=status)


@require_GET
def manage(request: HttpRequest) -> HttpResponse:
    with open_mailbox(request.user.mail_account) as mailbox:
        return _page(request, mailbox)


def _change(request: HttpRequest, change) -> HttpResponse:
    """Run one folder change; on refusal show the page again with the reason and a 4xx."""
    with open_mailbox(request.user.mail_account) as mailbox:
        try:
            done = change(mailbox)
        except folder_admin.FolderRefused as exc:
            return _page(request, mailbox, exc.message, exc.status)
        if request.htmx:
            messages.success(request, done)
            return _page(request, mailbox)
    messages.success(request, done)
    return redirect("mailbox:folders")


@require_POST
def create(request: HttpRequest) -> HttpResponse:
    def change(mailbox):
        name = folder_admin.create(mailbox, request.POST.get("name", ""), request.POST.get("parent", ""))
        return _("Folder “%(name)s” created.") % {"name": name}

    return _change(request, change)


@require_POST
def rename(request: HttpRequest) -> HttpResponse:
    def change(mailbox):
        name = folder_admin.rename(mailbox, request.POST.get("folder", ""), request.POST.get("name", ""))
        return _("Folder renamed to “%(name)s”.") % {"name": name}

    return _change(request, change)


@require_POST
def delete(request: HttpRequest) -> HttpResponse:
    def change(mailbox):
        name = request.POST.get("folder", "")
        folder_admin.delete(mailbox, name)
        return _("Folder “%(name)s” deleted.") % {"name": name}

    return _change(request, change)
