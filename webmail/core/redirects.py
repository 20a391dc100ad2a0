"""Where to go after a form: the `next` it asks for, when that stays on this site.

Every view that redirects to a `next` taken from the request goes through `safe_next`, so that a
link like `/envoi/3/fermer/?next=https://evil.example` cannot send a signed-in user off-site
(an open redirect, the first step of many phishing tricks).
"""

from django.http import HttpRequest
from django.shortcuts import resolve_url
from django.utils.http import url_has_allowed_host_and_scheme


def safe_next(request: HttpRequest, default: str, *args, **kwargs) -> str:
    """The form's `next` (or the query's) if it is a URL of this site, else `default` (a URL name
    with its arguments, or a path)."""
    target = request.POST.get("next") or request.GET.get("next") or ""
    if target and url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()},
                                                  require_https=request.is_secure()):
        return target
    return resolve_url(default, *args, **kwargs)
