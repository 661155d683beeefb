"""Portal pages of the accounts feature. Thin: each POST calls one service function inside
`transaction.atomic()` (see `_run`), and a typed error goes back onto the form with its code."""

from __future__ import annotations

from datetime import UTC, datetime

import pyotp
import segno
from django.contrib import messages
from django.contrib.auth import login as auth_login
from django.contrib.auth import logout as auth_logout
from django.contrib.auth import update_session_auth_hash
from django.contrib.auth.decorators import login_required
from django.db import transaction
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from choeur.accounts import botcheck, forms, policy, services, tokens
from choeur.accounts.models import User
from choeur.core import audit, clock
from choeur.core.errors import ChoeurError

PENDING_KEY = "accounts_pending_login"
PENDING_SECONDS = 10 * 60
REGISTERED_KEY = "accounts_registered_email"
FAILED = object()


def _run(form, service, *args, **kwargs):
    """Call one use case in its transaction. On a typed error, the transaction is rolled back
    unless the error is a counted failure (`keeps_changes`); then the error goes onto the form,
    or is raised again when there is no form."""
    error = None
    with transaction.atomic():
        try:
            return service(*args, **kwargs)
        except ChoeurError as exc:
            if not getattr(exc, "keeps_changes", False):
                transaction.set_rollback(True)
            error = exc  # raised below, once the block has committed what it must keep
    if form is None:
        raise error
    forms.add_error(form, error)
    return FAILED


def _safe_next(request, url: str | None) -> str:
    """A local path of this site, or the home page: never another host, whatever the
    spelling (`//host`, `/\\host`, `https://host`, control characters, spaces)."""
    if (
        url
        and isinstance(url, str)
        and url.startswith("/")
        and not url.startswith(("//", "/\\"))
        and not any(c.isspace() or ord(c) < 32 or ord(c) == 127 for c in url)
        and url_has_allowed_host_and_scheme(url, allowed_hosts=set(),
                                            require_https=request.is_secure())
    ):
        return url
    return reverse("home")


def _link_error(request, error, *, resend: str | None = None):
    return render(request, "accounts/link_error.html", {"error": error, "resend_url": resend},
                  status=error.http_status)


# --- Login ------------------------------------------------------------------------------------


def _start_pending(request, user, next_url: str, *, setup: bool) -> None:
    request.session.cycle_key()  # a new session id between the two steps too
    request.session[PENDING_KEY] = {
        "user": user.pk,
        "at": clock.now().timestamp(),
        "next": next_url,
        "setup": setup,
    }


def _pending(request):
    """(user, data) of a login waiting for its second step, or (None, None).

    A logged-in user whose session must pass a second factor it never passed (see
    `policy.needs_step_up`) gets such a pending step too: the code and set-up pages then
    work for them as after the password step."""
    data = request.session.get(PENDING_KEY)
    if isinstance(data, dict) and (
        clock.now().timestamp() - float(data.get("at", 0)) > PENDING_SECONDS
        or (request.user.is_authenticated and data.get("user") != request.user.pk)
    ):
        request.session.pop(PENDING_KEY, None)
        data = None
    if not isinstance(data, dict):
        if not policy.needs_step_up(request):
            return None, None
        user = request.user
        data = {
            "user": user.pk,
            "at": clock.now().timestamp(),
            "next": _safe_next(request, request.GET.get("next")),
            "setup": not policy.has_second_factor(user),
            "step_up": True,
        }
        request.session[PENDING_KEY] = data
        return user, data
    user = User.objects.filter(pk=data.get("user"), is_active=True).first()
    return (user, data) if user is not None else (None, None)


def _finish_login(request, user, data):
    request.session.pop(PENDING_KEY, None)
    auth_login(request, user)
    request.session[policy.SESSION_KEY] = True  # this login passed a second factor
    return redirect(_safe_next(request, data.get("next")))


def _pending_expired(request):
    messages.error(request, services.LoginStepExpired().message())
    return redirect("login")


