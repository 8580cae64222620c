"""The bundled catalog and a staff file merged over it."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path

import pytest

from knowledge.tickets.categories import ENV_VAR, CatalogError, load_catalog, load_from_env


def test_bundled_catalog_has_the_domain_categories() -> None:
    catalog = load_catalog()
    labels = [c.label for c in catalog.categories]
    for label in ("环境卫生", "噪音扰民", "油烟", "违章搭建", "消防隐患", "消防通道堵塞"):
        assert label in labels
    assert labels[-1] == "其他"
    assert [k.label for k in catalog.classes] == ["基础类", "完善类", "提升类"]
    lift = catalog.item("lift")
    assert lift is not None
    assert lift.label == "加装电梯"
    assert lift.klass_label == "完善类"
    assert {c.key for c in catalog.categories if c.urgent} == {"fire_hazard", "fire_lane"}


def test_staff_file_merges_over_bundled(tmp_path: Path) -> None:
    extra = tmp_path / "cats.json"
    extra.write_text(
        json.dumps(
            {
                "defaults": {"resolve_hours": 72},
                "categories": [
                    {"key": "noise", "resolve_hours": 48},
                    {"key": "pets", "label": "宠物扰民", "keywords": ["狗叫", "养狗"]},
                    {"key": "cooking_fumes", "disabled": True},
                ],
                "renovation_classes": [
                    {"key": "basic", "items": [{"key": "mailbox", "label": "信报箱"}]},
                    {
                        "key": "green",
                        "label": "绿化类",
                        "items": [{"key": "trees", "label": "补种"}],
                    },
                ],
            },
            ensure_ascii=False,
        ),
        encoding="utf-8",
    )
    catalog = load_from_env({ENV_VAR: str(extra)})
    noise = catalog.category("noise")
    assert noise is not None
    assert noise.label == "噪音扰民"
    assert noise.limits.resolve == timedelta(hours=48)
    sanitation = catalog.category("sanitation")
    assert sanitation is not None
    assert sanitation.limits.resolve == timedelta(hours=72)
    fire = catalog.category("fire_hazard")
    assert fire is not None
    assert fire.limits.resolve == timedelta(hours=24)
    assert catalog.category("pets") is not None
    assert catalog.category("cooking_fumes") is None
    assert catalog.item("mailbox") is not None
    assert catalog.item("water") is not None
    assert [k.label for k in catalog.classes][-1] == "绿化类"


def test_no_env_var_means_bundled() -> None:
    assert load_from_env({}) == load_catalog()


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("{not json", "JSON"),
        ("[]", "对象"),
        ('{"categories": [{"label": "x"}]}', "key"),
        ('{"categories": [{"key": "x"}]}', "label"),
        ('{"defaults": {"first_response_hours": -1}}', "正数"),
    ],
)
def test_bad_files_say_what_is_wrong(tmp_path: Path, content: str, message: str) -> None:
    path = tmp_path / "bad.json"
    path.write_text(content, encoding="utf-8")
    with pytest.raises(CatalogError, match=message):
        load_catalog(path)


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(CatalogError, match="无法读取"):
        load_catalog(tmp_path / "nope.json")
