"""Training packs: content/packs/<id>.yaml, checked like every other source file.

A pack names the chapters taught in one session, in order; `sopress handout --pack ID` makes one
PDF of them with a cover, the handouts and a training record to sign.
"""

from __future__ import annotations

from sopress.config import read_pack_manifest
from sopress.diagnostics import Diagnostics, Location, suggest
from sopress.model import Pack, ResolvedBook
from sopress.yamlread import SLUG

PACKS_FOLDER = "packs"


def read_packs(resolved: ResolvedBook, diags: Diagnostics) -> tuple[Pack, ...]:
    book = resolved.book
    chapters = {ch.id for _, ch in book.chapters()}
    packs = []
    for path in sorted((book.content / PACKS_FOLDER).glob("*.yaml")):
        if not SLUG.match(path.stem):
            diags.error("bad-id", f"a pack's file name is its id: '{path.stem}' must be a slug of lower-case "
                                  "letters, digits and single hyphens", Location(path))
            continue
        manifest = read_pack_manifest(path, diags)
        if manifest is None:
            continue
        seen: set[str] = set()
        for index, chapter_id in enumerate(manifest.chapters):
            where = manifest.places[f"chapters[{index}]"]
            if chapter_id not in chapters:
                diags.error("unknown-target", f"no chapter has the id '{chapter_id}'{suggest(chapter_id, chapters)}",
                            where)
            elif chapter_id in seen:
                diags.error("duplicate-id", f"'{chapter_id}' is in this pack twice", where)
            seen.add(chapter_id)
        packs.append(Pack(path.stem, manifest.title, manifest.date or book.config.date, manifest.description,
                          manifest.chapters, path))
    return tuple(packs)
