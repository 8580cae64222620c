"""Target specs: parse, canonical spec, refusals."""

from __future__ import annotations

import pytest

from knowledge.notices.targets import Target, TargetError, TargetKind


@pytest.mark.parametrize(
    ("spec", "kinds", "canonical"),
    [
        ("all", [TargetKind.ALL], "all"),
        ("ALL", [TargetKind.ALL], "all"),
        ("community:幸福小区", [TargetKind.COMMUNITY], "community:幸福小区"),
        ("building:幸福小区/3号楼", [TargetKind.BUILDING], "building:幸福小区/3号楼"),
        ("chat:-100123, 456,-100123", [TargetKind.CHATS], "chat:-100123,456"),
        ("subscribers:消防安全", [TargetKind.SUBSCRIBERS], "subscribers:消防安全"),
        (
            "community:幸福小区+subscribers:垃圾分类",
            [TargetKind.COMMUNITY, TargetKind.SUBSCRIBERS],
            "community:幸福小区+subscribers:垃圾分类",
        ),
        ("all+all", [TargetKind.ALL], "all"),
    ],
)
def test_parse(spec: str, kinds: list[TargetKind], canonical: str) -> None:
    target = Target.parse(spec)
    assert [p.kind for p in target.parts] == kinds
    assert target.spec() == canonical
    assert Target.parse(target.spec()) == target


@pytest.mark.parametrize(
    "spec",
    [
        "",
        "everyone",
        "community:",
        "building:幸福小区",
        "building:/3",
        "chat:abc",
        "chat:1,,2",
        "subscribers:",
        "group:1",
        "all+",
        "community:" + "长" * 61,
    ],
)
def test_refused(spec: str) -> None:
    with pytest.raises(TargetError):
        Target.parse(spec)


def test_builders() -> None:
    assert Target.chats([3, 1, 3]).parts[0].chat_ids == (3, 1)
    assert Target.community("幸福小区", "3").spec() == "building:幸福小区/3"
    assert Target.subscribers("消防安全").spec() == "subscribers:消防安全"
    with pytest.raises(TargetError):
        Target.chats([])
