"""Engagements juridiques: the buyer's use cases (create, edit while COMMANDE, inactivate),
the supplier's answer (accept, refuse; a double click is a Conflict), the scoping (forged ids
are "not found"), the portal pages, and the deposit check that uses engagements."""

from __future__ import annotations

from decimal import Decimal as D

import pytest
from django.urls import reverse

from choeur.core.errors import Conflict, NotFound, PermissionRefused
from choeur.core.models import AuditEvent
from choeur.invoicing import engagements as eng
from choeur.invoicing import errors, services
from choeur.invoicing.engagements import EngagementData
from choeur.invoicing.models import Engagement, Invoice, ModeDepot
from choeur.messaging.models import Notification
from choeur.organisations import services as org
from choeur.organisations.models import Espace, Rattachement
from tests.organisations.conftest import make_user

from .conftest import SUPPLIER_SIRET, invoice_data, pdf_bytes, run

pytestmark = pytest.mark.django_db

State = Engagement.State


@pytest.fixture
def buyer(recipient, recipient_user, supplier):
    """The public recipient with its espace Engagements open (its gestionnaire acts there),
    and the supplier its engagements name."""
    run(org.set_espace_open, recipient_user, recipient, Espace.ENGAGEMENTS, True)
    return recipient


def attach(structure, gestionnaire, email, espace=None, mode=None, service_codes=()):
    """A plain user of `structure`, with a habilitation in `espace` when given."""
    user = make_user(email)
    service_ids = [structure.services.get(code=c).pk for c in service_codes]
    rattachement = run(org.attach_user, gestionnaire, structure, email, service_ids)
    if espace:
        run(org.set_habilitation, gestionnaire, structure, rattachement.pk, espace, mode)
    return user


def data(**overrides) -> EngagementData:
    values = {"number": "EJ-2026-0042", "kind": Engagement.Kind.BON_DE_COMMANDE,
              "supplier_identifier": SUPPLIER_SIRET, "service_code": "ACHATS",
              "label": "Fournitures de bureau 2026", "amount_ht": D("1000"),
              "amount_ttc": D("1200"), "currency": "EUR"}
    values.update(overrides)
    return EngagementData(**values)


@pytest.fixture
def order(buyer, recipient_user, supplier):
    """An engagement addressed to the supplier, waiting for its answer."""
    return run(eng.create_engagement, recipient_user, buyer, data())


def audit_actions(engagement) -> list[str]:
    return list(AuditEvent.objects.filter(object_type="invoicing.engagement",
                                          object_id=str(engagement.pk))
                .order_by("id").values_list("action", flat=True))


# --- Creating -------------------------------------------------------------------------------


def test_buyer_creates_an_engagement_and_the_supplier_hears_of_it(order, buyer, supplier,
                                                                  supplier_user,
                                                                  recipient_user):
    assert order.state == State.COMMANDE and order.structure == buyer
    assert order.supplier == supplier and order.service.code == "ACHATS"
    assert order.amount_ht == D("1000") and order.amount_ttc == D("1200")
    assert order.created_by == recipient_user
    assert audit_actions(order) == ["engagement.created"]
    notice = Notification.objects.get(user=supplier_user)
    assert notice.kind == "engagement_received"
    assert notice.params["number"] == "EJ-2026-0042" and notice.params["amount"] == "1200.00"
    assert notice.url == reverse("invoicing:order_detail", args=[order.pk])
    assert not Notification.objects.filter(user=recipient_user).exists()  # not the author
    assert list(eng.engagements_of(recipient_user)) == [order]
    assert list(eng.orders_of(supplier_user)) == [order]


def test_engagement_without_supplier_nor_service(buyer, recipient_user):
    engagement = run(eng.create_engagement, recipient_user, buyer,
                     data(supplier_identifier="", service_code="", amount_ht="",
                          amount_ttc=""))
    assert engagement.supplier is None and engagement.service is None
    assert engagement.amount_ttc == 0
    assert not Notification.objects.exists()


# Rules are checked in one test each (a loop, not parametrize): the world costs ~2 s to build.


