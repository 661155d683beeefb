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
    path("factures/travaux/<int:pk>/etat-acompte-valide/", views.etat_acompte_valide,
         name="etat_acompte_valide"),
    # The final circuit.
    path("factures/travaux/<int:pk>/projet-decompte-general/", views.projet_general,
         name="projet_general"),
    path("factures/travaux/<int:pk>/decompte-general-moe/", views.general_moe,
         name="general_moe"),
    path("factures/travaux/<int:pk>/decompte-general/", views.general, name="general"),
    path("factures/travaux/<int:pk>/signer/", views.sign, name="sign"),
    path("factures/travaux/<int:pk>/refuser-decompte-general/", views.refuse_general,
         name="refuse_general"),
    path("factures/travaux/<int:pk>/procedure-tacite/", views.tacit, name="tacit"),
    path("factures/travaux/<int:pk>/dgd-tacite/", views.dgd_tacite, name="dgd_tacite"),
    path("factures/travaux/<int:pk>/dgd-tacite-moe/", views.dgd_tacite_moe,
         name="dgd_tacite_moe"),
    path("factures/travaux/<int:pk>/dgd-tacite-moa/", views.dgd_tacite_moa,
         name="dgd_tacite_moa"),
    path("factures/travaux/sous-traitance/", include(subcontracting_views.urlpatterns)),
]
