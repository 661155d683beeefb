"""The extension point of an invoice's life: other features follow invoices without invoicing
importing them (the core imports no feature, docs/ARCHITECTURE.md "Layout").

`status_changed` is sent by `lifecycle.transition()` (and `create_many()`, once per invoice)
after the status, its history row and its notifications are written, in the caller's
transaction: a receiver writes in that transaction too (a rollback undoes both) and must
stay cheap for the invoices it does not follow. Arguments: `invoice` (its new status set),
`previous` (the status it left), `actor` (the person, technical account or None for the
system), `batch` (True when sent by `create_many()`, which also sends `created_many`: a
receiver that handles the batch at once ignores these). Receivers connect in their app's
`ready()` (e.g. travaux/lifecycle.py).

`created_many` is sent once by `create_many()`, after the per-invoice `status_changed`:
`invoices` (the list inserted, pks set), `status`, `previous`, `actor`, `at` — for a
receiver that writes one bulk insert per batch (reporting/facts.py).

`changed_many` is sent once by `transition_many()` (a flux's routing), after the
per-invoice `status_changed` (`batch=True`): `invoices` (their new status set), `status`,
`actor`, `at` — the batch form for the receivers that ignore the batch's `status_changed`.

`updated` is sent after `Invoice.objects.filter(...).update(...)` (any queryset update or
`bulk_update`, e.g. lifecycle's own update, a service reassigned, an amount corrected), and
the same on `StatusChange` (sender: the model), when it has listeners: `pks` (the rows the
filter matched before the update) and `fields` (the names set). `Model.save()` is followed
by Django's own `post_save`."""

from django.dispatch import Signal

status_changed = Signal()
created_many = Signal()
changed_many = Signal()
updated = Signal()