def test_number_rules(buyer, recipient_user):
    for number in ("", "   ", "x" * 51, "EJ 2026", "EJ#1", "EJ-é", "EJ+1"):
        with pytest.raises(errors.EngagementNumberInvalid):
            run(eng.create_engagement, recipient_user, buyer, data(number=number))
    assert not Engagement.objects.exists()
    for number in ("EJ-2026/01.A_b", "1", "x" * 50, "  EJ-7  "):
        engagement = run(eng.create_engagement, recipient_user, buyer, data(number=number))
        assert engagement.number == number.strip()


def test_a_number_is_unique_within_its_structure(order, buyer, recipient_user,
                                                 other_recipient):
    with pytest.raises(errors.EngagementNumberTaken) as raised:
        run(eng.create_engagement, recipient_user, buyer, data(label="Doublon"))
    assert raised.value.http_status == 409
    assert Engagement.objects.count() == 1
    # Another buyer may use the same number.
    other_gp = Rattachement.objects.get(structure=other_recipient).user
    run(org.set_espace_open, other_gp, other_recipient, Espace.ENGAGEMENTS, True)
    run(eng.create_engagement, other_gp, other_recipient, data(service_code=""))
    assert Engagement.objects.filter(number="EJ-2026-0042").count() == 2


def test_a_private_structure_cannot_create_engagements(supplier, supplier_user):
    run(org.set_espace_open, supplier_user, supplier, Espace.ENGAGEMENTS, True)
    with pytest.raises(errors.EngagementBuyerNotPublic) as raised:
        run(eng.create_engagement, supplier_user, supplier, data(supplier_identifier=""))
    assert raised.value.code == "INV_ENGAGEMENT_BUYER_NOT_PUBLIC"
    assert not Engagement.objects.exists()
    assert eng.creatable_structures(supplier_user) == []


BAD_INPUT = [
    ({"amount_ht": D("-1")}, errors.EngagementAmountsInvalid),
    ({"amount_ttc": D("999")}, errors.EngagementAmountsInvalid),  # below the HT
    ({"amount_ht": "beaucoup"}, errors.EngagementAmountsInvalid),
    ({"amount_ht": D("1.0000001"), "amount_ttc": D("2")}, errors.EngagementAmountsInvalid),
    ({"amount_ttc": D("1e13")}, errors.EngagementAmountsInvalid),
    ({"currency": "EU"}, errors.EngagementDataInvalid),
    ({"kind": "CADEAU"}, errors.EngagementDataInvalid),
    ({"label": "x" * 256}, errors.EngagementDataInvalid),
    ({"supplier_identifier": "99999999999999"}, errors.EngagementSupplierUnknown),
    ({"service_code": "INCONNU"}, errors.ServiceUnknown),
]


def test_bad_input_gets_a_coded_error_and_changes_nothing(buyer, recipient_user):
    for overrides, error in BAD_INPUT:
        with pytest.raises(error):
            run(eng.create_engagement, recipient_user, buyer, data(**overrides))
    assert not Engagement.objects.exists()
    assert not AuditEvent.objects.filter(action__startswith="engagement.").exists()
    assert not Notification.objects.exists()


def test_the_buyer_is_not_its_own_supplier(buyer, recipient_user):
    with pytest.raises(errors.EngagementSupplierUnknown):
        run(eng.create_engagement, recipient_user, buyer,
            data(supplier_identifier=buyer.identifier))


def test_amounts_accept_a_comma_and_currency_is_upper_cased(buyer, recipient_user):
    engagement = run(eng.create_engagement, recipient_user, buyer,
                     data(amount_ht="10,5", amount_ttc="12,60", currency="usd"))
    assert engagement.amount_ht == D("10.5") and engagement.currency == "USD"


