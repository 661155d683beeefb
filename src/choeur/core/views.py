from django.contrib.admin.views.decorators import staff_member_required
from django.http import Http404, JsonResponse
from django.shortcuts import render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from choeur.core import health, mail


@never_cache
@require_GET
def healthz(request):
    """For load balancers: 200 when the database answers, the schema is migrated and a worker
    reported recently; 503 otherwise, with the failing check in the JSON body."""
    report = health.report()
    return JsonResponse(report, status=200 if report["status"] == "ok" else 503)


@staff_member_required
def outbox(request):
    return render(request, "core/outbox.html", {"messages_out": mail.outbox_messages()})


@staff_member_required
def outbox_detail(request, name):
    message = mail.outbox_message(name)
    if message is None:
        raise Http404
    return render(request, "core/outbox_detail.html", {"message": message})
