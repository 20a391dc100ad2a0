"""Project middleware: a strict Content-Security-Policy for every page (Django 5.2 has none built
in), and sign-in enforcement that also suits HTMX requests.

Pages load only our own scripts, styles and images; mail bodies are shown in sandboxed iframes
whose documents get an even stricter policy of their own (see the mailbox app).
"""

import time

from django.conf import settings
from django.contrib.auth import middleware as auth_middleware
from django_htmx.http import HttpResponseClientRedirect

POLICY = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data:",
        "font-src 'self'",
        "connect-src 'self'",
        "frame-src 'self'",
        "object-src 'none'",
        "base-uri 'none'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    ]
)


class ContentSecurityPolicyMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        response.headers.setdefault("Content-Security-Policy", POLICY)
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        if settings.DEBUG:
            response.headers.setdefault("Cache-Control", "no-store")
        return response


# When the signed-in user last changed something (time.time()), kept in the session.
CHANGED_AT = "changed_at"


class ChangeStampMiddleware:
    """Stamp the session on every POST by a signed-in user (a star, a move, a sent message...):
    what this process remembers of a list page fetched before it is then out of date for them
    (`reading.read_for_page`). Stamped once the change is made, as the response leaves."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if request.method == "POST" and request.user.is_authenticated:
            request.session[CHANGED_AT] = time.time()
        return response


class LoginRequiredMiddleware(auth_middleware.LoginRequiredMiddleware):
    """Django's, plus: an HTMX request whose session has ended (the list's poll, a folder link)
    sends the whole window to the sign-in page, instead of swapping that page into a part of
    the current one."""

    def handle_no_permission(self, request, view_func):
        response = super().handle_no_permission(request, view_func)
        if getattr(request, "htmx", False):
            return HttpResponseClientRedirect(response.url)
        return response
