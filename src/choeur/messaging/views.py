"""The user's in-app notifications, their preferences, and the platform's news (Actualités)."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db import transaction
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from choeur.core import clock
from choeur.core.errors import ChoeurError
from choeur.core.permissions import platform_admin_required
from choeur.messaging import actualites, services
from choeur.messaging.catalogue import CHANNELS, SWITCHABLE
from choeur.messaging.models import Actualite, Digest, Notification, NotificationPreference

PAGE_SIZE = 50
CHANNEL_LABELS = {"portal": _lazy("Dans le portail"), "email": _lazy("Par courriel")}


def unread_count(user) -> int:
    if not user.is_authenticated:
        return 0
    return Notification.objects.filter(user=user, read_at__isnull=True).count()


@login_required
@require_safe
def notification_list(request):
    notifications = Notification.objects.filter(user=request.user)
    page = Paginator(notifications, PAGE_SIZE).get_page(request.GET.get("page"))
    rows = [(n, n.url if _internal(n.url) else "") for n in page.object_list]
    return render(request, "messaging/notification_list.html", {
        "page": page, "rows": rows, "unread": unread_count(request.user)})


def _internal(url: str) -> bool:
    """Only links to the portal's own pages are shown as links."""
    return url.startswith("/") and not url.startswith("//") and "\\" not in url


@login_required
@require_POST
def mark_read(request):
    """Mark one notification read (`id`), or all of them."""
    ids = request.POST.getlist("id") or None
    with transaction.atomic():
        count = services.mark_read(request.user, ids)
    if ids is None:
        messages.success(request, _("Toutes vos notifications sont marquées comme lues."))
    elif count:
        messages.success(request, _("La notification est marquée comme lue."))
    return redirect("messaging:list")


# --- Preferences (« Mon compte › Notifications ») -------------------------------------------------


def _preference_rows(preference) -> list[dict]:
    return [{"application": application, "label": application.label,
             "channels": [{"name": NotificationPreference.field(application, channel),
                           "on": preference.wants(application, channel),
                           "label": CHANNEL_LABELS[channel]} for channel in CHANNELS]}
            for application in SWITCHABLE]


@login_required
@require_http_methods(["GET", "POST"])
def preferences(request):
    """The user's own preferences: no id in the URL, only ever `request.user`'s."""
    error = None
    if request.method == "POST":
        try:
            with transaction.atomic():
                services.set_preferences(request.user, request.POST.getlist("channel"),
                                         request.POST.get("digest", ""))
        except ChoeurError as exc:
            error = exc
        else:
            messages.success(request, _("Vos préférences de notification sont enregistrées."))
            return redirect("messaging:preferences")
    preference = services.preferences_of(request.user)
    return render(request, "messaging/preferences.html", {
        "rows": _preference_rows(preference), "preference": preference,
        "digests": Digest.choices, "error": error,
    }, status=error.http_status if error else 200)


# --- Actualités (platform administration) -------------------------------------------------------


@platform_admin_required
@require_safe
def actualite_list(request):
    return render(request, "messaging/actualite_list.html", {
        "actualites": Actualite.objects.select_related("author")[:200],
        "now": clock.now()})


def _actualite_form(request, actualite=None):
    error = None
    values = {
        "title": actualite.title if actualite else "",
        "body": actualite.body if actualite else "",
        "published_from": _local(actualite.published_from) if actualite else
        _local(clock.now()),
        "published_until": _local(actualite.published_until) if actualite else "",
    }
    if request.method == "POST":
        values = {name: request.POST.get(name, "") for name in values}
        try:
            with transaction.atomic():
                start = actualites.parse_moment(values["published_from"])
                end = actualites.parse_moment(values["published_until"], required=False)
                if actualite is None:
                    actualites.create(request.user, values["title"], values["body"], start, end)
                else:
                    actualites.update(request.user, actualite.pk, values["title"],
                                      values["body"], start, end)
        except ChoeurError as exc:
            if exc.http_status in (403, 404):
                raise
            error = exc
        else:
            messages.success(request, _("L'actualité est enregistrée."))
            return redirect("messaging:actualite_list")
    return render(request, "messaging/actualite_form.html", {
        "actualite": actualite, "values": values, "error": error,
    }, status=error.http_status if error else 200)


def _local(moment) -> str:
    if moment is None:
        return ""
    return moment.astimezone(clock.PARIS).strftime("%Y-%m-%dT%H:%M")


@platform_admin_required
@require_http_methods(["GET", "POST"])
def actualite_create(request):
    return _actualite_form(request)


@platform_admin_required
@require_http_methods(["GET", "POST"])
def actualite_edit(request, pk):
    return _actualite_form(request, actualites.get_for_admin(request.user, pk))
