"""The house sheet: the company's own names and numbers (content/house.yaml), used throughout.

Chapters print a value with Quarto's shortcode `{{< var key >}}`; a table (a mapping with
`columns` and `rows`) prints whole when its shortcode stands alone in a paragraph. The sheet is
read once at load time into flat, dotted keys, each with its place in the YAML file, so that
unknown keys, wrong types and unused keys can all be reported where they are.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Union

import yaml

from sopress.yamlread import compose_mapping
from sopress.diagnostics import Diagnostics, Location, suggest
from sopress.sources import read_source

HOUSE_FILE = "house.yaml"
SHORTCODE = re.compile(r"\{\{<\s*var\s+([^\s>]*)\s*>\}\}")
KEY = re.compile(r"^[A-Za-z][A-Za-z0-9_-]*$")
IMAGE_SUFFIXES = (".svg", ".png", ".jpg", ".jpeg")

# The theme prints these on the title and copyright pages and on handouts; each must be text.
COMPANY_KEYS = ("name", "short_name", "address", "phone", "support_phone", "support_email", "billing_email",
                "website", "logo")


@dataclass(frozen=True)
class Table:
    """A structured value printed as a table: column labels and rows of cells, in sheet order."""

    caption: str
    columns: tuple[tuple[str, str], ...]  # (key, label)
    rows: tuple[tuple[str, tuple[str, ...]], ...]  # (row key, cells in column order)


Value = Union[str, Table, None]  # None: a group of other keys (a mapping that is not a table)


@dataclass(frozen=True)
class Company:
    """What the theme needs to know about the company whose manual this is."""

    name: str = ""
    short_name: str = ""
    address: str = ""
    phone: str = ""
    support_phone: str = ""
    support_email: str = ""
    billing_email: str = ""
    website: str = ""
    logo: Path | None = None


@dataclass(frozen=True)
class HouseSheet:
    path: Path | None = None
    values: dict[str, Value] = field(default_factory=dict)  # dotted key -> value
    locations: dict[str, Location] = field(default_factory=dict)
    company: Company = Company()

    def __bool__(self) -> bool:
        return bool(self.values)

    def for_templates(self) -> dict:
        """Nested dicts of the plain values, as `house.hours.business` in a template."""
        tree: dict = {}
        for key, value in self.values.items():
            if isinstance(value, str):
                *groups, last = key.split(".")
                node = tree
                for group in groups:
                    node = node.setdefault(group, {})
                node[last] = value
        return tree

    def unknown(self, key: str) -> str:
        """The message for a key the sheet does not have, with the closest ones."""
        where = f"in {self.path.name}" if self.path else f"(there is no content/{HOUSE_FILE})"
        printable = [k for k, v in self.values.items() if v is not None]
        return f"no house value '{key}' {where}{suggest(key, printable)}"

    def misuse(self, key: str, inline: bool) -> str | None:
        """Why a known key cannot print where it stands, or None when it can."""
        value = self.values[key]
        if value is None:
            members = ", ".join(k for k in self.values if k.startswith(key + ".") and k.count(".") == key.count(".") + 1)
            return f"'{key}' is a group of values, not one: name one of {members}"
        if isinstance(value, Table) and inline:
            return f"'{key}' is a table: it prints only as a paragraph of its own"
        return None


@dataclass
class HouseUses:
    """Which keys the sources used, over a whole run, to find the ones nothing uses."""

    keys: set[str] = field(default_factory=set)

    def add(self, key: str) -> None:
        self.keys.add(key)

    def unused(self, sheet: HouseSheet) -> list[str]:
        """Plain values and whole tables that nothing uses (a table is used when any of its cells is)."""

        def used(key: str) -> bool:
            return any(u == key or u.startswith(key + ".") or key.startswith(u + ".") for u in self.keys)

        tables = [k for k, v in sheet.values.items() if isinstance(v, Table)]
        theme_keys = {f"company.{name}" for name in COMPANY_KEYS}
        candidates = [k for k, v in sheet.values.items() if v is not None and k not in theme_keys
                      and not any(k.startswith(t + ".") for t in tables)]
        return [k for k in candidates if not used(k)]


def read_house_sheet(content: Path, diags: Diagnostics) -> HouseSheet:
    """The sheet at content/house.yaml; an empty one when the project has none."""
    path = content / HOUSE_FILE
    if not path.is_file():
        return HouseSheet()
    text = read_source(path, diags)
    doc = compose_mapping(text, path, 0, diags) if text is not None else None
    if doc is None:
        return HouseSheet(path)
    reader = _SheetReader(path, diags)
    reader.mapping(doc.node, "")
    company = _company(reader, content, diags)
    return HouseSheet(path, reader.values, reader.locations, company)


def expand(text: str, sheet: HouseSheet) -> tuple[str, list[tuple[str, str | None]]]:
    """Plain text (a title, a summary) with its shortcodes replaced; (key, problem) per shortcode."""
    uses: list[tuple[str, str | None]] = []

    def replace(match: re.Match) -> str:
        key = match.group(1)
        if key not in sheet.values:
            uses.append((key, sheet.unknown(key)))
            return match.group(0)
        problem = sheet.misuse(key, inline=True)
        uses.append((key, problem))
        value = sheet.values[key]
        return value if isinstance(value, str) else match.group(0)

    return SHORTCODE.sub(replace, text), uses


class _SheetReader:
    def __init__(self, path: Path, diags: Diagnostics):
        self.path, self.diags = path, diags
        self.values: dict[str, Value] = {}
        self.locations: dict[str, Location] = {}

    def loc(self, node: yaml.Node) -> Location:
        return Location(self.path, node.start_mark.line + 1, node.start_mark.column + 1)

    def mapping(self, node: yaml.MappingNode, prefix: str) -> None:
        for key_node, value_node in node.value:
            name = str(key_node.value)
            key = f"{prefix}{name}"
            if not KEY.match(name):
                self.diags.error("bad-key", f"house key '{name}' must start with a letter and hold only letters, "
                                            "digits, '_' and '-'", self.loc(key_node))
                continue
            self.locations[key] = self.loc(key_node)
            if isinstance(value_node, yaml.MappingNode) and _is_table(value_node):
                self.values[key] = self._table(value_node, key)
            elif isinstance(value_node, yaml.MappingNode):
                self.values[key] = None
                self.mapping(value_node, key + ".")
            else:
                # An invalid value is reported here, once; uses of its key are not errors too.
                self.values[key] = self.scalar(value_node, key) or ""

    def scalar(self, node: yaml.Node, key: str) -> str | None:
        if isinstance(node, yaml.SequenceNode):
            self.diags.error("bad-value", f"'{key}' is a list: a house value is text, a number, a group of values, "
                                          "or a table with 'columns' and 'rows'", self.loc(node))
            return None
        value = yaml.SafeLoader("").construct_object(node)  # type: ignore[no-untyped-call]
        if isinstance(value, bool) or value is None:
            self.diags.error("bad-value", f"'{key}' must be text or a number, not {'nothing' if value is None else str(value).lower()}"
                                          " (quote it to print it as written)", self.loc(node))
            return None
        if isinstance(value, dt.date):
            return value.isoformat()
        return str(value)

    def _table(self, node: yaml.MappingNode, key: str) -> Table | None:
        parts = {str(k.value): (k, v) for k, v in node.value}
        for name, (key_node, _) in parts.items():
            if name not in ("caption", "columns", "rows"):
                self.diags.error("unknown-key", f"unknown key '{name}' in the table '{key}' (a table has caption, "
                                                f"columns and rows){suggest(name, ('caption', 'columns', 'rows'))}",
                                 self.loc(key_node))
        caption = self.scalar(parts["caption"][1], f"{key}.caption") if "caption" in parts else ""
        columns_node, rows_node = parts["columns"][1], parts["rows"][1]
        if not isinstance(columns_node, yaml.MappingNode) or not isinstance(rows_node, yaml.MappingNode):
            bad = columns_node if not isinstance(columns_node, yaml.MappingNode) else rows_node
            self.diags.error("bad-value", f"the columns and rows of the table '{key}' must each be a mapping",
                             self.loc(bad))
            return None
        columns = []
        for column_key, label_node in columns_node.value:
            label = self.scalar(label_node, f"{key}.columns.{column_key.value}")
            columns.append((str(column_key.value), label or ""))
        names = [c for c, _ in columns]
        rows = []
        for row_key, row_node in rows_node.value:
            row_name = f"{key}.rows.{row_key.value}"
            self.locations[row_name] = self.loc(row_key)
            if not isinstance(row_node, yaml.MappingNode):
                self.diags.error("bad-value", f"row '{row_key.value}' of the table '{key}' must map each column "
                                              f"({', '.join(names)}) to its cell", self.loc(row_node))
                continue
            cells = {}
            for cell_key, cell_node in row_node.value:
                column = str(cell_key.value)
                if column not in names:
                    self.diags.error("unknown-key", f"'{column}' is not a column of the table '{key}'"
                                                    f"{suggest(column, names)}", self.loc(cell_key))
                    continue
                cells[column] = self.scalar(cell_node, f"{row_name}.{column}") or ""
                self.values[f"{row_name}.{column}"] = cells[column]
                self.locations[f"{row_name}.{column}"] = self.loc(cell_key)
            missing = [c for c in names if c not in cells]
            if missing:
                self.diags.error("missing-key", f"row '{row_key.value}' of the table '{key}' has no "
                                                f"{', '.join(missing)}", self.loc(row_key))
            self.values[row_name] = None
            rows.append((str(row_key.value), tuple(cells.get(c, "") for c in names)))
        return Table(caption or "", tuple(columns), tuple(rows))


def _is_table(node: yaml.MappingNode) -> bool:
    names = {str(k.value) for k, _ in node.value}
    return {"columns", "rows"} <= names


def _company(reader: _SheetReader, content: Path, diags: Diagnostics) -> Company:
    values = {}
    for name in COMPANY_KEYS:
        key = f"company.{name}"
        if key in reader.values and not isinstance(reader.values[key], str):
            diags.error("bad-value", f"'{key}' must be text", reader.locations[key])
        elif key in reader.values:
            values[name] = reader.values[key]
    logo = None
    if values.get("logo"):
        candidate = (content / values.pop("logo")).resolve()
        location = reader.locations["company.logo"]
        if not candidate.is_relative_to(content.parent.resolve()):
            diags.error("outside-project", "the company logo must be a file inside the project", location)
        elif not candidate.is_file():
            diags.error("missing-file", f"the company logo '{reader.values['company.logo']}' does not exist "
                                        "(the path is relative to content/)", location)
        elif candidate.suffix.lower() not in IMAGE_SUFFIXES:
            diags.error("bad-value", f"the company logo must be an image ({', '.join(IMAGE_SUFFIXES)})", location)
        else:
            logo = candidate
    values.pop("logo", None)
    return Company(**values, logo=logo)
