"""The keyword stage's cheap pool (knowledge/qa/candidates.py): its first k are exactly
the search's k hits, the rest are the next distinct texts in keyword order without their
evidence, copies of a text are skipped in bulk without changing any result, and the
semantic stage's reordering skips near-duplicates of what is shown."""

from __future__ import annotations

import pytest

from knowledge.normalize import canonical
from knowledge.qa.candidates import Pool
from knowledge.qa.index import Hit, IndexEntry, SearchIndex
from knowledge.qa.rerank import NEAR_DUPLICATE, gram_set, overlap
from knowledge.qa.tokenize import tokenize

SECTIONS = [
    ("电动车", "电动车不得在楼道、疏散通道停放或者充电，应当到小区集中充电棚充电。"),
    ("电动车", "电动自行车应当停放在指定区域，禁止私拉电线为电动车充电。"),
    ("装修", "装修施工时间为每日8时至12时、14时至18时，节假日不得进行产生噪声的施工。"),
    ("装修", "装修垃圾应当袋装后堆放到物业指定地点，不得混入生活垃圾。"),
    ("垃圾分类", "生活垃圾分为可回收物、有害垃圾、厨余垃圾和其他垃圾，分类投放。"),
    ("加装电梯", "既有住宅加装电梯所需资金由业主按照楼层分摊，可以申请财政补贴。"),
    ("加装电梯", "加装电梯应当经本单元专有部分占建筑物总面积三分之二以上的业主同意。"),
    ("维修资金", "住宅专项维修资金用于共用部位、共用设施设备保修期满后的维修和更新。"),
    ("停车", "机动车应当停放在划定的停车位内，不得占用消防车通道。"),
    ("宠物", "饲养犬只应当办理登记，出户时束犬链，及时清理犬只粪便。"),
]
# A near-copy of the first section (one word changed) and of the sixth.
NEAR = [
    ("电动车", "电动车不得在楼道、疏散通道停放或者充电，应当到小区集中充电桩充电。"),
    ("加装电梯", "既有住宅加装电梯所需资金由业主按照楼层分摊，也可以申请财政补贴。"),
]
QUESTIONS = [
    "电动车能在楼道充电吗",
    "加装电梯要业主出钱吗",
    "装修几点可以施工",
    "垃圾怎么分类",
    "维修资金能用来干什么",
    "狗要办证吗",
    "消防通道能停车吗",
    # Broad questions that reach most sections, so that the tail is long.
    "小区里电动车停放充电、装修垃圾、加装电梯资金和业主同意都有什么规定",
    "业主的电动车、机动车、犬只和生活垃圾归物业管吗",
]


def _entries(copies: int) -> list[IndexEntry]:
    """Each section `copies` times (a document imported again under another name), then
    the near-copies."""
    passages = [s for _ in range(copies) for s in SECTIONS] + NEAR
    return [
        IndexEntry(
            passage_id=i,
            kind="doc",
            text=text,
            source=f"《规定{i // len(SECTIONS)}》 {head}",
            body=tuple(tokenize(canonical(text))),
            head=tuple(tokenize(canonical(head))),
            bigram_text=canonical(head + text),
        )
        for i, (head, text) in enumerate(passages)
    ]


def _query(index: SearchIndex, question: str) -> tuple[list[str], str]:
    text = index.as_meant(canonical(question))
    return tokenize(text), text


@pytest.fixture(scope="module")
def index() -> SearchIndex:
    return SearchIndex(_entries(copies=3))


@pytest.mark.parametrize("question", QUESTIONS)
@pytest.mark.parametrize("k", [1, 3, 5])
def test_the_pools_first_k_are_the_searchs_hits(index: SearchIndex, question: str, k: int) -> None:
    terms, text = _query(index, question)
    pool = index.pool(terms, text, depth=50, checked=k)
    assert pool.hits[:k] == index.search(terms, text, k=k)
    assert all(h.evidenced for h in pool.hits[:k])
    assert not any(h.evidenced for h in pool.hits[k:])