def test_habilitations_decide_who_creates(buyer, recipient_user):
    agent = attach(buyer, recipient_user, "agent@drfip.gouv.fr", Espace.ENGAGEMENTS,
                   "MODIFICATION")
    created = run(eng.create_engagement, agent, buyer, data())
    assert created.created_by == agent
    reader = attach(buyer, recipient_user, "lecteur@drfip.gouv.fr", Espace.ENGAGEMENTS,
                    "CONSULTATION")
    with pytest.raises(PermissionRefused):
        run(eng.create_engagement, reader, buyer, data(number="EJ-2"))
    assert list(eng.engagements_of(reader)) == [created]  # but sees them
    plain = attach(buyer, recipient_user, "autre@drfip.gouv.fr")
    with pytest.raises(PermissionRefused):
        run(eng.create_engagement, plain, buyer, data(number="EJ-3"))
    assert list(eng.engagements_of(plain)) == []


def test_the_espace_must_be_open(recipient, recipient_user):
    with pytest.raises(PermissionRefused):
        run(eng.create_engagement, recipient_user, recipient, data())


def test_service_limited_agent_works_within_its_services(buyer, recipient_user):
    agent = attach(buyer, recipient_user, "achats@drfip.gouv.fr", Espace.ENGAGEMENTS,
                   "MODIFICATION", service_codes=["ACHATS"])
    mine = run(eng.create_engagement, agent, buyer, data())
    with pytest.raises(PermissionRefused):
        run(eng.create_engagement, agent, buyer, data(number="EJ-2", service_code="COMPTA"))
    with pytest.raises(errors.EngagementDataInvalid):  # would vanish from the agent's sight
        run(eng.create_engagement, agent, buyer, data(number="EJ-3", service_code=""))
    compta = run(eng.create_engagement, recipient_user, buyer,
                 data(number="EJ-4", service_code="COMPTA"))
    assert list(eng.engagements_of(agent)) == [mine]
    with pytest.raises(NotFound):
        eng.engagement_of(agent, compta.pk)
    with pytest.raises(PermissionRefused):
        run(eng.inactivate_engagement, agent, compta, "Hors de mon service")
    assert [s.code for s in eng.services_for(agent, buyer)] == ["ACHATS"]


# --- Editing and inactivating ------------------------------------------------------------------


def test_edit_while_commande(order, recipient_user, supplier_user):
    Notification.objects.all().delete()
    edited = run(eng.update_engagement, recipient_user, order,
                 data(number="", amount_ht=D("1500"), amount_ttc=D("1800"), label="Plus"))
    edited.refresh_from_db()
    assert edited.amount_ttc == D("1800") and edited.label == "Plus"
    assert edited.number == "EJ-2026-0042"
    assert audit_actions(order) == ["engagement.created", "engagement.updated"]
    change = AuditEvent.objects.get(action="engagement.updated")
    assert change.details["changes"]["amount_ttc"] == ["1200.000000", "1800"]
    assert Notification.objects.get(user=supplier_user).kind == "engagement_updated"


def test_the_number_does_not_change(order, recipient_user):
    with pytest.raises(errors.EngagementDataInvalid):
        run(eng.update_engagement, recipient_user, order, data(number="EJ-AUTRE"))


def test_no_edit_once_answered(order, recipient_user, supplier_user):
    run(eng.accept_order, supplier_user, order)
    with pytest.raises(errors.EngagementNotModifiable) as raised:
        run(eng.update_engagement, recipient_user, order, data(label="Trop tard"))
    assert raised.value.http_status == 409
    order.refresh_from_db()
    assert order.label == "Fournitures de bureau 2026"


def test_an_edit_racing_the_supplier_is_a_conflict(order, recipient_user, supplier_user):
    seen = Engagement.objects.get(pk=order.pk)  # the buyer's form was loaded...
    run(eng.accept_order, supplier_user, order)  # ...then the supplier answered
    with pytest.raises(errors.EngagementNotModifiable):
        run(eng.update_engagement, recipient_user, seen, data(label="Trop tard"))
    stale = Engagement.objects.get(pk=order.pk)
    stale.updated_at = order.created_at  # a copy older than the row
    Engagement.objects.filter(pk=order.pk).update(state=State.COMMANDE)
    with pytest.raises(Conflict):
        run(eng.update_engagement, recipient_user, stale, data(label="Trop tard"))


