"""A later version of the terms registered for one test (``lumbung.terms.VERSIONS``):
no second version is shipped, so tests register their own, dated from today."""

from datetime import timedelta

from django.utils import timezone

from lumbung import terms


def register_terms_version(monkeypatch, *, days: int) -> terms.TermsVersion:
    """Register a version taking effect ``days`` days from today (its text: the first
    version's template) and return it."""
    on = timezone.localdate() + timedelta(days=days)
    version = terms.TermsVersion(
        id=on.isoformat(), effective_on=on, template=terms.VERSIONS[0].template
    )
    monkeypatch.setattr(terms, "VERSIONS", (*terms.VERSIONS, version))
    return version