@pytest.mark.parametrize("question", QUESTIONS)
def test_the_tail_is_the_next_distinct_texts_in_keyword_order(
    index: SearchIndex, question: str
) -> None:
    terms, text = _query(index, question)
    pool = index.pool(terms, text, depth=50, checked=3)
    texts = [h.entry.text for h in pool.hits]
    assert len(texts) == len(set(texts))
    # Every hit of the full search (all 50 tested for near-duplicates) is in the pool,
    # in the same order and with the same score; the pool has the near-copies besides.
    full = index.search(terms, text, k=50)
    by_id = {h.entry.passage_id: h for h in pool.hits}
    in_full = {h.entry.passage_id for h in full}
    assert [h.entry.passage_id for h in full] == [p for p in by_id if p in in_full]
    for hit in full:
        # The evidence computed on demand is the search's.
        assert pool.context.evidenced(by_id[hit.entry.passage_id]) == hit


@pytest.mark.parametrize("question", QUESTIONS)
@pytest.mark.parametrize("k", [3, 50])
def test_copies_skipped_in_bulk_change_nothing(index: SearchIndex, question: str, k: int) -> None:
    terms, text = _query(index, question)
    assert index.text_ids is not None
    bulk = index.search(terms, text, k=k)
    one_by_one = SearchIndex(index.entries)
    one_by_one.text_ids = None  # every copy read, as before
    assert one_by_one.search(terms, text, k=k) == bulk
    pooled = index.pool(terms, text, depth=50, checked=3).hits
    assert one_by_one.pool(terms, text, depth=50, checked=3).hits == pooled


def test_no_text_ids_when_no_text_repeats() -> None:
    assert SearchIndex(_entries(copies=1)).text_ids is None


def _near(a: Hit, b: Hit) -> bool:
    return overlap(gram_set(a.entry.text), gram_set(b.entry.text)) >= NEAR_DUPLICATE


def test_first_distinct_skips_near_copies_of_checked_and_kept_hits(index: SearchIndex) -> None:
    terms, text = _query(index, "电动车能在楼道充电吗")
    pool = index.pool(terms, text, depth=50, checked=1)
    first = pool.hits[0]
    twin = next(h for h in pool.hits[1:] if _near(h, first))
    others = [h for h in pool.hits[1:] if h is not twin]
    # The semantic stage put the near-copy of the shown first hit first.
    order = [twin, *others, first]
    kept = pool.first_distinct(order, 4)
    positions = [p for p, _ in kept]
    assert 0 not in positions
    hits = [h for _, h in kept]
    assert len(hits) == min(4, len(pool.hits) - 1)
    assert all(h.evidenced for h in hits)
    for i, a in enumerate(hits):
        assert not _near(a, first) or a.entry.passage_id == first.entry.passage_id
        assert not any(_near(a, b) for b in hits[i + 1 :])
    # The evidence is the search's.
    full = {h.entry.passage_id: h for h in index.search(terms, text, k=50)}
    for h in hits:
        if h.entry.passage_id in full:
            assert h == full[h.entry.passage_id]


def test_first_distinct_keeps_the_checked_hits_as_they_are(index: SearchIndex) -> None:
    terms, text = _query(index, "加装电梯要业主出钱吗")
    pool = index.pool(terms, text, depth=50, checked=3)
    order = list(reversed(pool.hits))
    kept = dict(pool.first_distinct(order, len(order)))
    for hit in pool.hits[:3]:
        position = order.index(hit)
        assert kept[position] is hit


def test_an_empty_pool() -> None:
    empty = SearchIndex([]).pool(["电梯"], "电梯", depth=50, checked=3)
    assert isinstance(empty, Pool)
    assert empty.hits == []
    assert empty.first_distinct([], 4) == []
