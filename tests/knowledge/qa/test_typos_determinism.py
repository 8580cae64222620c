"""Typo correction and answers do not depend on PYTHONHASHSEED (set iteration order)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from knowledge.qa.tokenize import general_idf
from knowledge.qa.typos import TypoCorrector

ROOT = Path(__file__).resolve().parents[3]

# Builds a small index whose words include homophones of each other (期间/其间,
# 电梯/电题-like pairs), then prints corrections and rankings for typed questions.
_SCRIPT = r"""
import json
from knowledge.normalize import canonical
from knowledge.qa.index import IndexEntry, SearchIndex
from knowledge.qa.tokenize import tokenize

PASSAGES = [
    ("加装电梯", "既有住宅加装电梯属于完善类改造，施工期间减少扰民。"),
    ("消防设施", "定期检查室内消火栓、灭火器，保证消防栓有水，其间发现问题及时整改。"),
    ("楼长", "每栋住宅明确1名楼长，负责楼道巡查。"),
    ("秸秆", "实施农作物秸秆全面禁烧，结合综合利用。"),
    ("验收", "改造完成后组织竣工验收，邀请居民代表参加。"),
    ("公示", "初步改造方案进行公示，公示时间不少于5个工作日。"),
]
entries = [
    IndexEntry(i, "doc", text, head, tuple(tokenize(canonical(text))),
               tuple(tokenize(canonical(head))), canonical(head + text))
    for i, (head, text) in enumerate(PASSAGES)
]
index = SearchIndex(entries)
out = []
for q in ["加装电体算哪一类", "消防拴被车挡住了", "每栋楼有没有楼张", "地里的结杆能烧不",
          "改好了艳收能参加不", "方案公视几天", "施工旗间吵不吵", "旗间发现问题咋办",
          "楼到里谁巡查"]:
    text = index.as_meant(canonical(q))
    hits = index.search(tokenize(text), text, k=3)
    out.append([text, index.typos.correct(canonical(q))[1],
                [h.entry.passage_id for h in hits], [round(h.coverage, 6) for h in hits]])
print(json.dumps(out, ensure_ascii=False))
"""


def _run(seed: str) -> str:
    env = {**os.environ, "PYTHONHASHSEED": seed}
    done = subprocess.run(
        [sys.executable, "-c", _SCRIPT],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=True,
        timeout=120,
    )
    return done.stdout


def test_answers_are_identical_across_hash_seeds() -> None:
    outputs = {seed: _run(seed) for seed in ("0", "1", "2", "12345")}
    first = outputs["0"]
    assert json.loads(first)  # something was produced
    assert all(out == first for out in outputs.values()), outputs


def _is_word(word: str) -> bool:
    return general_idf(word) is not None


def test_homophone_ties_break_by_frequency_then_code_point() -> None:
    # 其间 and 期间 read alike (qi jian); 旗间 as typed is one character off both.
    targets = ["其间", "期间"]
    by_order = [TypoCorrector([], order, _is_word).by_sound for order in (targets, targets[::-1])]
    assert by_order[0] == by_order[1]
    frequent = {"期间": 5.0, "其间": 1.0}
    corrector = TypoCorrector([], targets, _is_word, frequent.__getitem__)
    key = next(k for k, words in corrector.by_sound.items() if "期间" in words)
    assert corrector.by_sound[key][0] == "期间"
    plain = TypoCorrector([], targets[::-1], _is_word)
    key = next(k for k, words in plain.by_sound.items() if "期间" in words)
    assert plain.by_sound[key] == sorted(plain.by_sound[key])
