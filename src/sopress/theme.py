"""Themes: Jinja templates and CSS shipped inside the package, each with a contract (theme.yaml).

A theme declares its parent (templates it does not have come from there), the fonts its PDFs are
set in (from installed font packages, never the machine's), the ids the code relies on, and the
words sopress writes outside the templates. A project's own templates/ folder overrides any
template by name. A template that breaks the contract is a located error before layout, never
wrong page numbers after it.
"""

from __future__ import annotations

import importlib.util
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Mapping

import jinja2

from sopress.config import ThemeManifest, read_theme_manifest
from sopress.diagnostics import Diagnostics, Location
from sopress.numerals import roman

THEMES = Path(__file__).parent / "themes"
MANIFEST = "theme.yaml"


@dataclass(frozen=True)
class Font:
    family: str
    weight: int
    style: str
    path: Path

    @property
    def url(self) -> str:
        return self.path.as_uri()


@dataclass(frozen=True)
class Theme:
    name: str
    folders: tuple[Path, ...]  # this theme's folder, then its parent's, and so on
    fonts: tuple[Font, ...]
    required_ids: Mapping[str, tuple[str, ...]]  # template name -> ids it must write
    labels: Mapping[str, str]
    manifest: Path

    @property
    def folder(self) -> Path:
        return self.folders[0]

    @property
    def font_dirs(self) -> tuple[Path, ...]:
        return tuple(sorted({font.path.parent for font in self.fonts}))

    def label(self, name: str) -> str:
        return self.labels.get(name, name.replace("_", " ").capitalize())


def available_themes() -> list[str]:
    return sorted(p.name for p in THEMES.iterdir() if (p / MANIFEST).is_file())


def load_theme(name: str, where: Location, diags: Diagnostics) -> Theme | None:
    """The theme `name` with its parents; problems with it are reported (at `where` for an unknown name)."""
    chain: list[tuple[Path, ThemeManifest]] = []
    while name:
        folder = THEMES / name
        if not (folder / MANIFEST).is_file() or any(folder == f for f, _ in chain):
            known = ", ".join(available_themes())
            diags.error("unknown-theme", f"no theme '{name}'; available: {known}", where)
            return None
        manifest = read_theme_manifest(folder / MANIFEST, diags)
        if manifest is None:
            return None
        chain.append((folder, manifest))
        where, name = manifest.places.get("parent", where), manifest.parent
    fonts, required, labels = None, {}, {}
    for folder, manifest in reversed(chain):  # parents first: a theme overrides what it inherits
        if manifest.fonts:
            fonts = tuple(_font(face, folder / MANIFEST, manifest, index, diags)
                          for index, face in enumerate(manifest.fonts))
        required.update(manifest.required_ids)
        labels.update(manifest.labels)
    return Theme(chain[0][0].name, tuple(f for f, _ in chain), tuple(f for f in fonts or () if f), required, labels,
                 chain[0][0] / MANIFEST)


def _font(face, manifest_path: Path, manifest: ThemeManifest, index: int, diags: Diagnostics) -> Font | None:
    spec = importlib.util.find_spec(face.package)
    path = Path(spec.origin).parent / face.file if spec and spec.origin else None
    if path is None or not path.is_file():
        diags.error("missing-font", f"font '{face.file}' of the package '{face.package}' is not installed; "
                                    "install the package (pip) or change the theme's fonts",
                    manifest.places.get("fonts", Location(manifest_path)))
        return None
    return Font(face.family, face.weight, face.style, path)


def make_environment(root: Path, theme: Theme, bytecode_cache: Path | None = None) -> jinja2.Environment:
    """Templates in the project's templates/ override the theme's, name by name.

    With `bytecode_cache`, a folder, templates are compiled once, not in every run (compiling them is
    about a tenth of a second of a single handout's wait); Jinja compiles again a template that changed.
    """
    theme_loader = jinja2.FileSystemLoader([str(f) for f in theme.folders])
    loaders: list[jinja2.BaseLoader] = []
    if (root / "templates").is_dir():
        loaders.append(jinja2.FileSystemLoader(root / "templates"))
    # "!name" always means the theme's own template, so an override can extend what it replaces (as in Sphinx).
    loaders += [theme_loader, jinja2.PrefixLoader({"": theme_loader}, delimiter="!")]
    env = jinja2.Environment(
        loader=jinja2.ChoiceLoader(loaders),
        undefined=jinja2.StrictUndefined,
        # Markup is escaped; stylesheets are not markup (an escaped quote breaks a CSS string).
        autoescape=jinja2.select_autoescape(disabled_extensions=("css",), default_for_string=True, default=True),
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
        bytecode_cache=_bytecode_cache(bytecode_cache) if bytecode_cache else None,
    )
    env.filters["roman"] = roman
    return env


def _bytecode_cache(folder: Path) -> jinja2.FileSystemBytecodeCache:
    folder.mkdir(parents=True, exist_ok=True)
    return jinja2.FileSystemBytecodeCache(str(folder))


def check_contract(theme: Theme, env: jinja2.Environment, template: str, html: str, diags: Diagnostics,
                   needed: tuple[str, ...] = ()) -> None:
    """Every id the contract (or the code, `needed`) names for `template` is in what it rendered."""
    for identifier in dict.fromkeys((*theme.required_ids.get(template, ()), *needed)):
        if not re.search(rf'\sid="{re.escape(identifier)}"', html):
            source = Path(env.get_template(template).filename or theme.manifest)
            diags.error("theme-contract",
                        f"the template '{template}' must write an element with id=\"{identifier}\" "
                        f"(the contract in {theme.manifest.parent.name}/{MANIFEST}): the code relies on it",
                        Location(source))
