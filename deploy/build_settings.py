"""Settings for building the image only (`collectstatic`): the development settings (no
secrets, no database) with the production static files storage, so the manifest of hashed
names written at build time is the one production reads."""

from lumbung.settings import *  # noqa: F403
from lumbung.settings import STORAGES

STORAGES = {
    **STORAGES,
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}
