from django.urls import path

from choeur.invoicing.views import acknowledgements, deposit, issued, lists, received, validation

app_name = "invoicing"

urlpatterns = [
    # Factures émises, and the deposit.
    path("factures/emises/", lists.issued_list, name="issued_list"),
    path("factures/emises/<int:pk>/", issued.issued_detail, name="issued_detail"),
    path("factures/emises/<int:pk>/facture/", issued.issued_document, name="issued_document"),
    path("factures/emises/<int:pk>/certificat-de-depot/", issued.issued_certificate,
         name="issued_certificate"),
    path("factures/emises/<int:pk>/pieces-jointes/<int:attachment_id>/",
         issued.issued_attachment, name="issued_attachment"),
    path("factures/emises/<int:pk>/modifier/", deposit.draft_edit, name="draft_edit"),
    path("factures/emises/<int:pk>/envoyer/", issued.issued_send, name="issued_send"),
    path("factures/emises/<int:pk>/supprimer/", issued.issued_delete, name="issued_delete"),
    path("factures/emises/<int:pk>/recycler/", issued.issued_recycle, name="issued_recycle"),
    path("factures/emises/<int:pk>/completer/", issued.issued_complete, name="issued_complete"),
    path("factures/emises/<int:pk>/acquitter/", issued.issued_acknowledge,
         name="issued_acknowledge"),
    path("factures/emises/<int:pk>/corriger-valideur/", issued.issued_correct_validator,
         name="issued_correct_validator"),
    path("factures/acquittements/", acknowledgements.acknowledgement_list,
         name="acknowledgements"),
    path("factures/deposer/", deposit.deposit_start, name="deposit_start"),
    path("factures/deposer/<int:structure_pk>/saisie/", deposit.new_invoice, {"mode": "saisie"},
         name="deposit_saisie"),
    path("factures/deposer/<int:structure_pk>/pdf/", deposit.new_invoice, {"mode": "pdf"},
         name="deposit_pdf"),
    # Factures reçues.
    path("factures/recues/", lists.received_list, name="received_list"),
    path("factures/recues/telechargement/", received.received_zip, name="received_zip"),
    path("factures/recues/<int:pk>/", received.received_detail, name="received_detail"),
    path("factures/recues/<int:pk>/facture/", received.received_document,
         name="received_document"),
    path("factures/recues/<int:pk>/pieces-jointes/<int:attachment_id>/",
         received.received_attachment, name="received_attachment"),
    path("factures/recues/<int:pk>/traiter/", received.received_process,
         name="received_process"),
    # Factures à valider (sous-traitance, co-traitance).
    path("factures/a-valider/", lists.to_validate_list, name="to_validate_list"),
    path("factures/a-valider/<int:pk>/", validation.to_validate_detail, name="to_validate_detail"),
    path("factures/a-valider/<int:pk>/facture/", validation.to_validate_document,
         name="to_validate_document"),
    path("factures/a-valider/<int:pk>/pieces-jointes/<int:attachment_id>/",
         validation.to_validate_attachment, name="to_validate_attachment"),
    path("factures/a-valider/<int:pk>/valider/", validation.to_validate_validate,
         name="to_validate_validate"),
    path("factures/a-valider/<int:pk>/refuser/", validation.to_validate_refuse,
         name="to_validate_refuse"),
    path("factures/a-valider/<int:pk>/mauvais-valideur/", validation.to_validate_wrong,
         name="to_validate_wrong"),
]
