"""Where the templates, static files and translations are: inside the installed package, or beside it in a checkout."""

from __future__ import annotations

from pathlib import Path

PACKAGE_DIR = Path(__file__).resolve().parent


def _resource_root() -> Path:
    """Return the folder holding templates/, static/ and translations/.

    A wheel ships them inside the package (setup.py); a checkout keeps them at the top of the repository.
    """
    if (PACKAGE_DIR / "templates").is_dir():
        return PACKAGE_DIR
    return PACKAGE_DIR.parent


RESOURCE_ROOT = _resource_root()
TEMPLATES_DIR = RESOURCE_ROOT / "templates"
STATIC_DIR = RESOURCE_ROOT / "static"
TRANSLATIONS_DIR = RESOURCE_ROOT / "translations"
FONTS_DIR = STATIC_DIR / "vendor" / "fonts"
