"""The invoicing portal pages, one module per page family."""