@sensitive_post_parameters("password")
@never_cache
@require_http_methods(["GET", "POST"])
def login_view(request):
    next_url = _safe_next(request, request.POST.get("next") or request.GET.get("next"))
    if request.user.is_authenticated:
        return redirect(next_url)
    form = forms.LoginForm(request.POST or None, actor=request.user)
    if request.method == "POST":
        # Failed attempts are counted and audited: that must be committed, not rolled back.
        with transaction.atomic():
            valid = form.is_valid()
        if valid:
            step = form.step
            if step.complete:
                auth_login(request, step.user)
                request.session[policy.SESSION_KEY] = False  # the password only
                return redirect(next_url)
            _start_pending(request, step.user, next_url, setup=step.needs_setup)
            return redirect("login-setup" if step.needs_setup else "login-code")
    return render(request, "registration/login.html", {
        "form": form,
        "next": request.POST.get("next") or request.GET.get("next", ""),
        "error": form.choeur_error,
    })


@require_POST
def logout_view(request):
    auth_logout(request)
    return redirect("home")


@sensitive_post_parameters("code")
@never_cache
@require_http_methods(["GET", "POST"])
def login_code(request):
    user, data = _pending(request)
    if user is None:
        return _pending_expired(request)
    if data.get("setup"):
        return redirect("login-setup")
    form = forms.CodeForm(request.POST if request.POST.get("action") == "verify" else None)
    if request.method == "POST":
        if request.POST.get("action") == "send":
            if _run(form, services.send_login_code, user, user) is not FAILED:
                messages.success(request, _("Un nouveau code a été envoyé à votre adresse de "
                                            "connexion ; il est valable 10 minutes."))
                return redirect("login-code")
        elif form.is_valid():
            done = _run(form, services.verify_login_code, user, user, form.cleaned_data["code"])
            if done is not FAILED:
                return _finish_login(request, user, data)
    return render(request, "accounts/login_code.html", {
        "form": form,
        "pending_user": user,
        "totp": bool(user.totp_enabled_at),
        "email_codes": bool(user.email_otp_enabled_at),
        "step_up": bool(data.get("step_up")),
    })


def _qr_svg(uri: str) -> str:
    svg = segno.make(uri, error="m").svg_inline(scale=4, border=2, dark="#000", light="#fff",
                                                 title=_("QR code à scanner"))
    return mark_safe(svg)  # noqa: S308  (generated by segno from our own URI, no user HTML)


def _totp_context(user) -> dict:
    if user.totp_enabled_at or not user.totp_secret:
        return {}
    uri = pyotp.TOTP(user.totp_secret).provisioning_uri(name=user.email,
                                                        issuer_name=services.TOTP_ISSUER)
    return {"totp_secret": user.totp_secret, "totp_uri": uri, "totp_qr": _qr_svg(uri)}


def _second_factor_actions(request, user, form):
    """The set-up actions shared by the login set-up page and Mon compte.
    Returns "enabled" when a factor was just turned on, "ok" after another action, or None."""
    action = request.POST.get("action")
    if action == "totp_start":
        return "ok" if _run(form, services.start_totp, user) is not FAILED else None
    if action == "totp_confirm" and form.is_valid():
        done = _run(form, services.confirm_totp, user, form.cleaned_data["code"])
        return "enabled" if done is not FAILED else None
    if action == "email_start":
        if _run(form, services.start_email_codes, user) is not FAILED:
            messages.success(request, _("Un code a été envoyé à votre adresse de connexion ; "
                                        "il est valable 10 minutes."))
            return "ok"
        return None
    if action == "email_confirm" and form.is_valid():
        done = _run(form, services.confirm_email_codes, user, form.cleaned_data["code"])
        return "enabled" if done is not FAILED else None
    return None


MAILBOX_KEY = "mailbox_proven_at"


def _mailbox_proven_at(data):
    try:
        return datetime.fromtimestamp(float(data[MAILBOX_KEY]), tz=UTC)
    except (KeyError, TypeError, ValueError):
        return None


