"""Whether the current schema is a practice copy of a cooperative ("Ruang latihan",
``tenants.practice``). ``core`` learns it from the tenant on the connection, which
django-tenants sets for every request and every ``schema_context``; it never imports
``tenants``. Used to mark the documents a practice copy produces (PDF, XLSX) LATIHAN."""

from django.db import connection

PRACTICE_MARK = "LATIHAN"
PRACTICE_COLOUR = "7B1FA2"  # the practice banner's purple (lumbung.css); no real page uses it


def in_practice_copy() -> bool:
    return bool(getattr(getattr(connection, "tenant", None), "is_practice", False))
