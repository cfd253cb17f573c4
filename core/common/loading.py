"""Cheaper loading of model instances from query rows.

Django's ``Model.from_db`` builds each instance through ``Model.__init__``: one
``setattr`` per field through its descriptor, the ``pre_init``/``post_init`` signals,
keyword handling. For a row read from the database none of that changes the result: the
instance is its field values in ``__dict__`` and a ``ModelState`` saying it came from
that database. Payroll batches read thousands of loans, instalments, savings accounts
and members per transaction, and the 5,000-member list reads a page of members per
request: there the per-field work was a sixth of the worker's Python time.

``FastFromDb`` is a mixin for concrete models whose rows are loaded that way: it builds
the same instance (same ``__dict__``, same ``_state.adding``/``_state.db``; fields not
loaded stay deferred, as ``only()``/``defer()`` leave them) without ``__init__``. It
falls back to Django's own ``from_db`` when a receiver listens to ``pre_init`` or
``post_init`` for the model (they expect ``__init__`` to run), and it is only used by
models that define no ``__init__`` of their own (``tests/common/test_loading.py`` holds
both and compares the instances with Django's).
"""

from __future__ import annotations

from django.db.models import signals
from django.db.models.base import ModelState


class FastFromDb:
    """Mixin (before ``models.Model``): ``from_db`` without ``__init__``."""

    @classmethod
    def from_db(cls, db, field_names, values):
        # no receiver at all (the usual case): not asked per model and row
        # (``has_listeners`` walks the signal's sender cache: a tenth of the time of
        # loading 100,000 rows)
        if (signals.pre_init.receivers or signals.post_init.receivers) and (
            signals.pre_init.has_listeners(cls) or signals.post_init.has_listeners(cls)
        ):
            return super().from_db(db, field_names, values)  # type: ignore[misc]
        new = cls.__new__(cls)
        d = new.__dict__
        # ``field_names`` are the loaded fields' attnames in the model's field order,
        # ``values`` theirs (Django's own from_db relies on the same order)
        d.update(zip(field_names, values, strict=True))
        state = ModelState()
        state.adding = False
        state.db = db
        d["_state"] = state
        return new
