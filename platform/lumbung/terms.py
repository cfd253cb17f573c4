"""The versions of Lumbung's terms of use (syarat dan ketentuan), in code.

The text is translated with gettext, so a new version is a code change: a template under
``templates/terms/`` and an entry in ``VERSIONS``, deployed before it takes effect. The
terms' §8 promises that cooperatives' admins are e-mailed a change at least
``NOTICE_DAYS`` days before it takes effect: an operator announces a registered version
in the console (``lumbung.console.terms``), and the console's overview warns while a
version close to its date is not announced, or not e-mailed to every cooperative.

The first version is the text the sign-up form linked to from 4 December 2026 (its
wording was corrected on 5 and 7 December, before versions were kept)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from django.utils import timezone

NOTICE_DAYS = 30  # the terms' §8: announced at least this many days ahead


@dataclass(frozen=True)
class TermsVersion:
    id: str  # the day it takes effect, ISO: also its address, /syarat-dan-ketentuan/<id>/
    effective_on: date
    template: str  # the text (its sections), included by public_terms.html


VERSIONS: tuple[TermsVersion, ...] = (
    TermsVersion(id="2026-12-04", effective_on=date(2026, 12, 4), template="terms/2026-12-04.html"),
)


def terms_versions() -> list[TermsVersion]:
    """Every registered version, the earliest first."""
    return sorted(VERSIONS, key=lambda v: v.effective_on)


def terms_version(version_id: str) -> TermsVersion | None:
    return next((v for v in terms_versions() if v.id == version_id), None)


def terms_in_force(*, on: date | None = None) -> TermsVersion:
    """The version in force on ``on`` (today): the latest one already effective."""
    on = on or timezone.localdate()
    effective = [v for v in terms_versions() if v.effective_on <= on]
    return effective[-1] if effective else terms_versions()[0]


def terms_upcoming(*, on: date | None = None) -> list[TermsVersion]:
    """Registered versions not yet in force on ``on`` (today), the nearest first."""
    on = on or timezone.localdate()
    return [v for v in terms_versions() if v.effective_on > on]
