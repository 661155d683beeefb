from django.contrib import admin

from choeur.core.admin import ReadOnlyAdmin
from choeur.invoicing.models import InterestRate


@admin.register(InterestRate)
class InterestRateAdmin(ReadOnlyAdmin):
    """The ECB rate table is changed on its own page (/administration/taux-bce/), which
    checks the whole table (no gap, no overlap): read only here."""

    list_display = ("valid_from", "valid_until", "ecb_rate", "updated_at")