@sensitive_post_parameters("code")
@never_cache
@require_http_methods(["GET", "POST"])
def login_setup(request):
    """After the password, for a user who must have a second factor and has none yet (or a
    logged-in user whose structure now requires one). The password is not enough to enrol a
    factor: a code e-mailed to the login address comes first (control of the mailbox), then
    the user chooses the authenticator app or e-mailed codes."""
    user, data = _pending(request)
    if user is None:
        return _pending_expired(request)
    if policy.has_second_factor(user) or not data.get("setup"):
        data["setup"] = False
        request.session[PENDING_KEY] = data
        return redirect("login-code")
    action = request.POST.get("action", "")
    form = forms.CodeForm(request.POST if action.endswith("_confirm") else None)
    proven_at = _mailbox_proven_at(data)
    if proven_at is not None and clock.now() - proven_at > services.MAILBOX_PROOF_VALIDITY:
        proven_at = None
    if request.method == "POST":
        if action == "mailbox_send":
            if _run(form, services.send_mailbox_proof, user, user) is not FAILED:
                messages.success(request, _("Un code a été envoyé à votre adresse de "
                                            "connexion ; il est valable 10 minutes."))
                data["mailbox_sent"] = True
                request.session[PENDING_KEY] = data
                return redirect("login-setup")
        elif action == "mailbox_confirm":
            if form.is_valid():
                at = _run(form, services.confirm_mailbox, user, user,
                          form.cleaned_data["code"])
                if at is not FAILED:
                    data[MAILBOX_KEY] = at.timestamp()
                    request.session[PENDING_KEY] = data
                    return redirect("login-setup")
        elif proven_at is None:
            form = forms.error_form(services.MailboxNotProven())
        elif action == "email_enable":
            done = _run(form, services.enable_email_codes_after_proof, user, user, proven_at)
            if done is not FAILED:
                with transaction.atomic():
                    audit.record(user, "accounts.login", user, factor="setup")
                return _finish_login(request, user, data)
        elif action in ("totp_start", "totp_confirm"):
            outcome = _second_factor_actions(request, user, form)
            if outcome == "enabled":
                with transaction.atomic():
                    audit.record(user, "accounts.login", user, factor="setup")
                return _finish_login(request, user, data)
            if outcome == "ok":
                return redirect("login-setup")
        user.refresh_from_db()
    return render(request, "accounts/login_setup.html", {
        "form": form, "pending_user": user, "action": action,
        "mailbox_proven": proven_at is not None,
        "mailbox_sent": bool(data.get("mailbox_sent")),
        **(_totp_context(user) if proven_at is not None else {}),
    })


# --- Registration and activation -----------------------------------------------------------------


@never_cache
@require_http_methods(["GET", "POST"])
def register(request):
    if request.user.is_authenticated:
        return redirect("account")
    form = forms.RegistrationForm(request.POST or None)
    bot_error = None
    if request.method == "POST":
        valid = form.is_valid()
        try:
            botcheck.verify(request.POST.get("bot_token", ""), request.POST.get("bot_answer", ""),
                            request.POST.get("website", ""))
        except ChoeurError as exc:
            bot_error = exc
        if valid and bot_error is None:
            user = _run(form, services.register, request.user, **form.cleaned_data)
            if user is not FAILED:
                request.session[REGISTERED_KEY] = user.email
                return redirect("register-done")
    return render(request, "accounts/register.html", {
        "form": form, "challenge": botcheck.new_challenge(), "bot_error": bot_error,
    })


@require_GET
def register_done(request):
    return render(request, "accounts/register_done.html",
                  {"email": request.session.get(REGISTERED_KEY, "")})


@require_GET
def terms(request):
    return render(request, "accounts/terms.html")


