"""Rules of the organisation feature that other features ask about."""

from choeur.organisations.models import Rattachement


def second_factor_required_by_structure(user) -> bool:
    """A gestionnaire of a structure that asks for it must log in with a second factor."""
    return Rattachement.objects.filter(
        user=user, status=Rattachement.Status.VALIDEE, role__in=Rattachement.GESTIONNAIRE_ROLES,
        structure__second_factor_for_gestionnaires=True,
    ).exists()