def test_inactivate_with_a_reason(order, recipient_user, supplier_user):
    with pytest.raises(errors.EngagementReasonRequired):
        run(eng.inactivate_engagement, recipient_user, order, "   ")
    with pytest.raises(errors.ReasonTooLong):
        run(eng.inactivate_engagement, recipient_user, order, "x" * 501)
    Notification.objects.all().delete()
    done = run(eng.inactivate_engagement, recipient_user, order, "Marché annulé")
    assert done.state == State.INACTIF and done.state_reason == "Marché annulé"
    assert not done.is_usable
    notice = Notification.objects.get(user=supplier_user)
    assert notice.kind == "engagement_inactivated" and notice.params["reason"] == "Marché annulé"
    assert audit_actions(order)[-1] == "engagement.inactivated"
    with pytest.raises(errors.EngagementNotModifiable):
        run(eng.inactivate_engagement, recipient_user, done, "Encore")
    with pytest.raises(Conflict):  # the supplier cannot answer a withdrawn order
        run(eng.accept_order, supplier_user, order)


# --- The supplier's answer ---------------------------------------------------------------------


def test_supplier_accepts_and_the_buyer_hears_of_it(order, supplier_user, recipient_user):
    accepted = run(eng.accept_order, supplier_user, order)
    assert accepted.state == State.PRIS_EN_COMPTE and accepted.is_usable
    order.refresh_from_db()
    assert order.state == State.PRIS_EN_COMPTE
    notice = Notification.objects.get(user=recipient_user)
    assert notice.kind == "engagement_accepted"
    assert notice.url == reverse("invoicing:engagement_detail", args=[order.pk])
    assert audit_actions(order) == ["engagement.created", "engagement.accepted"]


def test_supplier_refuses_with_a_reason(order, supplier_user, recipient_user):
    with pytest.raises(errors.EngagementReasonRequired):
        run(eng.refuse_order, supplier_user, order, "")
    order.refresh_from_db()
    assert order.state == State.COMMANDE
    refused = run(eng.refuse_order, supplier_user, order, "Rupture de stock")
    assert refused.state == State.REFUSE and refused.state_reason == "Rupture de stock"
    assert not refused.is_usable
    notice = Notification.objects.get(user=recipient_user)
    assert notice.kind == "engagement_refused" and "Rupture de stock" in notice.params["reason"]


def test_double_click_is_a_conflict_and_changes_nothing(order, supplier_user):
    run(eng.accept_order, supplier_user, order)
    with pytest.raises(Conflict):
        run(eng.accept_order, supplier_user, order)
    with pytest.raises(Conflict):
        run(eng.refuse_order, supplier_user, order, "Finalement non")
    order.refresh_from_db()
    assert order.state == State.PRIS_EN_COMPTE and order.state_reason == ""
    assert audit_actions(order).count("engagement.accepted") == 1
    assert not AuditEvent.objects.filter(action="engagement.refused").exists()


def test_supplier_needs_modification_in_factures_emises(order, supplier, supplier_user):
    reader = attach(supplier, supplier_user, "lecture@lumiere.fr", Espace.FACTURES_EMISES,
                    "CONSULTATION")
    assert list(eng.orders_of(reader)) == [order]
    assert not eng.can_answer(reader, order)
    with pytest.raises(PermissionRefused):
        run(eng.accept_order, reader, order)
    order.refresh_from_db()
    assert order.state == State.COMMANDE


# --- Scoping: forged ids and outsiders ----------------------------------------------------------


def test_forged_ids_are_not_found(order, supplier_user, recipient_user):
    with pytest.raises(NotFound):
        eng.engagement_of(supplier_user, order.pk)  # the supplier is not the buyer
    with pytest.raises(NotFound):
        eng.order_of(recipient_user, order.pk)  # nor the buyer the supplier
    for forged in (order.pk + 1000, "abc", None):
        with pytest.raises(NotFound):
            eng.engagement_of(recipient_user, forged)
        with pytest.raises(NotFound):
            eng.order_of(supplier_user, forged)


