"""The user's in-app notifications."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db import transaction
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST, require_safe

from choeur.messaging import services
from choeur.messaging.models import Notification

PAGE_SIZE = 50


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
