from django.contrib import admin
from django.urls import include, path, re_path
from django.views.i18n import set_language

admin.site.site_header = "Choeur — administration"
admin.site.site_title = "Choeur"
admin.site.index_title = "Administration de la plateforme"

urlpatterns = [
    # The wire API first, behind its prefixes: its calls no longer try the portal's 170
    # routes one by one before its own (and a portal page skips the API's 90 in one test).
    re_path(r"^(?=cpro/|api/)", include("choeur.api.urls")),
    path("", include("choeur.web.urls")),
    path("", include("choeur.accounts.urls")),
    path("", include("choeur.organisations.urls")),
    path("", include("choeur.invoicing.urls")),
    path("", include("choeur.travaux.urls")),
    path("", include("choeur.aide.urls")),
    path("", include("choeur.formation.urls")),
    path("", include("choeur.sollicitations.urls")),
    path("", include("choeur.chat.urls")),
    path("", include("choeur.messaging.urls")),
    path("", include("choeur.flux.urls")),
    path("", include("choeur.webhooks.urls")),
    path("", include("choeur.qualification.urls")),
    path("", include("choeur.reporting.urls")),
    path("", include("choeur.archives.urls")),
    path("", include("choeur.core.urls")),
    path("langue/", set_language, name="set_language"),
    path("admin/", admin.site.urls),
]


# A request Django refuses before any view (a Host not served, a body over its bounds): the
# wire's JSON envelope for API paths, Django's short page elsewhere.
handler400 = "choeur.api.errors.bad_request"
handler500 = "choeur.api.errors.server_error"
