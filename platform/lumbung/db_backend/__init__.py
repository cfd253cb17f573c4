"""Lumbung's database backend: django-tenants' backend, safe behind a transaction pooler.

Set ``ENGINE`` to ``lumbung.db_backend`` (the settings always do). See ``base.py``.
"""
