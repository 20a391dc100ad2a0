from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from webmail.compose.models import Composition
from webmail.compose.writing import editor_i18n
from webmail.core.middleware import POLICY
from webmail.core.redirects import safe_next
from webmail.identities import service
from webmail.identities.forms import IdentityForm, NameForm, SignatureForm, TemplateForm
from webmail.identities.models import Identity, Signature, Template


def _with_editor(response: HttpResponse) -> HttpResponse:
    """Pages with the rich editor show sanitised style attributes (colours); scripts stay strict."""
    response.headers["Content-Security-Policy"] = POLICY.replace(
        "style-src 'self'", "style-src 'self'; style-src-attr 'unsafe-inline'")
    return response


def overview(request: HttpRequest) -> HttpResponse:
    user = request.user
    return _with_editor(render(request, "identities/overview.html", {
        "title": _("Identities, signatures and templates"), "identities": service.identities(user),
        "signatures": Signature.objects.filter(user=user), "templates": service.templates(user),
        "writing": service.writing_preferences(user),
    }))


@require_http_methods(["GET", "POST"])
def welcome(request: HttpRequest) -> HttpResponse:
    """Asked once, at the first sign-in: the name every message will carry."""
    email = request.user.mail_account.email
    form = NameForm(request.POST or None, initial={"name": service.suggested_name(email)})
    if request.method == "POST" and form.is_valid():
        service.create_first(request.user, form.cleaned_data["name"])
        return redirect(safe_next(request, "mailbox:home"))
    return render(request, "identities/welcome.html", {"form": form, "email": email, "title": _("Welcome")},
                  status=400 if form.errors else 200)


@require_http_methods(["GET", "POST"])
def identity_edit(request: HttpRequest, pk: int | None = None) -> HttpResponse:
    identity = get_object_or_404(Identity, pk=pk, user=request.user) if pk else Identity(user=request.user)
    form = IdentityForm(request.POST or None, instance=identity, user=request.user)
    if request.method == "POST" and form.is_valid():
        form.save()
        messages.success(request, _("Identity saved."))
        return redirect("identities:list")
    return render(request, "identities/identity_form.html", {"form": form, "identity": identity,
                  "title": _("Identity")}, status=400 if form.errors else 200)


@require_POST
def identity_delete(request: HttpRequest, pk: int) -> HttpResponse:
    identity = get_object_or_404(Identity, pk=pk, user=request.user)
    if identity.is_default:
        messages.error(request, _("The default identity cannot be deleted: make another one the default first."))
    else:
        identity.delete()
        messages.success(request, _("Identity deleted."))
    return redirect("identities:list")


@require_POST
def identity_default(request: HttpRequest, pk: int) -> HttpResponse:
    service.set_default(request.user, get_object_or_404(Identity, pk=pk, user=request.user))
    return redirect("identities:list")


@require_http_methods(["GET", "POST"])
def signature_edit(request: HttpRequest, pk: int | None = None) -> HttpResponse:
    signature = get_object_or_404(Signature, pk=pk, user=request.user) if pk else Signature(user=request.user)
    form = SignatureForm(request.POST or None, instance=signature, initial={"markup": signature.html})
    if request.method == "POST" and form.is_valid():
        service.save_signature(form.save(commit=False), text=form.cleaned_data["text"],
                               markup=form.cleaned_data["markup"])
        messages.success(request, _("Signature saved."))
        return redirect("identities:list")
    return _rich_form(request, form, signature, _("Signature"), "identities:signature_delete")


@require_POST
def signature_delete(request: HttpRequest, pk: int) -> HttpResponse:
    get_object_or_404(Signature, pk=pk, user=request.user).delete()
    messages.success(request, _("Signature deleted."))
    return redirect("identities:list")


@require_http_methods(["GET", "POST"])
def template_edit(request: HttpRequest, pk: int) -> HttpResponse:
    template = get_object_or_404(Template, pk=pk, user=request.user)
    form = TemplateForm(request.POST or None, instance=template, initial={"markup": template.html})
    if request.method == "POST" and form.is_valid():
        service.save_template(form.save(commit=False), subject=form.cleaned_data["subject"],
                              text=form.cleaned_data["text"], markup=form.cleaned_data["markup"])
        messages.success(request, _("Template saved."))
        return redirect("identities:list")
    return _rich_form(request, form, template, _("Template"), "identities:template_delete")


def _rich_form(request: HttpRequest, form, edited, title: str, delete_url: str) -> HttpResponse:
    """The page editing a signature or a template in the rich editor (400 with the form's errors)."""
    return _with_editor(render(request, "identities/rich_form.html", {
        "form": form, "object": edited, "title": title, "editor_i18n": editor_i18n(),
        "delete_url": delete_url}, status=400 if form.errors else 200))


@require_POST
def template_delete(request: HttpRequest, pk: int) -> HttpResponse:
    get_object_or_404(Template, pk=pk, user=request.user).delete()
    messages.success(request, _("Template deleted."))
    return redirect("identities:list")


@require_POST
def template_from(request: HttpRequest, composition) -> HttpResponse:
    """"Enregistrer comme modèle": the message being written (its saved state) becomes a template."""
    composition = get_object_or_404(Composition, pk=composition, user=request.user)
    template = service.template_from(composition, with_attachments=bool(request.POST.get("attachments")))
    messages.success(request, _("Saved as a template: you can rename it here."))
    return redirect("identities:template_edit", pk=template.pk)
