from decimal import Decimal

import pytest

from core.audit.models import AuditEvent
from core.common.errors import ApplicationError
from core.yearend.models import ShuSettings
from core.yearend.selectors import shu_settings_for
from core.yearend.services import shu_settings_set
from tests.yearend.conftest import YEAR

D = Decimal
# last year, the year before and this year, whatever day the suite runs on
LAST = YEAR
TWO_AGO, THREE_AGO, THIS = YEAR - 1, YEAR - 2, YEAR + 1


def test_defaults_are_the_domain_split(in_tenant_a):
    s = shu_settings_for(year=LAST)
    assert s.pk is None
    assert s.percentages() == {
        "jasa_modal": D("25"),
        "jasa_anggota": D("25"),
        "cadangan": D("20"),
        "pengurus": D("10"),
        "pendidikan": D("10"),
        "karyawan": D("5"),
        "pembangunan": D("2.5"),
        "sosial": D("2.5"),
    }
    assert s.capital_basis == "year_end" and not s.capital_includes_sukarela


def test_settings_kept_per_year(staff):
    shu_settings_set(year=TWO_AGO, by=staff["bendahara"], pct_jasa_modal="30", pct_cadangan="15")
    shu_settings_set(year=THIS, by=staff["bendahara"], capital_basis="average")
    assert shu_settings_for(year=THREE_AGO).pk is None
    s25 = shu_settings_for(year=LAST)
    assert s25.effective_year == TWO_AGO and s25.pct_jasa_modal == D("30")
    assert s25.capital_basis == "year_end"
    s26 = shu_settings_for(year=THIS)
    assert s26.capital_basis == "average" and s26.pct_jasa_modal == D("30")  # carried over
    assert AuditEvent.objects.filter(action="yearend.settings.set").count() == 2


@pytest.mark.parametrize(
    "values, code, field",
    [
        ({"pct_jasa_modal": "26"}, "shu_percentages_not_100", "pct_jasa_modal"),
        ({"pct_sosial": "2.4"}, "shu_percentages_not_100", "pct_sosial"),
        ({"pct_sosial": "abc"}, "yearend_invalid", "pct_sosial"),
        ({"pct_sosial": "-1", "pct_cadangan": "23.5"}, "yearend_invalid", "pct_sosial"),
        ({"pct_sosial": "2.505"}, "yearend_invalid", "pct_sosial"),
        ({"rounding_unit": "7"}, "yearend_invalid", "rounding_unit"),
        ({"capital_basis": "median"}, "yearend_invalid", "capital_basis"),
        ({"payout_method": "cheque"}, "yearend_invalid", "payout_method"),
        ({"tax_rule": "shu_percent"}, "yearend_invalid", "tax_rate"),
        ({"colour": "red"}, "yearend_invalid", "colour"),
    ],
)
def test_bad_settings_refused_nothing_written(staff, values, code, field):
    with pytest.raises(ApplicationError) as e:
        shu_settings_set(year=LAST, by=staff["bendahara"], **values)
    assert e.value.code == code
    assert field in e.value.fields
    assert not ShuSettings.objects.exists()


def test_percentages_sum_is_a_database_rule(in_tenant_a):
    from django.db import IntegrityError, transaction

    with pytest.raises(IntegrityError), transaction.atomic():
        ShuSettings.objects.create(effective_year=LAST, pct_sosial=D("3"))


def test_only_treasury_sets(staff):
    with pytest.raises(ApplicationError) as e:
        shu_settings_set(year=LAST, by=staff["petugas"], pct_jasa_modal="25")
    assert e.value.status_code == 403
