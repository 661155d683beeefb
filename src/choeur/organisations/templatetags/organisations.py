from django import template

from choeur.organisations.models import Rattachement

register = template.Library()


@register.inclusion_tag("organisations/_account_rattachements.html", takes_context=True)
def my_rattachements(context):
    """« Mes rattachements » on the Mon compte page."""
    user = context["request"].user
    rattachements = (
        Rattachement.objects.filter(user=user, status__in=Rattachement.OPEN_STATUSES)
        .select_related("structure")
        .order_by("structure__company_name")
    )
    return {"rattachements": rattachements}
