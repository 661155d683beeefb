from django.shortcuts import render
from django.views.decorators.http import require_GET


@require_GET
def home(request):
    return render(request, "web/home.html")


def csrf_failure(request, reason=""):
    # Never echo Django's technical reason: it helps nobody but an attacker.
    return render(request, "web/csrf_failure.html", status=403)
