from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET
from django.views.decorators.vary import vary_on_headers

from webmail.accounts.mail import open_mailbox
from webmail.mailbox.folders import label_for, present


def _page_number(request: HttpRequest) -> int:
    try:
        return max(1, min(int(request.GET.get("page", 1)), 100_000))
    except ValueError:
        return 1


@require_GET
def home(request: HttpRequest) -> HttpResponse:
    return redirect("mailbox:folder")


@require_GET
@vary_on_headers("HX-Request")
def folder(request: HttpRequest) -> HttpResponse:
    name = request.GET.get("folder") or "INBOX"
    number = _page_number(request)
    with open_mailbox(request.user.mail_account) as mailbox:
        folders = present(mailbox.folders())
        page = mailbox.page(name, number)
    context = {"folders": folders, "current": name, "title": label_for(name, folders), "page": page}
    template = "mailbox/_message_list.html" if request.htmx else "mailbox/folder.html"
    return render(request, template, context)
