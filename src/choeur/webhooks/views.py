"""Portal pages of webhooks ("Raccordements" → "Webhooks"), for a structure's gestionnaires
only: the list, the creation (the secret shown once), a webhook's page with its last
deliveries, and the POST actions (rotate the secret, deactivate, send a test, "renvoyer").
Thin: each POST runs one service function in its own transaction."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db import transaction
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST, require_safe

from choeur.core.errors import ChoeurError
from choeur.organisations import permissions
from choeur.webhooks import forms, services
from choeur.webhooks.models import Delivery

DELIVERIES_SHOWN = 50


def _structure(request, pk):
    """The structure, for one of its gestionnaires: 404 for outsiders, 403 for members."""
    structure = permissions.structure_for(request.user, pk)
    permissions.require_gestionnaire(request.user, structure)
    return structure


def _attempt(request, use_case, *args, form=None):
    """Run a use case in its own transaction; a user error goes on the form or into a
    message, refusals (403/404) propagate."""
    try:
        with transaction.atomic():
            return True, use_case(request.user, *args)
    except ChoeurError as exc:
        if exc.http_status in (403, 404):
            raise
        text = f"{exc.message()} [{exc.code}]"
        if form is not None:
            form.add_error(None, text)
        else:
            messages.error(request, text)
        return False, exc


def _secret_page(request, structure, subscription, secret, created: bool):
    response = render(request, "webhooks/secret.html", {
        "structure": structure, "subscription": subscription, "secret": secret,
        "created": created})
    response["Cache-Control"] = "no-store"  # the secret is shown once, never cached
    return response


@login_required
@require_safe
def webhook_list(request, pk):
    structure = _structure(request, pk)
    return render(request, "webhooks/list.html", {
        "structure": structure,
        "subscriptions": structure.webhook_subscriptions.order_by("-is_active", "-created_at"),
    })


@login_required
def webhook_create(request, pk):
    structure = _structure(request, pk)
    form = forms.SubscriptionForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        ok, result = _attempt(
            request, lambda actor, s: services.create_subscription(
                actor, s, data["url"], description=data["description"],
                on_invoice_status=data["on_invoice_status"],
                on_flux_state=data["on_flux_state"]),
            structure, form=form)
        if ok:
            subscription, secret = result
            return _secret_page(request, structure, subscription, secret, created=True)
    return render(request, "webhooks/form.html", {"structure": structure, "form": form},
                  status=400 if form.errors else 200)


@login_required
@require_safe
def webhook_detail(request, pk, webhook_id):
    structure = _structure(request, pk)
    subscription = services.subscription_for(request.user, structure, webhook_id)
    deliveries = (Delivery.objects.filter(subscription=subscription)
                  .prefetch_related("attempt_log").order_by("-created_at", "-pk")
                  [:DELIVERIES_SHOWN])
    return render(request, "webhooks/detail.html", {
        "structure": structure, "subscription": subscription, "deliveries": deliveries,
        "max_attempts": services.MAX_ATTEMPTS,
    })


@login_required
@require_POST
def webhook_rotate(request, pk, webhook_id):
    structure = _structure(request, pk)
    ok, result = _attempt(request, services.rotate_secret, structure, webhook_id)
    if ok:
        subscription, secret = result
        return _secret_page(request, structure, subscription, secret, created=False)
    return redirect("webhooks:detail", structure.pk, webhook_id)


@login_required
@require_POST
def webhook_deactivate(request, pk, webhook_id):
    structure = _structure(request, pk)
    ok, _result = _attempt(request, services.deactivate_subscription, structure, webhook_id)
    if ok:
        messages.success(request, _("Le webhook est désactivé : il ne recevra plus "
                                    "d'événement."))
    return redirect("webhooks:detail", structure.pk, webhook_id)


@login_required
@require_POST
def webhook_test(request, pk, webhook_id):
    structure = _structure(request, pk)
    ok, _result = _attempt(request, services.send_test, structure, webhook_id)
    if ok:
        messages.success(request, _("Un événement de test part vers l'adresse du webhook."))
    return redirect("webhooks:detail", structure.pk, webhook_id)


@login_required
@require_POST
def delivery_redeliver(request, pk, webhook_id, delivery_id):
    structure = _structure(request, pk)
    ok, _result = _attempt(request, services.redeliver, structure, webhook_id, delivery_id)
    if ok:
        messages.success(request, _("L'événement est renvoyé."))
    return redirect("webhooks:detail", structure.pk, webhook_id)
