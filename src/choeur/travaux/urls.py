from django.urls import include, path

from choeur.travaux import subcontracting_views, views

app_name = "travaux"

urlpatterns = [
    path("factures/travaux/", views.dossier_list, name="list"),
    path("factures/travaux/deposer/<int:structure_pk>/", views.deposit, name="deposit"),
    path("factures/travaux/<int:pk>/", views.dossier_detail, name="detail"),
    path("factures/travaux/<int:pk>/pieces/<int:piece_pk>/facture/", views.piece_document,
         name="piece_document"),
    path("factures/travaux/<int:pk>/etat-acompte/", views.etat_acompte, name="etat_acompte"),
    path("factures/travaux/<int:pk>/refuser/", views.refuser, name="refuse"),
    path("factures/travaux/<int:pk>/valider/", views.valider, name="validate"),
    path("factures/travaux/sous-traitance/", include(subcontracting_views.urlpatterns)),
]
