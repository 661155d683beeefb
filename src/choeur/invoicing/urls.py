from django.urls import path

from choeur.invoicing import views

app_name = "invoicing"

urlpatterns = [
    # Factures émises, and the deposit.
    path("factures/emises/", views.issued_list, name="issued_list"),
    path("factures/emises/<int:pk>/", views.issued_detail, name="issued_detail"),
    path("factures/emises/<int:pk>/facture/", views.issued_document, name="issued_document"),
    path("factures/emises/<int:pk>/certificat-de-depot/", views.issued_certificate,
         name="issued_certificate"),
    path("factures/emises/<int:pk>/pieces-jointes/<int:attachment_id>/",
         views.issued_attachment, name="issued_attachment"),
    path("factures/emises/<int:pk>/modifier/", views.draft_edit, name="draft_edit"),
    path("factures/emises/<int:pk>/envoyer/", views.issued_send, name="issued_send"),
    path("factures/emises/<int:pk>/supprimer/", views.issued_delete, name="issued_delete"),
    path("factures/emises/<int:pk>/recycler/", views.issued_recycle, name="issued_recycle"),
    path("factures/emises/<int:pk>/completer/", views.issued_complete, name="issued_complete"),
    path("factures/emises/<int:pk>/acquitter/", views.issued_acknowledge,
         name="issued_acknowledge"),
    path("factures/emises/<int:pk>/corriger-valideur/", views.issued_correct_validator,
         name="issued_correct_validator"),
    path("factures/deposer/", views.deposit_start, name="deposit_start"),
    path("factures/deposer/<int:structure_pk>/saisie/", views.deposit, {"mode": "saisie"},
         name="deposit_saisie"),
    path("factures/deposer/<int:structure_pk>/pdf/", views.deposit, {"mode": "pdf"},
         name="deposit_pdf"),
    # Factures reçues.
    path("factures/recues/", views.received_list, name="received_list"),
    path("factures/recues/telechargement/", views.received_zip, name="received_zip"),
    path("factures/recues/<int:pk>/", views.received_detail, name="received_detail"),
    path("factures/recues/<int:pk>/facture/", views.received_document,
         name="received_document"),
    path("factures/recues/<int:pk>/pieces-jointes/<int:attachment_id>/",
         views.received_attachment, name="received_attachment"),
    path("factures/recues/<int:pk>/traiter/", views.received_process,
         name="received_process"),
    # Factures à valider (sous-traitance, co-traitance).
    path("factures/a-valider/", views.to_validate_list, name="to_validate_list"),
    path("factures/a-valider/<int:pk>/", views.to_validate_detail, name="to_validate_detail"),
    path("factures/a-valider/<int:pk>/facture/", views.to_validate_document,
         name="to_validate_document"),
    path("factures/a-valider/<int:pk>/pieces-jointes/<int:attachment_id>/",
         views.to_validate_attachment, name="to_validate_attachment"),
    path("factures/a-valider/<int:pk>/valider/", views.to_validate_validate,
         name="to_validate_validate"),
    path("factures/a-valider/<int:pk>/refuser/", views.to_validate_refuse,
         name="to_validate_refuse"),
    path("factures/a-valider/<int:pk>/mauvais-valideur/", views.to_validate_wrong,
         name="to_validate_wrong"),
]
