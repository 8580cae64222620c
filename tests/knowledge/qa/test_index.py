"""Ranking on small synthetic documents: expansion, compounds, proximity, decline, dedup."""

from __future__ import annotations

from knowledge.normalize import canonical
from knowledge.qa.index import IndexEntry, SearchIndex
from knowledge.qa.tokenize import expansions, lexicon, synonyms, tokenize


def _index(*passages: tuple[str, str]) -> SearchIndex:
    entries = [
        IndexEntry(
            passage_id=i,
            kind="doc",
            text=text,
            source="test",
            body=tuple(tokenize(canonical(text))),
            head=tuple(tokenize(canonical(head))),
            bigram_text=canonical(head + text),
        )
        for i, (head, text) in enumerate(passages)
    ]
    return SearchIndex(entries)


def _ask(index: SearchIndex, question: str, k: int = 3):  # type: ignore[no-untyped-def]
    text = canonical(question)
    return index.search(tokenize(text), text, k=k)


def test_expansion_table_maps_colloquial_to_formal() -> None:
    table = expansions()
    assert "负责" in table["谁来管"]
    assert "庭院" in table["院子"]
    assert "资金" in table[synonyms().get("出钱", "出钱")]
    # Expansion lines are not synonym folds: the colloquial word stays a term of its own.
    assert "谁来管" not in synonyms()
    assert "谁来管" in tokenize(canonical("改完以后谁来管"))


def test_colloquial_question_matches_formal_passage() -> None:
    index = _index(
        ("一、长效管理", "改造完成后由街道负责小区的日常管理。"),
        ("二、绿化", "小区绿地由园林部门统一种植花木。"),
    )
    hits = _ask(index, "小区改完以后谁来管")
    assert hits
    assert "负责" in hits[0].entry.text
    garden = _index(("美丽庭院", "开展美丽庭院评比活动。"), ("道路", "村内道路硬化。"))
    assert "庭院" in _ask(garden, "院子评比")[0].entry.text


def test_compound_and_its_parts_count_once_for_coverage() -> None:
    index = _index(("", "绿化带内不得种植蔬菜。"), ("", "加强绿化管理。"))
    hits = _ask(index, "绿化带")
    assert hits[0].coverage == 1.0
    assert 0.0 < hits[1].coverage < 1.0  # 绿化 covers part of 绿化带


def test_proximity_prefers_terms_close_together() -> None:
    filler = "各部门要统一思想，提高认识，加强组织领导，确保各项任务落到实处。" * 6
    far = "电梯安装应当符合规定。" + filler + "维修资金按规定使用。"
    near = "电梯的维修资金按规定从专项资金中列支。" + filler
    index = _index(("", far), ("", near))
    hits = _ask(index, "电梯维修资金")
    assert hits[0].entry.text == near


def test_unknown_specific_noun_keeps_coverage_low() -> None:
    index = _index(
        ("垃圾分类", "可回收物投放到蓝色桶，有害垃圾投放到红色桶。"),
        ("消防", "楼道内禁止堆放杂物，保持消防通道畅通。"),
    )
    out_of_scope = _ask(index, "驾照到期了怎么换证")
    assert not out_of_scope or out_of_scope[0].coverage < 0.4
    # Chatter (前面) does not drag an in-scope question below the threshold.
    in_scope = _ask(index, "前面楼道里能堆杂物吗")
    assert in_scope
    assert in_scope[0].coverage >= 0.4


def test_near_duplicates_take_one_slot() -> None:
    text = "老旧小区改造内容分为基础类、完善类、提升类三类，重点实施基础类改造。"
    index = _index(
        ("", text),
        ("", text.replace("三类", "三种类型")),
        ("", "完善类改造包括加装电梯和建设停车设施。"),
    )
    hits = _ask(index, "改造分为哪几类", k=2)
    assert len(hits) == 2
    assert "加装电梯" in hits[1].entry.text


def test_miscut_fragment_stands_for_its_verb() -> None:
    # jieba cuts 要建 (要 + 建) into one unknown "word"; 建 is what the resident means.
    index = _index(
        ("", "物业服务企业应成立党支部,发挥党员作用。"),
        ("", "物业服务企业应公示收费标准。"),
    )
    question = canonical("物业公司里面要建党组织吗")
    assert "要建" in tokenize(question)
    concepts = [c.term for c in index._concepts(tokenize(question))]
    assert "建" in concepts
    assert "要建" not in concepts
    assert "党支部" in _ask(index, "物业公司里面要建党组织吗")[0].entry.text


def test_fragment_without_a_known_verb_is_kept() -> None:
    index = _index(("", "楼道内不得堆放杂物。"))
    terms = index._split_fragments(["楼道", "乱拉乱"])
    assert terms == ["楼道", "乱拉乱"]


def test_colloquial_word_with_no_formal_term_in_documents_keeps_a_positive_weight() -> None:
    # 谁来管 expands to 负责/管理/…; none of them is in this index, so the word must
    # still weigh as an unknown word rather than as the (missing) formal terms' idf of -1.
    index = _index(("", "小区绿地种植花木。"), ("", "道路硬化。"))
    concept = next(c for c in index._concepts(["谁来管", "绿地"]) if c.term == "谁来管")
    assert concept.weight > 0
    assert _ask(index, "绿地谁来管")[0].coverage < 1.0


