from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST
from django_htmx.http import HttpResponseClientRefresh

from webmail.core.redirects import safe_next
from webmail.undo import service


@require_POST
def undo(request: HttpRequest, pk: int) -> HttpResponse:
    """Annuler on "2 messages archivés": everything back where it was, then the same page again."""
    try:
        undone = service.undo(request.user, pk)
    except service.NothingToUndo:
        return render(request, "error.html", {"message": service.refused_message()}, status=409)
    messages.success(request, undone.sentence)
    return HttpResponseClientRefresh() if request.htmx else redirect(safe_next(request, "mailbox:home"))
