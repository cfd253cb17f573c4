"""Per-language formats (FORMAT_MODULE_PATH): `29 Nov 2026`, `1.234.567`."""
