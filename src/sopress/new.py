"""`sopress new`: a small project that builds as it is, to start writing SOPs from.

The chapters, the house sheet and the Makefile are package files (sopress/starter/); only
book.yaml is written here, because it carries the project's own name and today's date.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import yaml

from sopress.diagnostics import Diagnostics, Location, SopressError
from sopress.importer.project import today
from sopress.load import slug

STARTER = Path(__file__).parent / "starter"
RENAMED = {"gitignore": ".gitignore"}  # kept under another name in the package, so packaging tools keep it


def new_project(folder: Path) -> list[Path]:
    """Write the starter project into `folder` (new or empty); returns the files written."""
    folder = Path(folder)
    if folder.exists() and (not folder.is_dir() or any(folder.iterdir())):
        diags = Diagnostics()
        diags.error("new-target", f"'{folder}' is not an empty folder: sopress new only writes into a new one",
                    Location(folder))
        raise SopressError(diags.sorted())
    written = []
    for source in sorted(p for p in STARTER.rglob("*") if p.is_file()):
        relative = source.relative_to(STARTER)
        target = folder / relative.with_name(RENAMED.get(relative.name, relative.name))
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(source, target)
        written.append(target)
    book = folder / "content" / "book.yaml"
    book.write_text(_book_yaml(folder.resolve().name), encoding="utf-8")
    return sorted(written + [book])


def _book_yaml(name: str) -> str:
    words = name.replace("-", " ").replace("_", " ").strip() or "Operations Manual"
    config = {
        "id": slug(name) or "operations-manual",
        "title": words.title(),
        "author": "Your Name",
        "language": "en",
        "date": today(),
        "volumes": ["volume-1"],
    }
    return ("# The set: its title, author and volumes. Every key: docs/authoring.md.\n"
            + yaml.safe_dump(config, sort_keys=False, allow_unicode=True))