def test_everyday_phrase_from_the_lexicon_reaches_the_formal_passage() -> None:
    index = _index(
        ("", "改造前入户调查,征求意见,了解居民需求。"),
        ("", "改造后由物业服务企业负责日常管理。"),
    )
    question = "改造之前会挨家问我们吗"
    # The phrase is found in the text; jieba never learns it, so documents cut as before.
    assert "挨家问" not in tokenize(canonical(question))
    assert "挨家问" in [c.term for c in index._concepts(tokenize(canonical(question)), question)]
    assert "入户调查" in _ask(index, question)[0].entry.text


def test_lexicon_alone_never_raises_confidence() -> None:
    # 老百姓 → 居民 only through the lexicon: it may rank, but the hit's confidence (what
    # decides answer or decline) counts nothing for it.
    index = _index(("", "居民自愿参加。"), ("", "道路硬化。"))
    hits = _ask(index, "老百姓")
    assert "居民" in hits[0].entry.text
    assert hits[0].coverage == 0.0


def test_lexicon_file_is_well_formed() -> None:
    table = lexicon()
    assert len(table) > 300
    stop = set()
    for key, targets in table.items():
        assert len(key) >= 2, key
        assert targets, key
        stop.update(targets)
    assert "征求意见" in table["挨家问"]


def test_lexicon_phrase_inside_a_longer_word_is_ignored() -> None:
    from knowledge.qa.index import _lexicon_phrases

    assert "电瓶" in lexicon()
    assert _lexicon_phrases(canonical("能把电瓶车推进电梯吗")) == []
    assert _lexicon_phrases(canonical("改造之前会挨家问我们吗")) == ["挨家问"]


def test_lexicon_phrase_hidden_in_an_hmm_fragment_is_found() -> None:
    # jieba's HMM cuts 小区里养狗 as 小区/里养/狗: 养狗 starts inside the fragment 里养.
    from knowledge.qa.index import _lexicon_phrases

    question = canonical("小區裡養狗的有人管嗎?")
    assert "里养" in tokenize(question)
    assert _lexicon_phrases(question) == ["养狗"]
    index = _index(("", "小区内规范宠物养殖管理,文明养犬。"), ("", "小区道路硬化。"))
    concepts = {c.term for c in index._concepts(tokenize(question), question)}
    # The phrase stands for the fragment that straddled it; 里养 is no concept of its own.
    assert "养狗" in concepts
    assert "里养" not in concepts
    assert "宠物" in _ask(index, "小區裡養狗的有人管嗎?")[0].entry.text


def test_lexicon_phrase_weighs_as_much_as_the_pieces_it_replaces() -> None:
    # 快递柜 (a lexicon phrase jieba does not know) replaces 快递 + 柜; off-topic words must
    # keep their weight, or an off-topic question would look covered by 谁管 alone.
    index = _index(("", "物业负责小区公共区域的管理。"), ("", "道路硬化。"))
    question = canonical("小区门口的快递柜谁管")
    concepts = {c.term: c for c in index._concepts(tokenize(question), question)}
    assert "快递柜" in concepts
    assert concepts["快递柜"].weight >= index._unknown_weight("快递")
    assert _ask(index, "小区门口的快递柜谁管")[0].coverage < 0.4


def test_one_common_word_does_not_corroborate_an_off_topic_passage() -> None:
    # 快递 appears in a list of services; "快递丢了找谁赔" shares only that word with it.
    index = _index(
        ("", "完善社区服务设施,包括养老、托育、快递、便民市场等。"),
        ("", "电动自行车禁止在楼道内停放和充电。"),
    )
    off_topic = _ask(index, "快递丢了找谁赔")
    assert "快递" in off_topic[0].entry.text
    assert not off_topic[0].corroborated
    on_topic = _ask(index, "电瓶车能在楼道充电吗")
    assert "楼道" in on_topic[0].entry.text
    assert on_topic[0].corroborated
    # A question with one main concept needs only that one.
    single = _ask(index, "快递")
    assert single[0].corroborated


def test_no_property_company_question_prefers_the_fallback_over_ordinary_service() -> None:
    # 没物业 asks about estates *without* a property company (托底, 兜底, 准物业管理); a
    # passage about ordinary 物业服务 only shares the word 物业 with it.
    index = _index(
        ("", "物业服务企业负责小区管理,提升物业服务。"),
        ("", "对没有物业的老旧小区,由社区托底管理。"),
    )
    assert "托底" in _ask(index, "我们小区没物业,谁来管")[0].entry.text


def test_how_many_question_word_is_not_a_topic() -> None:
    # 几类 / 几天 / 几级 ask for a count, like 几个; as terms no passage uses they sank
    # coverage, so "分几类" was declined although the passage lists the categories.
    assert tokenize(canonical("小区垃圾现在分几类啊")) == ["小区", "垃圾", "分"]
    assert "几天" not in tokenize(canonical("改造方案要公示几天"))
    index = _index(
        ("", "生活垃圾分为可回收物、有害垃圾、厨余垃圾和其他垃圾四类。"), ("", "道路硬化。")
    )
    assert _ask(index, "小区垃圾现在分几类啊")[0].coverage >= 0.4
