"""`choeur.formats`: read, validate and write invoices (Factur-X, UBL 2.1, CII D16B, PDF).

A pure library: no Django import. Every deposit channel (portal, API, flux) calls it.
"""

from choeur.formats.engine import Engine, default_engine
from choeur.formats.findings import Finding, Layer, Report, Severity
from choeur.formats.readers import ReadError, read

__all__ = ["Engine", "Finding", "Layer", "ReadError", "Report", "Severity", "default_engine",
           "read", "validate"]


def validate(data: bytes, filename: str = "") -> Report:
    """Validate one invoice file with the process's engine."""
    return default_engine().validate(data, filename)
