"""Complaint categories and renovation items: shipped as data, extended by staff.

The bundled `data/categories.json` holds the categories of DOMAIN.md (with keywords for
suggesting one from a resident's text, and an urgency flag that picks the shorter time
limits) and the renovation items by class (基础类 / 完善类 / 提升类). Staff add or change
entries without code: a JSON file of the same shape, named by RESIDENT_BOT_CATEGORIES_FILE,
is merged over the bundled one, entry by entry (same `key` replaces fields, a new key is
appended, `"disabled": true` removes one).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import timedelta
from importlib import resources
from pathlib import Path
from typing import Any

ENV_VAR = "RESIDENT_BOT_CATEGORIES_FILE"
OTHER = "other"


class CatalogError(ValueError):
    """The categories file is not what it should be (the message says where)."""


@dataclass(frozen=True)
class Limits:
    """Time limits: to the first response, and to resolution."""

    first_response: timedelta
    resolve: timedelta


@dataclass(frozen=True)
class Category:
    key: str
    label: str
    keywords: tuple[str, ...]
    urgent: bool
    limits: Limits


@dataclass(frozen=True)
class RenovationItem:
    key: str
    label: str
    klass: str  # the class key: basic / improvement / upgrade
    klass_label: str  # 基础类 / 完善类 / 提升类


@dataclass(frozen=True)
class RenovationClass:
    key: str
    label: str
    items: tuple[RenovationItem, ...]


@dataclass(frozen=True)
class Catalog:
    categories: tuple[Category, ...]
    classes: tuple[RenovationClass, ...]

    def category(self, key: str) -> Category | None:
        return next((c for c in self.categories if c.key == key), None)

    def label(self, key: str) -> str:
        """A category's label; the key itself for one no longer in the catalog."""
        found = self.category(key)
        return found.label if found else key

    def by_label(self, text: str) -> Category | None:
        """A category by key or by label (as staff type it on the command line)."""
        wanted = text.strip()
        return next((c for c in self.categories if wanted in (c.key, c.label)), None)

    def item(self, key: str) -> RenovationItem | None:
        return next((i for k in self.classes for i in k.items if i.key == key), None)

    @property
    def items(self) -> tuple[RenovationItem, ...]:
        return tuple(i for k in self.classes for i in k.items)


def _bundled() -> dict[str, Any]:
    text = (resources.files("knowledge.tickets") / "data" / "categories.json").read_text(
        encoding="utf-8"
    )
    data: dict[str, Any] = json.loads(text)
    return data


def _read(path: Path) -> dict[str, Any]:
    try:
        data = json.loads(path.read_text(encoding="utf-8-sig"))
    except OSError as exc:
        raise CatalogError(f"{path}: 无法读取 / cannot read: {exc}") from exc
    except json.JSONDecodeError as exc:
        raise CatalogError(f"{path}: 不是有效的 JSON / not valid JSON: {exc}") from exc
    if not isinstance(data, dict):
        raise CatalogError(f"{path}: 顶层应为对象 / the top level must be an object")
    return data


def _merge_entries(
    base: Iterable[Mapping[str, Any]], extra: Iterable[Any], where: str
) -> list[dict[str, Any]]:
    merged = [dict(e) for e in base]
    for entry in extra:
        if not isinstance(entry, dict) or not isinstance(entry.get("key"), str):
            raise CatalogError(f"{where}: 每一项都需要 key / every entry needs a string key")
        found = next((m for m in merged if m["key"] == entry["key"]), None)
        if entry.get("disabled"):
            if found is not None:
                merged.remove(found)
        elif found is None:
            merged.append(dict(entry))
        else:
            found.update(entry)
    return merged


def merge(base: Mapping[str, Any], extra: Mapping[str, Any]) -> dict[str, Any]:
    """`extra` over `base`: limits field by field, categories and classes by key (items of
    a class by key too)."""
    out: dict[str, Any] = dict(base)
    for section in ("defaults", "urgent"):
        out[section] = {**base.get(section, {}), **extra.get(section, {})}
    out["categories"] = _merge_entries(
        base.get("categories", []), extra.get("categories", []), "categories"
    )
    classes = [dict(k) for k in base.get("renovation_classes", [])]
    for entry in extra.get("renovation_classes", []):
        if not isinstance(entry, dict) or not isinstance(entry.get("key"), str):
            raise CatalogError("renovation_classes: 每一类都需要 key / every class needs a key")
        found = next((k for k in classes if k["key"] == entry["key"]), None)
        if found is None:
            classes.append(dict(entry))
            continue
        items = _merge_entries(found.get("items", []), entry.get("items", []), entry["key"])
        found.update({k: v for k, v in entry.items() if k != "items"})
        found["items"] = items
    out["renovation_classes"] = [k for k in classes if not k.get("disabled")]
    return out


def _hours(section: Mapping[str, Any], name: str, where: str) -> float:
    value = section.get(name)
    if isinstance(value, bool) or not isinstance(value, int | float) or value <= 0:
        raise CatalogError(f"{where}.{name}: 应为正数（小时）/ must be a positive number of hours")
    return float(value)


def build(data: Mapping[str, Any]) -> Catalog:
    """A Catalog from merged JSON data; raises CatalogError naming the bad field."""
    defaults = data.get("defaults", {})
    urgent = data.get("urgent", {})
    categories: list[Category] = []
    for entry in data.get("categories", []):
        key = entry["key"]
        label = entry.get("label")
        if not isinstance(label, str) or not label.strip():
            raise CatalogError(f"categories.{key}: 需要 label / needs a label")
        keywords = entry.get("keywords", [])
        if not isinstance(keywords, list) or not all(isinstance(w, str) for w in keywords):
            raise CatalogError(f"categories.{key}.keywords: 应为文字列表 / a list of strings")
        is_urgent = bool(entry.get("urgent", False))
        base = urgent if is_urgent else defaults
        limits = {**base, **{k: v for k, v in entry.items() if k.endswith("_hours")}}
        categories.append(
            Category(
                key=key,
                label=label.strip(),
                keywords=tuple(keywords),
                urgent=is_urgent,
                limits=Limits(
                    timedelta(hours=_hours(limits, "first_response_hours", f"categories.{key}")),
                    timedelta(hours=_hours(limits, "resolve_hours", f"categories.{key}")),
                ),
            )
        )
    if not categories:
        raise CatalogError("categories: 至少需要一个类别 / at least one category")
    classes: list[RenovationClass] = []
    for klass in data.get("renovation_classes", []):
        items = tuple(
            RenovationItem(i["key"], str(i.get("label", i["key"])), klass["key"], klass["label"])
            for i in klass.get("items", [])
        )
        classes.append(RenovationClass(klass["key"], klass["label"], items))
    keys = [i.key for k in classes for i in k.items]
    if len(set(keys)) != len(keys):
        raise CatalogError("renovation_classes: 改造项目 key 重复 / duplicate item keys")
    return Catalog(tuple(categories), tuple(classes))


def load_catalog(path: Path | str | None = None) -> Catalog:
    """The bundled catalog, with the JSON file at `path` (if any) merged over it."""
    data = _bundled()
    if path is not None and str(path).strip():
        data = merge(data, _read(Path(path)))
    try:
        return build(data)
    except (KeyError, TypeError) as exc:
        raise CatalogError(f"类别文件格式不对 / malformed categories: {exc!r}") from exc


def load_from_env(env: Mapping[str, str]) -> Catalog:
    """`load_catalog` with the file named by RESIDENT_BOT_CATEGORIES_FILE, when set."""
    return load_catalog(env.get(ENV_VAR, "").strip() or None)
