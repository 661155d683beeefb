import pytest
from django.db import transaction

from choeur.accounts import services
from choeur.accounts.models import User
from choeur.cli import main
from choeur.core.models import AuditEvent

pytestmark = pytest.mark.django_db


def test_createadmin_prints_a_generated_password_once(capsys, monkeypatch):
    monkeypatch.delenv("CHOEUR_ADMIN_EMAIL", raising=False)
    monkeypatch.delenv("CHOEUR_ADMIN_PASSWORD", raising=False)
    assert main(["createadmin", "--if-none"]) == 0
    out = capsys.readouterr().out
    password = out.split("change it after logging in): ")[1].strip()
    admin = User.objects.get(email="admin@localhost")
    assert admin.is_superuser and admin.is_staff and admin.check_password(password)
    assert password not in admin.password
    assert AuditEvent.objects.filter(action="accounts.admin_created").count() == 1
    assert main(["createadmin", "--if-none"]) == 0
    assert "already exists" in capsys.readouterr().out
    assert User.objects.count() == 1


def test_createadmin_from_environment(capsys, monkeypatch):
    monkeypatch.setenv("CHOEUR_ADMIN_EMAIL", "Chef@Example.FR")
    monkeypatch.setenv("CHOEUR_ADMIN_PASSWORD", "Un-Mot-De-Passe-Solide-7")
    assert main(["createadmin", "--if-none"]) == 0
    out = capsys.readouterr().out
    assert "Un-Mot-De-Passe-Solide-7" not in out
    assert User.objects.get(email="chef@example.fr").check_password("Un-Mot-De-Passe-Solide-7")


def test_weak_password_refused_with_the_variable_named(capsys, monkeypatch):
    monkeypatch.setenv("CHOEUR_ADMIN_PASSWORD", "123")
    assert main(["createadmin", "--email", "a@example.fr"]) == 1
    err = capsys.readouterr().err
    assert err.startswith("choeur: CHOEUR_ADMIN_PASSWORD: Password refused:")
    assert not User.objects.exists()


def test_invalid_and_duplicate_email():
    with pytest.raises(services.InvalidAdminEmail), transaction.atomic():
        services.create_admin("test", "not-an-email", "Un-Mot-De-Passe-Solide-7")
    with transaction.atomic():
        services.create_admin("test", "a@example.fr", "Un-Mot-De-Passe-Solide-7")
    with pytest.raises(services.EmailAlreadyUsed), transaction.atomic():
        services.create_admin("test", "A@example.fr", "Un-Mot-De-Passe-Solide-7")
