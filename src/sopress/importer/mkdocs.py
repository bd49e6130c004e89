"""MkDocs (and Material for MkDocs): mkdocs.yml's metadata and its `nav`, or the docs folder's own order."""

from __future__ import annotations

from pathlib import Path

import yaml

from sopress.diagnostics import Diagnostics, Location
from sopress.importer.toc import NavItem, SourceBook
from sopress.yamlread import Located

INDEX_PAGES = ("index.md", "README.md")


class _TolerantLoader(yaml.SafeLoader):
    """mkdocs.yml names Python objects (`!!python/name:...`) and environment variables (`!ENV`): read past them."""


_TolerantLoader.add_multi_constructor("", lambda loader, suffix, node: None)


def read_mkdocs(source: Path, diags: Diagnostics) -> SourceBook | None:
    config = source / "mkdocs.yml"
    if not config.is_file():
        config = source / "mkdocs.yaml"
    if not config.is_file():
        diags.error("missing-file", "no mkdocs.yml here: is SOURCE the folder of a MkDocs project?", Location(config))
        return None
    try:
        node = yaml.compose(config.read_text(encoding="utf-8"), Loader=_TolerantLoader)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        diags.error("yaml", f"invalid YAML: {getattr(exc, 'problem', None) or exc}",
                    Location(config, mark.line + 1 if mark else 1, mark.column + 1 if mark else 1))
        return None
    if not isinstance(node, yaml.MappingNode):
        diags.error("yaml", "expected a mapping of keys to values", Location(config))
        return None
    doc = Located(node, config, 0, diags)
    docs = source / _scalar(doc, "docs_dir", "docs")
    if "nav" in doc.values:
        nav = tuple(_nav_items(doc, doc.values["nav"], docs, diags))
    else:
        nav = tuple(_folder_nav(docs, docs, config))
    theme = doc.values.get("theme")
    language = "en"
    if isinstance(theme, yaml.MappingNode):
        language = _scalar(Located(theme, config, 0, diags), "language", "en")
    return SourceBook(
        tool="mkdocs", root=source, docs=docs, title=_scalar(doc, "site_name", source.name),
        author=_scalar(doc, "site_author", ""), language=language, copyright=_scalar(doc, "copyright", ""),
        nav=nav, config=config,
    )


def _scalar(doc: Located, name: str, default: str) -> str:
    node = doc.values.get(name)
    return str(node.value).strip() or default if isinstance(node, yaml.ScalarNode) else default


def _nav_items(doc: Located, node: yaml.Node, docs: Path, diags: Diagnostics) -> list[NavItem]:
    if not isinstance(node, yaml.SequenceNode):
        diags.error("bad-value", "'nav' must be a list", doc.loc(node))
        return []
    items = []
    for entry in node.value:
        title, value = "", entry
        if isinstance(entry, yaml.MappingNode) and len(entry.value) == 1:
            title, value = str(entry.value[0][0].value), entry.value[0][1]
        location = doc.loc(entry)
        if isinstance(value, yaml.SequenceNode):
            items.append(NavItem(title, None, tuple(_nav_items(doc, value, docs, diags)), location))
        elif isinstance(value, yaml.ScalarNode) and "://" in str(value.value):
            diags.warning("import-skipped", f"'{title}' links to a web page, not a page of the book: left out",
                          location)
        elif isinstance(value, yaml.ScalarNode) and str(value.value).strip():
            items.append(NavItem(title, docs / str(value.value).strip(), (), location))
        else:
            diags.warning("import-skipped", "a nav entry must be a page, 'Title: page.md' or 'Title: [entries]': "
                          "left out", location)
    return items


def _folder_nav(folder: Path, docs: Path, config: Path) -> list[NavItem]:
    """MkDocs' order without a nav: index first, then the other pages by name, then each subfolder as a section."""
    location = Location(config)
    pages = sorted(folder.glob("*.md"), key=lambda p: (p.name not in INDEX_PAGES, p.name))
    items = [NavItem("", page, (), location) for page in pages]
    for sub in sorted(p for p in folder.iterdir() if p.is_dir() and not p.name.startswith(".")):
        children = _folder_nav(sub, docs, config)
        if children:
            title = sub.name.replace("-", " ").replace("_", " ").capitalize()
            items.append(NavItem(title, None, tuple(children), location))
    return items
