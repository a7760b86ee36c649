"""Ship the templates, static files and compiled translations inside the `meeting_hub` package.

They sit at the top of the checkout (templates/, static/, translations/), where `make run` serves them; an installed
wheel carries them as `meeting_hub/templates`, `meeting_hub/static` and `meeting_hub/translations`, and
`meeting_hub.resources` finds them in either place. Everything else is in pyproject.toml.
"""

from setuptools import find_namespace_packages, setup

#: Top-level folders shipped as sub-packages of meeting_hub, with the files each carries.
SHIPPED_FOLDERS = {
    "templates": ["*.html"],
    "static": ["*.css", "*.js", "*.svg", "*.ico", "*.png", "*.ttf", "*.woff2", "LICENSE*", "*.webmanifest"],
    "translations": ["*.mo"],
}


def _packages_and_data() -> tuple[list[str], dict[str, str], dict[str, list[str]]]:
    packages = find_namespace_packages(include=["meeting_hub", "meeting_hub.*"])
    package_dir = {}
    package_data = {"meeting_hub.migrations": ["alembic.ini", "script.py.mako"]}
    for folder, patterns in SHIPPED_FOLDERS.items():
        package = f"meeting_hub.{folder}"
        package_dir[package] = folder
        for sub_package in [package, *(f"{package}.{name}" for name in find_namespace_packages(where=folder))]:
            packages.append(sub_package)
            package_data[sub_package] = patterns
    return packages, package_dir, package_data


packages, package_dir, package_data = _packages_and_data()
setup(packages=packages, package_dir=package_dir, package_data=package_data)
