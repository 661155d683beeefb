"""The main menu holds on one line at 1280 px for the user with the most entries: a platform
administrator who is also the gestionnaire of a structure with every espace open, with
unread notifications (the count lengthens an entry), in French and in English."""

import pytest
from playwright.sync_api import expect

from choeur.messaging.models import Notification
from choeur.organisations import services
from choeur.organisations.models import Espace
from tests.conftest import PASSWORD
from tests.organisations.conftest import SIRET, make_user, run
from tests.organisations.test_browser_organisation import log_in
from tests.web.screens import shoot

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

@pytest.fixture
def busiest_user(db):
    user = make_user("admin@choeur.test", first_name="Adèle", last_name="Administratrice",
                     is_superuser=True, is_staff=True)
    structure = run(services.create_private_structure, user, "SIRET", SIRET,
                    {"company_name": "ACME Fournitures"})
    for espace in Espace:
        if espace not in services.LOCKED_ESPACES:
            run(services.set_espace_open, user, structure, espace.value, True)
    Notification.objects.bulk_create(
        [Notification(user=user, kind="test", params={}) for _ in range(128)])
    return user


@pytest.mark.parametrize("language", ["fr", "en"])
def test_the_menu_fits_on_one_line_at_1280(page, busiest_user, language):
    page.set_viewport_size({"width": 1280, "height": 800})
    log_in(page, busiest_user.email, PASSWORD)
    if language == "en":
        page.get_by_label("Langue").select_option("en")
        page.get_by_role("button", name="Changer").click()
        expect(page.locator("html")).to_have_attribute("lang", "en")
    nav = page.locator("nav.main-nav")
    links = nav.get_by_role("link")
    labels = links.all_inner_texts()
    # Every entry there is is shown (the test is about the fullest menu); « Mon compte » is
    # the user's name in the header; a long count is shortened.
    assert len(labels) == 12, labels
    assert "Notifications (99+)" in labels and "Administration" in labels, labels
    account = page.locator("header").get_by_role("link", name="Adèle Administratrice")
    expect(account).to_have_attribute("href", "/mon-compte/")
    boxes = [link.bounding_box() for link in links.all()]
    tops = {round(box["y"]) for box in boxes}
    placed = [(label, round(b["x"]), round(b["width"]))
              for label, b in zip(labels, boxes, strict=True)]
    assert len(tops) == 1, f"the menu wraps: {placed}"
    height = nav.bounding_box()["height"]
    assert height <= boxes[0]["height"] + 1, height
    right = max(box["x"] + box["width"] for box in boxes)
    assert right <= 1280
    shoot(page, f"menu-1280-{language}")
