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

import inspect

from django.db.models import signals
from django.db.models.base import ModelState
from django.db.models.fields.related_descriptors import ForeignKeyDeferredAttribute
from django.db.models.query_utils import DeferredAttribute


def _init_listened(cls) -> bool:
    """A receiver listens to ``pre_init`` or ``post_init`` for ``cls`` (asked per row:
    the signals' receiver lists are looked at first, empty unless something connected)."""
    return bool(signals.pre_init.receivers or signals.post_init.receivers) and (
        signals.pre_init.has_listeners(cls) or signals.post_init.has_listeners(cls)
    )


class FastFromDb:
    """Mixin (before ``models.Model``): ``from_db`` without ``__init__``."""

    @classmethod
    def from_db(cls, db, field_names, values):
        if _init_listened(cls):
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


def _unsaved_plan(cls) -> list | None:
    """For ``new_unsaved``: per field of ``cls`` (Django's ``__init__`` order), ``(name,
    attname, is_fk, field)``; None when a field needs ``__init__``'s own path (a
    descriptor other than Django's plain ones, a one-to-one, a composite relation)."""
    plan = _PLANS.get(cls)
    if plan is not None or cls in _PLANS:
        return plan
    plan = []
    for fl in cls._meta.fields:
        if fl.column is None or fl.generated:
            continue
        desc = inspect.getattr_static(cls, fl.attname, None)
        is_fk = fl.many_to_one and len(fl.related_fields) == 1
        if fl.is_relation and not (is_fk and not fl.one_to_one):
            plan = None
            break
        if type(desc) is not (ForeignKeyDeferredAttribute if is_fk else DeferredAttribute):
            plan = None
            break
        plan.append((fl.name, fl.attname, is_fk, fl))
    _PLANS[cls] = plan
    return plan


_PLANS: dict = {}


def new_unsaved(cls, **values):
    """``cls(**values)`` for an unsaved instance of a plain model (keyword arguments naming
    fields only: a related instance by its field's name, or its id by the attname), built
    without ``Model.__init__``'s per-field descriptor calls: each plain field's value (or
    its default) goes straight into ``__dict__``, as ``__init__``'s ``setattr`` would put
    it; a related instance goes through its descriptor as in ``__init__`` (type check,
    cache, ``_state.db``). Batches build hundreds of repayments and savings transactions
    this way. Django's ``__init__`` is used when ``cls`` defines its own, a receiver
    listens to ``pre_init``/``post_init``, or a field or argument is one this does not
    handle (``tests/core/test_loading.py`` compares the instances)."""
    plan = _unsaved_plan(cls)
    if plan is None or "__init__" in vars(cls) or _init_listened(cls):
        return cls(**values)
    new = cls.__new__(cls)
    d = new.__dict__
    d["_state"] = ModelState()
    used = 0
    related = []
    for name, attname, is_fk, fl in plan:
        if is_fk and name in values:
            related.append((name, values[name]))
            used += 1
        elif attname in values:
            d[attname] = values[attname]
            used += 1
        else:
            d[attname] = fl.get_default()
    if used != len(values):  # a property, a typo: let __init__ handle or refuse it
        return cls(**values)
    for name, obj in related:
        setattr(new, name, obj)
    return new