def test_outsiders_are_refused_and_change_nothing(order, buyer, user):
    for use_case, args in ((eng.accept_order, (order,)),
                           (eng.refuse_order, (order, "Non")),
                           (eng.update_engagement, (order, data(label="Pirate"))),
                           (eng.inactivate_engagement, (order, "Pirate")),
                           (eng.create_engagement, (buyer, data(number="EJ-PIRATE")))):
        with pytest.raises(NotFound):
            run(use_case, user, *args)
    order.refresh_from_db()
    assert order.state == State.COMMANDE and order.label == "Fournitures de bureau 2026"
    assert Engagement.objects.count() == 1
    assert list(eng.engagements_of(user)) == [] and list(eng.orders_of(user)) == []


def test_the_supplier_cannot_act_as_buyer_nor_the_buyer_as_supplier(order, supplier_user,
                                                                    recipient_user):
    with pytest.raises(NotFound):
        run(eng.inactivate_engagement, supplier_user, order, "Pas à moi")
    with pytest.raises(NotFound):
        run(eng.accept_order, recipient_user, order)


def test_an_engagement_without_supplier_is_nobody_s_order(buyer, recipient_user,
                                                          supplier_user):
    engagement = run(eng.create_engagement, recipient_user, buyer,
                     data(supplier_identifier=""))
    assert list(eng.orders_of(supplier_user)) == []
    with pytest.raises(NotFound):
        run(eng.accept_order, supplier_user, engagement)


def test_search_by_number_supplier_and_state(order, buyer, recipient_user):
    run(eng.create_engagement, recipient_user, buyer,
        data(number="MARCHE-9", supplier_identifier="", kind=Engagement.Kind.MARCHE))
    mine = eng.engagements_of(recipient_user)
    assert [e.number for e in eng.search(mine, number="0042")] == ["EJ-2026-0042"]
    assert [e.number for e in eng.search(mine, partner="732 829 320")] == ["EJ-2026-0042"]
    assert [e.number for e in eng.search(mine, partner="lumière")] == ["EJ-2026-0042"]
    assert eng.search(mine, state=State.REFUSE).count() == 0


# --- The deposit check -------------------------------------------------------------------------


def _deposit(supplier_user, supplier, bank_account, number):
    return run(services.deposit, supplier_user, supplier,
               invoice_data(bank_account_id=bank_account.pk, engagement_number=number),
               mode_depot=ModeDepot.DEPOT_PDF_PORTAIL, document=("facture.pdf", pdf_bytes()))


def test_deposit_checks_the_engagement_number(order, supplier_user, supplier, bank_account,
                                              recipient_user):
    with pytest.raises(errors.EngagementUnknown):
        _deposit(supplier_user, supplier, bank_account, "EJ-INCONNU")
    assert not Invoice.objects.exists()
    invoice = _deposit(supplier_user, supplier, bank_account, "EJ-2026-0042")
    assert invoice.engagement_number == "EJ-2026-0042"
    run(eng.inactivate_engagement, recipient_user, order, "Marché résilié")
    with pytest.raises(errors.EngagementUnknown):
        run(services.deposit, supplier_user, supplier,
            invoice_data(bank_account_id=bank_account.pk, number="FA-2026-0118"),
            mode_depot=ModeDepot.DEPOT_PDF_PORTAIL, document=("facture.pdf", pdf_bytes()))


# --- Portal pages ----------------------------------------------------------------------------


def form_data(**overrides) -> dict:
    values = {"number": "EJ-2026-0042", "kind": "BON_DE_COMMANDE", "label": "Papeterie",
              "service_code": "ACHATS", "supplier_identifier": SUPPLIER_SIRET,
              "amount_ht": "1000,50", "amount_ttc": "1200,60", "currency": "EUR"}
    values.update(overrides)
    return values


def text(response) -> str:
    return response.content.decode()


