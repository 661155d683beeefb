import pytest
from django.utils import translation

from choeur.core import errors


def test_every_error_has_a_unique_code_and_both_languages():
    catalogue = errors.catalogue()
    codes = [e.code for e in catalogue]
    assert len(codes) == len(set(codes))
    for error in catalogue:
        assert error.code.isupper() and " " not in error.code
        assert error.message_fr and error.message_en and error.message_fr != error.message_en
        assert 400 <= error.http_status < 600


def test_message_follows_the_active_language():
    error = errors.NotFound(object_label="Structure")
    with translation.override("fr"):
        assert error.message() == "Structure introuvable, ou vous n'y avez pas accès."
    with translation.override("en"):
        assert error.message() == "Structure not found, or you have no access to it."
    assert error.as_dict()["code"] == "CORE_NOT_FOUND"


def test_duplicate_code_refused():
    with pytest.raises(TypeError, match="CORE_NOT_FOUND"):

        class Twin(errors.ChoeurError):
            code = "CORE_NOT_FOUND"
            message_fr = "x"
            message_en = "y"


def test_messages_in_both_languages_required():
    with pytest.raises(TypeError):

        class Half(errors.ChoeurError):
            code = "TEST_HALF"
            message_fr = "seulement en français"
