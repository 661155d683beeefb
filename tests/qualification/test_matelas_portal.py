"""Issue 15, « Générer mon matelas de données » in the portal: secrets shown once on the
answer (and in its CSV link), a second click of the same form makes no second data set, the
CSV and sample downloads afterwards (without secrets); the header's structure switcher."""

from __future__ import annotations

import base64
import csv
import io
import re
import zipfile

import pytest
from django.db import transaction
from django.urls import reverse

from choeur.invoicing.models import Invoice
from choeur.organisations import services
from choeur.qualification.models import GeneratedMatelas
from choeur.web import current_structure

pytestmark = pytest.mark.django_db


@pytest.fixture
def logged_in(client, user):
    client.force_login(user)
    return client


def _generate(client, **fields):
    page = client.get(reverse("qualification:matelas"))
    count = re.search(r'name="generated_count" value="(\d+)"', page.content.decode()).group(1)
    return client.post(reverse("qualification:matelas"),
                       {"generated_count": count, "seed": "", **fields})


def test_generation_shows_the_secrets_once_with_their_csv(qualification, logged_in, user):
    answer = _generate(logged_in, seed="77")
    body = answer.content.decode()
    assert answer.status_code == 200 and "no-store" in answer["Cache-Control"]
    secret = re.search(r'data-testid="client-secret">([^<]+)<', body).group(1)
    href = re.search(r'href="data:text/csv;charset=utf-8;base64,([^"]+)"', body).group(1)
    rows = list(csv.DictReader(io.StringIO(base64.b64decode(href).decode())))
    assert rows[0]["role"] == "fournisseur" and rows[0]["client_secret"] == secret
    assert rows[0]["token_url"] == "http://testserver/api/oauth/token"
    # Afterwards: the data set again, its CSV without the secrets.
    page = logged_in.get(reverse("qualification:matelas")).content.decode()
    assert "graine 77" in page and secret not in page
    csv_text = logged_in.get(reverse("qualification:matelas_csv")).content.decode()
    again = list(csv.DictReader(io.StringIO(csv_text)))
    assert [r["identifiant"] for r in again] == [r["identifiant"] for r in rows]
    assert again[0]["client_id"] == rows[0]["client_id"] and not again[0]["client_secret"]
    assert not again[0]["mot_de_passe_technique"]


def test_the_same_form_posted_twice_makes_one_data_set(qualification, logged_in, user):
    page = logged_in.get(reverse("qualification:matelas")).content.decode()
    form = {"generated_count": re.search(r'generated_count" value="(\d+)"', page).group(1)}
    assert logged_in.post(reverse("qualification:matelas"), form).status_code == 200
    second = logged_in.post(reverse("qualification:matelas"), form, follow=True)
    assert "déjà été généré" in second.content.decode()
    assert GeneratedMatelas.objects.filter(user=user).count() == 1


def test_a_bad_seed_is_explained_and_changes_nothing(qualification, logged_in, user):
    answer = _generate(logged_in, seed="douze")
    assert answer.status_code == 302
    page = logged_in.get(answer.url).content.decode()
    assert "QUAL_MATELAS_SEED_INVALID" in page
    assert not GeneratedMatelas.objects.exists()


def test_samples_download(qualification, logged_in):
    _generate(logged_in, seed="8")
    before = Invoice.objects.count()  # the matelas's works pieces
    answer = logged_in.get(reverse("qualification:matelas_samples"))
    archive = zipfile.ZipFile(io.BytesIO(answer.content))
    assert "index.csv" in archive.namelist() and "valide_etat_ubl.xml" in archive.namelist()
    assert Invoice.objects.count() == before  # the drafts behind the files were rolled back


def test_nothing_of_it_in_production(logged_in):
    for name in ("qualification:matelas", "qualification:matelas_csv",
                 "qualification:matelas_samples"):
        assert logged_in.get(reverse(name)).status_code == 404
    assert logged_in.post(reverse("qualification:matelas"),
                          {"generated_count": "0"}).status_code == 404
    assert not GeneratedMatelas.objects.exists()


def test_the_header_switcher_narrows_the_lists(qualification, logged_in, user,
                                              django_user_model):
    _generate(logged_in, seed="5")
    record = GeneratedMatelas.objects.get()
    supplier_id, recipient_id = record.entries[0]["structure"], record.entries[1]["structure"]
    home = logged_in.get("/").content.decode()
    assert 'data-testid="structure-switcher"' in home and "Toutes mes structures" in home
    answer = logged_in.post(reverse("switch_structure"),
                            {"structure": str(recipient_id), "next": "/factures/recues/"})
    assert answer.status_code == 302 and answer.url == "/factures/recues/"
    assert logged_in.session[current_structure.SESSION_KEY] == recipient_id
    assert f'value="{recipient_id}" selected' in logged_in.get("/").content.decode()
    # Another's structure (a forged id) is refused; an outside `next` is not followed.
    other = django_user_model.objects.create_user("autre@choeur.test", "x" * 16)
    with transaction.atomic():
        foreign = services.create_private_structure(other, "SIRET", "73282932000074",
                                                    {"company_name": "Autre SA"})
    answer = logged_in.post(reverse("switch_structure"),
                            {"structure": str(foreign.pk), "next": "https://evil.example/"})
    assert answer.url == "/"
    assert logged_in.session[current_structure.SESSION_KEY] == recipient_id
    logged_in.post(reverse("switch_structure"), {"structure": "", "next": "/"})
    assert current_structure.SESSION_KEY not in logged_in.session
    assert supplier_id != recipient_id


def test_samples_follow_what_the_user_still_manages(qualification, logged_in, user):
    """A recipient the user left is no longer offered, nor an engagement withdrawn since:
    the download still works and its index stays true."""
    from choeur.invoicing.models import Engagement
    from choeur.organisations.models import Rattachement

    _generate(logged_in, seed="9")
    entries = GeneratedMatelas.objects.get().entries
    left = next(e["structure"] for e in entries if e["variante"] == "engagement")
    Rattachement.objects.filter(user=user, structure_id=left).delete()
    both = next(e["structure"] for e in entries if e["variante"] == "code_service_et_engagement")
    withdrawn = Engagement.objects.filter(structure_id=both).order_by("pk").first()
    Engagement.objects.filter(pk=withdrawn.pk).update(state=Engagement.State.INACTIF)
    answer = logged_in.get(reverse("qualification:matelas_samples"))
    assert answer.status_code == 200
    archive = zipfile.ZipFile(io.BytesIO(answer.content))
    index = list(csv.DictReader(io.StringIO(archive.read("index.csv").decode())))
    assert {r["variante"] for r in index} - {"travaux"} == {"sans_exigence", "code_service",
                                              "code_service_et_engagement", "etat"}
    text = b"".join(archive.read(r["fichier"]) for r in index)
    assert withdrawn.number.encode() not in text
    page = logged_in.get(reverse("qualification:matelas")).content.decode()
    assert withdrawn.number not in page
