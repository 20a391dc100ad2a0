from django.contrib.auth import login, logout
from django.contrib.auth.decorators import login_not_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_protect
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_POST

from webmail.accounts.forms import SignInForm
from webmail.core.redirects import safe_next


@login_not_required
@sensitive_post_parameters("password")
@csrf_protect
@never_cache
def sign_in(request: HttpRequest) -> HttpResponse:
    if request.user.is_authenticated:
        return redirect("mailbox:home")
    form = SignInForm(request, request.POST or None)
    if request.method == "POST" and form.is_valid():
        login(request, form.user)
        return redirect(safe_next(request, "mailbox:home"))
    status = 400 if form.errors and "__all__" not in form.errors else 200
    if form.has_error("__all__", "throttled"):
        status = 429
    elif form.has_error("__all__", "unreachable"):
        status = 503
    elif form.has_error("__all__", "invalid_login"):
        status = 401
    return render(request, "accounts/sign_in.html", {"form": form, "next": request.GET.get("next", "")},
                  status=status)


@require_POST
def sign_out(request: HttpRequest) -> HttpResponse:
    logout(request)
    return redirect("accounts:login")
