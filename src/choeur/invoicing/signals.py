"""The extension point of an invoice's life: other features follow invoices without invoicing
importing them (the core imports no feature, docs/ARCHITECTURE.md "Layout").

`status_changed` is sent by `lifecycle.transition()` (and `create_many()`, once per invoice)
after the status, its history row and its notifications are written, in the caller's
transaction: a receiver writes in that transaction too (a rollback undoes both) and must
stay cheap for the invoices it does not follow. Arguments: `invoice` (its new status set),
`previous` (the status it left), `actor` (the person, technical account or None for the
system). Receivers connect in their app's `ready()` (e.g. travaux/lifecycle.py)."""

from django.dispatch import Signal

status_changed = Signal()
