"""The RAT pack's SHU allocation table writes each AD/ART percentage as people here write
a number ("22,5%": comma decimals), in Indonesian and English screens alike, never the snapshot's JSON
text ("22.50%", which an Indonesian reader takes for 2.250)."""

from django.utils import translation

from core.yearend.rat import rat_pack_tables
from core.yearend.services import yearend_close

from .conftest import YEAR


def _allocation_pcts(year: int) -> dict[str, str]:
    [table] = [
        t
        for t in rat_pack_tables(year=year)
        if any(str(r["cells"][-2]).endswith("%") for r in t["rows"] if len(r["cells"]) == 4)
    ]
    return {str(r["cells"][1]): r["cells"][2] for r in table["rows"] if r["cells"][2]}


def test_rat_pack_percentages_in_indonesian_format(ready, staff):
    yearend_close(year=YEAR, by=staff["bendahara"])
    with translation.override("id"):
        pcts = _allocation_pcts(YEAR)
    # the default AD/ART split: 25, 25, 20, 10, 10, 5, 2,5 and 2,5
    assert pcts["Dana sosial"] == "2,5%", pcts
    assert pcts["Jasa modal (anggota)"] == "25%", pcts
    assert not any("." in v for v in pcts.values()), pcts
    with translation.override("en"):  # English screens keep the cooperative's formats
        assert "2,5%" in _allocation_pcts(YEAR).values()