@sensitive_post_parameters("password", "password_confirmation", "answer_1", "answer_2")
@never_cache
@require_http_methods(["GET", "POST"])
def activate(request, uidb64, token):
    resend = reverse("activation-resend")
    try:
        user = services.check_activation_link(uidb64, token)
    except services.AccountsError as exc:
        return _link_error(request, exc, resend=resend)
    form = forms.ActivationForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        done = _run(form, services.activate, request.user, uidb64, token, **form.cleaned_data)
        if done is not FAILED:
            messages.success(request, _("Votre compte est activé : vous pouvez vous connecter."))
            return redirect("login")
    return render(request, "accounts/activate.html", {"form": form, "activated_user": user})


@never_cache
@require_http_methods(["GET", "POST"])
def activation_resend(request):
    form = forms.EmailForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        _run(None, services.resend_activation, request.user, form.cleaned_data["email"])
        messages.success(request, _(
            "Si cette adresse correspond à un compte en attente d'activation, un nouveau lien "
            "d'activation, valable 60 minutes, vient d'y être envoyé."))
        return redirect("activation-resend")
    return render(request, "accounts/activation_resend.html", {"form": form})


# --- Password recovery ---------------------------------------------------------------------------


@never_cache
@require_http_methods(["GET", "POST"])
def password_forgotten(request):
    form = forms.EmailForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        _run(None, services.request_password_reset, request.user, form.cleaned_data["email"])
        messages.success(request, _(
            "Si cette adresse correspond à un compte actif, un lien de réinitialisation, "
            "valable 60 minutes, vient d'y être envoyé."))
        return redirect("password-forgotten")
    return render(request, "accounts/password_forgotten.html", {"form": form})


@sensitive_post_parameters("password", "password_confirmation", "answer_1", "answer_2")
@never_cache
@require_http_methods(["GET", "POST"])
def password_reset(request, uidb64, token):
    try:
        user = services.check_recovery_link(uidb64, token)
    except services.AccountsError as exc:
        return _link_error(request, exc, resend=reverse("password-forgotten"))
    form = forms.RecoveryForm(request.POST or None, user=user)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        done = _run(form, services.reset_password, request.user, uidb64, token,
                    answer_1=data.get("answer_1", ""), answer_2=data.get("answer_2", ""),
                    password=data["password"],
                    password_confirmation=data["password_confirmation"])
        if done is not FAILED:
            messages.success(request, _("Votre mot de passe est changé : vous pouvez vous "
                                        "connecter."))
            return redirect("login")
    return render(request, "accounts/password_reset.html", {"form": form})


# --- Mon compte ----------------------------------------------------------------------------------


@login_required
@require_GET
def account(request):
    return render(request, "accounts/account.html", {
        "account_user": request.user,
        "second_factor_required": policy.second_factor_required_by_others(request.user),
    })


@login_required
@require_http_methods(["GET", "POST"])
def account_profile(request):
    user = request.user
    form = forms.ProfileForm(request.POST or None, initial={
        "first_name": user.first_name, "last_name": user.last_name, "phone": user.phone,
        "contact_email": user.contact_email or user.email,
    })
    if request.method == "POST" and form.is_valid():
        if _run(form, services.update_profile, user, **form.cleaned_data) is not FAILED:
            messages.success(request, _("Vos informations sont enregistrées."))
            return redirect("account")
    return render(request, "accounts/account_form.html", {
        "form": form, "title": _("Modifier mes informations"), "submit": _("Enregistrer"),
    })


@sensitive_post_parameters("current_password", "password", "password_confirmation")
@login_required
@require_http_methods(["GET", "POST"])
def account_password(request):
    form = forms.PasswordChangeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        user = _run(form, services.change_password, request.user, **form.cleaned_data)
        if user is not FAILED:
            update_session_auth_hash(request, user)  # stay logged in here, out elsewhere
            messages.success(request, _("Votre mot de passe est changé."))
            return redirect("account")
    return render(request, "accounts/account_form.html", {
        "form": form, "title": _("Changer mon mot de passe"),
        "submit": _("Changer le mot de passe"),
    })


