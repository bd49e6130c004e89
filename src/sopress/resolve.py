"""Resolve: one id registry for the whole set, chapter numbers, and every reference bound to a target."""

from __future__ import annotations

from pathlib import Path

from sopress.diagnostics import Diagnostics, Location, suggest
from sopress.index import build_index
from sopress.model import Book, Chapter, Document, Reference, ResolvedBook, Target


def resolve_book(book: Book, diags: Diagnostics, links: str | None = None) -> ResolvedBook:
    """`links` ('strict' or 'warn', from --links) wins over book.yaml's `links` for unknown targets."""
    lenient = (links or book.config.links) == "warn"
    registry = _Registry(diags, book.unlisted, lenient, book.failed)
    for volume in book.volumes:
        for number, chapter in enumerate(volume.chapters, 1):
            registry.add_chapter(volume.number, number, chapter)
    links: dict[Reference, Target] = {}
    for volume in book.volumes:
        for section in volume.sections:
            if section.intro is not None:
                registry.bind(section.intro, None, links)
            for chapter in section.chapters:
                registry.bind(chapter.doc, chapter, links)
    return ResolvedBook(book=book, targets=registry.targets, links=links, index=build_index(book, diags))


class _Registry:
    def __init__(self, diags: Diagnostics, unlisted: dict[str, Path], lenient: bool, failed: dict[Path, str]):
        # Links to a chapter that failed to load are not reported: its own error says what is wrong.
        self.failed_files, self.failed_ids = set(failed), {i for i in failed.values() if i}
        self.diags = diags
        self.lenient = lenient  # links: warn: a link to an unknown target is reported, but as a warning
        self.unlisted = unlisted  # chapter id -> file of chapters that no volume includes
        self.targets: dict[str, Target] = {}
        self.defined_at: dict[str, Location] = {}
        self.chapter_files: dict[Path, str] = {}
        self.slugs: dict[tuple[str, str], str] = {}  # (chapter id, heading slug) -> heading id

    def _define(self, target: Target, location: Location) -> None:
        if target.id in self.targets:
            first = self.defined_at[target.id]
            self.diags.error(
                "duplicate-id",
                f"id '{target.id}' is already used at {first.path.name}:{first.line}; ids must be unique across the set",
                location,
            )
            return
        self.targets[target.id] = target
        self.defined_at[target.id] = location

    def add_chapter(self, volume: int, number: int, chapter: Chapter) -> None:
        self._define(
            Target(chapter.id, "chapter", chapter.title, volume, chapter.id, str(number)),
            chapter.front.id_location,
        )
        self.chapter_files[chapter.path.resolve()] = chapter.id
        for heading in chapter.doc.headings:
            self._define(Target(heading.id, "heading", heading.text, volume, chapter.id), heading.location)
            self.slugs[(chapter.id, heading.slug)] = heading.id
        for anchor, location in chapter.doc.anchors:
            self._define(Target(anchor, "heading", anchor, volume, chapter.id), location)
        counters = {"figure": 0, "table": 0}
        for caption in chapter.doc.captions:
            counters[caption.kind] += 1
            label = f"{number}.{counters[caption.kind]}"
            self._define(Target(caption.id, caption.kind, caption.text, volume, chapter.id, label), caption.location)

    def bind(self, doc: Document, chapter: Chapter | None, links: dict) -> None:
        for ref in doc.references:
            if ref.file in self.failed_files or ref.fragment.split("--")[0] in self.failed_ids:
                continue
            target = self._lookup_file(ref) if ref.file is not None else self._lookup_id(ref, chapter)
            if target is not None:
                links[ref] = target
            elif ref.file is None and not self.diags.about(ref.location):
                self._unknown(f"no chapter or heading has the id '{ref.fragment}'{suggest(ref.fragment, self.targets)}",
                              ref.location)

    def _unknown(self, message: str, location: Location) -> None:
        report = self.diags.warning if self.lenient else self.diags.error
        report("unknown-target", message, location)

    def _lookup_id(self, ref: Reference, chapter: Chapter | None) -> Target | None:
        """A set-wide id, or the slug of a heading in the same chapter (as GitHub links within a file)."""
        fragment = ref.fragment
        local = self.slugs.get((chapter.id, fragment)) if chapter is not None else None
        target = self.targets.get(fragment)
        if target is not None and local is not None and local != target.id:
            self.diags.error(
                "ambiguous-target",
                f"'#{fragment}' is both the id of '{target.title}' ({target.chapter_id}) and a heading of this "
                f"chapter; write '#{target.id}' or '#{local}'",
                ref.location,
            )
            return None
        if target is None and local is not None:
            return self.targets[local]
        if target is None and fragment in self.unlisted:
            self.diags.error(
                "unlisted-target",
                f"'{fragment}' is the id of {self.unlisted[fragment].name}, which no volume includes",
                ref.location,
            )
        return target

    def _lookup_file(self, ref: Reference) -> Target | None:
        chapter_id = self.chapter_files.get(ref.file)
        if chapter_id is None:
            if ref.file.is_file():
                message = f"'{ref.href}' links to a chapter file that no volume includes"
            else:
                names = [p.name for p in self.chapter_files]
                message = f"'{ref.href}' links to a file that does not exist{suggest(ref.file.name, names)}"
            self._unknown(message, ref.location)
            return None
        if not ref.fragment:
            return self.targets[chapter_id]
        target = self.targets.get(ref.fragment)
        if target is not None and target.chapter_id == chapter_id:
            return target
        heading_id = self.slugs.get((chapter_id, ref.fragment))
        if heading_id is not None:
            return self.targets[heading_id]
        local = [slug for (cid, slug) in self.slugs if cid == chapter_id]
        self._unknown(f"chapter '{chapter_id}' has no heading '{ref.fragment}'{suggest(ref.fragment, local)}",
                      ref.location)
        return None
