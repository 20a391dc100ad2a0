"""Small pieces every area's views share: reading a message reference, answering bad input."""

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render


def message_reference(params) -> tuple[str, int] | None:
    """(folder, uid) from a query or form's "folder" and "uid", or None when either is not valid."""
    folder, uid = params.get("folder", ""), params.get("uid", "")
    if not folder or len(folder) > 1000 or not uid.isdigit() or not 0 < int(uid) < 2**32:
        return None
    return folder, int(uid)


def error_page(request: HttpRequest, message: str, status: int = 400) -> HttpResponse:
    """Bad input or a vanished message: a clear sentence on the error page, never a 500."""
    return render(request, "error.html", {"message": message}, status=status)