def test_portal_create_list_and_detail(client, buyer, recipient_user, supplier):
    client.force_login(recipient_user)
    page = client.get(reverse("invoicing:engagement_create"))
    assert page.status_code == 200
    assert "ACHATS — Achats" in text(page)  # straight to the form: one structure
    response = client.post(reverse("invoicing:engagement_create"), form_data())
    engagement = Engagement.objects.get()
    assert response.status_code == 302
    assert response.url == reverse("invoicing:engagement_detail", args=[engagement.pk])
    assert engagement.amount_ht == D("1000.50") and engagement.supplier == supplier
    detail = text(client.get(response.url))
    assert "L&#x27;engagement n° EJ-2026-0042 est créé." in detail
    assert "Papeterie Lumière" in detail and "Inactiver l'engagement" in detail
    listing = client.get(reverse("invoicing:engagement_list"), {"partenaire": SUPPLIER_SIRET})
    assert "EJ-2026-0042" in text(listing)
    nothing = client.get(reverse("invoicing:engagement_list"), {"numero": "ZZZ"})
    assert "Aucun engagement ne correspond" in text(nothing)
    assert 'href="/engagements/"' in text(page)  # in the menu


def test_portal_errors_are_shown_with_their_code(client, order, recipient_user):
    client.force_login(recipient_user)
    url = reverse("invoicing:engagement_create")
    taken = client.post(url, form_data())
    assert taken.status_code == 400
    body = text(taken)
    assert "INV_ENGAGEMENT_NUMBER_TAKEN" in body and 'role="alert"' in body
    assert 'value="Papeterie"' in body  # the form comes back as keyed
    below = client.post(url, form_data(number="EJ-2", amount_ttc="10"))
    assert below.status_code == 400 and "INV_ENGAGEMENT_AMOUNTS_INVALID" in text(below)
    bad = client.post(url, form_data(number="EJ 2"))
    assert bad.status_code == 400 and "INV_ENGAGEMENT_NUMBER_INVALID" in text(bad)
    unknown = client.post(url, form_data(number="EJ-3", supplier_identifier="12345678901234"))
    assert unknown.status_code == 400 and "INV_ENGAGEMENT_SUPPLIER_UNKNOWN" in text(unknown)
    assert Engagement.objects.count() == 1


def test_portal_edit_and_inactivate(client, order, recipient_user):
    client.force_login(recipient_user)
    edit_url = reverse("invoicing:engagement_edit", args=[order.pk])
    form = text(client.get(edit_url))
    assert 'value="1000,00"' in form and 'name="number"' not in form
    assert f'name="version" value="{order.version}"' in form
    saved = client.post(edit_url, {**form_data(number="", amount_ht="1100", amount_ttc="1320"),
                                   "version": order.version})
    assert saved.status_code == 302
    order.refresh_from_db()
    assert order.amount_ttc == D("1320")
    inactivate_url = reverse("invoicing:engagement_inactivate", args=[order.pk])
    empty = client.post(inactivate_url, {"inactiver-reason": "", "version": order.version})
    assert empty.status_code == 400 and "INV_ENGAGEMENT_REASON_REQUIRED" in text(empty)
    stale = client.post(inactivate_url, {"inactiver-reason": "Marché annulé",
                                         "version": order.version - 1})
    assert stale.status_code == 400 and "CORE_CONFLICT" in text(stale)
    done = client.post(inactivate_url, {"inactiver-reason": "Marché annulé",
                                        "version": order.version})
    assert done.status_code == 302
    order.refresh_from_db()
    assert order.state == State.INACTIF
    detail = text(client.get(done.url))
    assert "Marché annulé" in detail and "Inactiver l'engagement" not in detail
    locked = client.get(edit_url)
    assert locked.status_code == 302  # no form for an engagement no longer COMMANDE


