from django.http import Http404
from django.shortcuts import render

from choeur.core import mail
from choeur.core.permissions import platform_admin_required

# The outbox holds every user's activation and reset links: platform administrators only,
# not every staff member.


@platform_admin_required
def outbox(request):
    return render(request, "core/outbox.html", {"messages_out": mail.outbox_messages()})


@platform_admin_required
def outbox_detail(request, name):
    message = mail.outbox_message(name)
    if message is None:
        raise Http404
    return render(request, "core/outbox_detail.html", {"message": message})
