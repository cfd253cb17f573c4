"""Indonesia's provinces and their regencies/cities (tenants/data/wilayah.json)."""

import functools
import json
from pathlib import Path

DATA = Path(__file__).resolve().parent / "data" / "wilayah.json"


@functools.cache
def provinces() -> list[dict]:
    """[{"code": "62", "name": "Kalimantan Tengah", "regencies": ["Kabupaten …", …]}, …]"""
    with DATA.open(encoding="utf-8") as fh:
        return json.load(fh)["provinces"]


@functools.cache
def _by_name() -> dict[str, list[str]]:
    return {p["name"]: p["regencies"] for p in provinces()}


def province_names() -> list[str]:
    return [p["name"] for p in provinces()]


def regencies_of(province: str) -> list[str]:
    return _by_name().get(province, [])


def is_valid_place(*, province: str, regency: str) -> bool:
    return regency in regencies_of(province)