def test_supplier_sees_and_accepts_the_order(client, order, supplier_user):
    client.force_login(supplier_user)
    listing = text(client.get(reverse("invoicing:order_list")))
    assert "EJ-2026-0042" in listing and "Direction régionale des finances publiques" in listing
    assert 'href="/commandes/"' in listing and 'href="/engagements/"' not in listing
    detail_url = reverse("invoicing:order_detail", args=[order.pk])
    assert "Prendre en compte" in text(client.get(detail_url))
    accept_url = reverse("invoicing:order_accept", args=[order.pk])
    seen = order.version
    accepted = client.post(accept_url, {"version": seen})
    assert accepted.status_code == 302 and accepted.url == detail_url
    order.refresh_from_db()
    assert order.state == State.PRIS_EN_COMPTE
    again = client.post(accept_url, {"version": seen})  # a second click
    assert again.status_code == 400 and "CORE_CONFLICT" in text(again)
    assert AuditEvent.objects.filter(action="engagement.accepted").count() == 1
    assert "Prendre en compte" not in text(client.get(detail_url))


def test_an_order_changed_since_the_page_was_shown_is_not_accepted(client, order,
                                                                  supplier_user,
                                                                  recipient_user):
    client.force_login(supplier_user)
    shown = order.version  # the supplier's page shows 1,200 € TTC
    client.force_login(recipient_user)
    edit_url = reverse("invoicing:engagement_edit", args=[order.pk])
    client.post(edit_url, {**form_data(number="", amount_ht="90000", amount_ttc="108000"),
                           "version": order.version})
    order.refresh_from_db()
    assert order.amount_ttc == D("108000")
    client.force_login(supplier_user)
    stale = client.post(reverse("invoicing:order_accept", args=[order.pk]), {"version": shown})
    assert stale.status_code == 400 and "CORE_CONFLICT" in text(stale)
    order.refresh_from_db()
    assert order.state == State.COMMANDE


def test_supplier_refuses_through_the_portal(client, order, supplier_user):
    client.force_login(supplier_user)
    refuse_url = reverse("invoicing:order_refuse", args=[order.pk])
    empty = client.post(refuse_url, {"refuser-reason": "", "version": order.version})
    assert empty.status_code == 400 and "INV_ENGAGEMENT_REASON_REQUIRED" in text(empty)
    refused = client.post(refuse_url, {"refuser-reason": "Hors de notre catalogue",
                                       "version": order.version})
    assert refused.status_code == 302
    order.refresh_from_db()
    assert order.state == State.REFUSE and order.state_reason == "Hors de notre catalogue"


def test_portal_pages_of_others_are_not_found(client, order, supplier_user, recipient_user):
    client.force_login(supplier_user)
    for name in ("engagement_detail", "engagement_edit"):
        assert client.get(reverse(f"invoicing:{name}", args=[order.pk])).status_code == 404
    assert client.post(reverse("invoicing:engagement_inactivate", args=[order.pk]),
                       {"inactiver-reason": "x"}).status_code == 404
    client.force_login(recipient_user)
    assert client.get(reverse("invoicing:order_detail", args=[order.pk])).status_code == 404
    assert client.post(reverse("invoicing:order_accept", args=[order.pk])).status_code == 404
    order.refresh_from_db()
    assert order.state == State.COMMANDE


def test_create_page_for_who_may_create_nothing_or_chooses(client, user, buyer,
                                                           recipient_user, other_recipient):
    client.force_login(user)
    page = client.get(reverse("invoicing:engagement_create"))
    assert page.status_code == 200 and "aucune structure" in text(page)
    assert client.get(reverse("invoicing:engagement_create"),
                      {"structure": buyer.pk}).status_code == 404
    # A user of two public structures chooses first.
    run(org.attach_user, Rattachement.objects.get(structure=other_recipient).user,
        other_recipient, recipient_user.email, gestionnaire=True)
    run(org.set_espace_open, recipient_user, other_recipient, Espace.ENGAGEMENTS, True)
    client.force_login(recipient_user)
    choice = text(client.get(reverse("invoicing:engagement_create")))
    assert f"?structure={other_recipient.pk}" in choice and f"?structure={buyer.pk}" in choice
    created = client.post(reverse("invoicing:engagement_create") +
                          f"?structure={other_recipient.pk}", form_data(service_code=""))
    assert created.status_code == 302
    assert Engagement.objects.get().structure == other_recipient
