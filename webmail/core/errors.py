"""Turn mail-server failures into a clear page with a 503, never a server error."""

import logging

from django.contrib.auth import logout
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from webmail.core.crypto import CredentialsUnreadable
from webmail.imap.gateway import AuthenticationFailed, FolderNotFound, MailServerError

log = logging.getLogger(__name__)


class MailServerErrorMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_exception(self, request, exception):
        if isinstance(exception, AuthenticationFailed | CredentialsUnreadable):
            # The password changed on the server, or the stored one can no longer be read.
            logout(request)
            return redirect("accounts:login")
        if isinstance(exception, FolderNotFound):
            return render(request, "error.html", {"message": _("This folder does not exist.")}, status=404)
        if isinstance(exception, MailServerError):
            log.warning("mail server error: %s", exception.__class__.__name__)
            message = _("The mail server is not answering right now. Please try again in a moment.")
            return render(request, "error.html", {"message": message}, status=503)
        return None