@sensitive_post_parameters("password")
@login_required
@require_http_methods(["GET", "POST"])
def account_email(request):
    form = forms.EmailChangeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        if _run(form, services.request_email_change, request.user,
                **form.cleaned_data) is not FAILED:
            messages.success(request, _(
                "Un lien de confirmation, valable 60 minutes, a été envoyé à la nouvelle "
                "adresse. Votre adresse de connexion ne change qu'une fois ce lien ouvert, "
                "connecté à votre compte."))
            return redirect("account")
    return render(request, "accounts/account_form.html", {
        "form": form, "title": _("Changer mon adresse de connexion"),
        "submit": _("Envoyer le lien de confirmation"),
        "intro": _("Adresse actuelle : %(email)s") % {"email": request.user.email},
    })


@login_required
@require_http_methods(["GET", "POST"])
def account_email_confirm(request, token):
    user = request.user
    if not user.pending_email:
        return _link_error(request, services.EmailChangeLinkInvalid())
    status = tokens.email_change_tokens.status(user, token)
    if status != tokens.VALID:
        error = (services.EmailChangeLinkExpired() if status == tokens.EXPIRED
                 else services.EmailChangeLinkInvalid())
        return _link_error(request, error)
    if request.method == "POST":
        try:
            user = _run(None, services.confirm_email_change, user, token)
        except services.AccountsError as exc:
            return _link_error(request, exc)
        update_session_auth_hash(request, user)
        messages.success(request, _("Votre adresse de connexion est désormais %(email)s.")
                         % {"email": user.email})
        return redirect("account")
    return render(request, "accounts/account_email_confirm.html", {"new_email": user.pending_email})


@sensitive_post_parameters("password", "code")
@login_required
@require_http_methods(["GET", "POST"])
def account_second_factor(request):
    user = request.user
    if policy.needs_step_up(request):
        # This session never passed the second factor it needs: pass it (or set one up,
        # mailbox first) on the login's pages, not here with the password alone.
        return redirect("login-code" if policy.has_second_factor(user) else "login-setup")
    action = request.POST.get("action", "")
    code_form = forms.CodeForm(request.POST if action.endswith("_confirm") else None)
    password_form = forms.PasswordConfirmForm(
        request.POST if action.startswith("disable_") else None)
    if request.method == "POST":
        if action.startswith("disable_"):
            if password_form.is_valid() and _run(
                password_form, services.disable_second_factor, user,
                factor=action.removeprefix("disable_"),
                password=password_form.cleaned_data["password"],
            ) is not FAILED:
                messages.success(request, _("Ce second facteur est désactivé."))
                return redirect("account-second-factor")
        else:
            outcome = _second_factor_actions(request, user, code_form)
            if outcome == "enabled":
                request.session[policy.SESSION_KEY] = True  # a code was just given
                messages.success(request, _("Le second facteur est activé : il vous sera "
                                            "demandé à chaque connexion."))
                return redirect("account-second-factor")
            if outcome == "ok":
                return redirect("account-second-factor")
        user.refresh_from_db()
    return render(request, "accounts/account_second_factor.html", {
        "form": code_form, "password_form": password_form, "account_user": user,
        "action": action, "email_code_sent": bool(user.email_otp_hash),
        "second_factor_required": policy.second_factor_required_by_others(user),
        **_totp_context(user),
    })


@sensitive_post_parameters("password")
@login_required
@require_http_methods(["GET", "POST"])
def account_deactivate(request):
    form = forms.PasswordConfirmForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        if _run(form, services.deactivate, request.user, **form.cleaned_data) is not FAILED:
            auth_logout(request)
            messages.success(request, _("Votre accès est désactivé. Vous avez été déconnecté."))
            return redirect("home")
    return render(request, "accounts/account_form.html", {
        "form": form, "title": _("Désactiver mon accès"), "submit": _("Désactiver mon accès"),
        "intro": _("Vous ne pourrez plus vous connecter. Seul l'administrateur de la plateforme "
                   "pourra réactiver votre accès."),
        "danger": True,
    })
