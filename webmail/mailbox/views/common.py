"""Request parsing shared by the mailbox views: every bad input becomes a clear 4xx, never a 500."""

from __future__ import annotations

import functools

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _

from webmail.core.shallow import on_shallow_stack

MAX_FOLDER_NAME = 1000
MAX_PAGE = 100_000


class BadRequest(Exception):
    def __init__(self, message: str, status: int = 400):
        super().__init__(message)
        self.message = message
        self.status = status


def refuse(request: HttpRequest, message: str, status: int = 400) -> HttpResponse:
    """The error page, or for HTMX requests just the alert (mailbox.js shows it)."""
    template = "mailbox/_error.html" if request.htmx else "error.html"
    return render(request, template, {"message": message}, status=status)


def render_page(request: HttpRequest, template: str, context: dict) -> HttpResponse:
    """A reading page, whose template extends `base`: all of base.html, or for a boosted link into
    #main (a row of the message list) only what htmx takes from the answer (`_main_only.html`).

    That one renders on a shallow stack (`on_shallow_stack`): once the message is held, its
    template is most of what a click costs, and it queries nothing (base.html does: the outbox
    toasts)."""
    htmx = request.htmx
    if htmx and htmx.boosted and htmx.target == "main" and not htmx.history_restore_request:
        return on_shallow_stack(render, request, template, {**context, "base": "_main_only.html"})
    return render(request, template, {**context, "base": "base.html"})


def folder_param(value: str | None) -> str:
    name = value or "INBOX"
    if len(name) > MAX_FOLDER_NAME or any(ord(c) < 32 or ord(c) == 127 for c in name):
        raise BadRequest(_("This folder name is not valid."))
    return "INBOX" if name.upper() == "INBOX" else name


def page_param(value: str | None) -> int:
    if value in (None, ""):
        return 1
    if not value.isdigit() or not 1 <= int(value) <= MAX_PAGE:
        raise BadRequest(_("This page number is not valid."))
    return int(value)


def uid_param(uid: int) -> int:
    if not 0 < uid < 2**32:
        raise BadRequest(_("This message reference is not valid."))
    return uid


def handles_bad_input(view):
    """Turn BadRequest raised while reading the request into its 4xx page."""

    @functools.wraps(view)
    def wrapped(request, *args, **kwargs):
        try:
            return view(request, *args, **kwargs)
        except BadRequest as exc:
            return refuse(request, exc.message, exc.status)

    return wrapped
