from django.urls import path

from choeur.organisations import views

urlpatterns = [
    path("structures/", views.structure_list, name="structures"),
    path("structures/creer/", views.structure_create, name="structure-create"),
    path("structures/<int:pk>/", views.structure_detail, name="structure-detail"),
    path("structures/<int:pk>/modifier/", views.structure_edit, name="structure-edit"),
    path("structures/<int:pk>/identifiant/", views.structure_change_identifier,
         name="structure-change-identifier"),
    path("structures/<int:pk>/activation/", views.structure_toggle, name="structure-toggle"),
    path("structures/<int:pk>/historique/", views.structure_history, name="structure-history"),
    path("structures/<int:pk>/services/nouveau/", views.service_create, name="service-create"),
    path("structures/<int:pk>/services/<int:service_id>/modifier/", views.service_edit,
         name="service-edit"),
    path("structures/<int:pk>/services/<int:service_id>/activation/", views.service_toggle,
         name="service-toggle"),
    path("structures/<int:pk>/utilisateurs/", views.structure_users, name="structure-users"),
    path("structures/<int:pk>/espaces/", views.structure_espaces, name="structure-espaces"),
    path("structures/<int:pk>/espaces/demande/", views.habilitation_request,
         name="habilitation-request"),
    path("structures/<int:pk>/coordonnees-bancaires/", views.bank_accounts,
         name="bank-accounts"),
    path("structures/<int:pk>/raccordements/", views.structure_raccordements,
         name="structure-raccordements"),
    path("structures/<int:pk>/quitter/", views.rattachement_leave, name="rattachement-leave"),
    path("annuaire/", views.annuaire_search, name="annuaire"),
    path("annuaire/<int:pk>/", views.annuaire_detail, name="annuaire-detail"),
    path("annuaire.csv", views.annuaire_csv, name="annuaire-csv"),
    path("rattachements/demande/", views.rattachement_request, name="rattachement-request"),
]
