"""Segmentation: jieba with the domain dictionary, synonym folding, stopwords, expansion.

Two kinds of lines in `data/synonyms.txt`:

* `canonical variant variant …` folds true synonyms (电驴 = 电动自行车) to one term, on
  passages and questions alike, so they match exactly;
* `colloquial => formal formal …` is a query-side expansion: the resident's word (出钱,
  谁来管, 楼顶) keeps counting as itself and additionally matches the formal terms the
  documents use (出资 费用 资金, 负责 管理, 屋面), at a lower weight (see
  `knowledge/index.py`). Expansions never touch stored passage tokens.

jieba is initialised once per process (`init_tokenizer`, called by `KnowledgeBase.open` in a
worker thread); the domain words are added with `add_word` on that one tokenizer, never per
call. Tokens are produced from `normalize.canonical` text, so passages and questions go
through exactly the same path.

`TOKENIZE_CALLS` counts calls to `tokenize`; the restart test uses it to prove that an
index loaded from SQLite is not re-tokenised.
"""

from __future__ import annotations

import hashlib
import logging
import math
import re
import threading
from functools import lru_cache
from importlib import resources

import jieba

TOKENIZE_CALLS = 0

_lock = threading.Lock()
_tokenizer: jieba.Tokenizer | None = None

# Numbers (with fractions and percentages) and latin words are kept whole; everything else
# that is CJK goes to jieba. Punctuation and symbols separate runs and are dropped.
_RUNS = re.compile(r"(\d+(?:\.\d+)?(?:/\d+|%)?|[a-z][a-z0-9]*|[\u3400-\u9fff]+)")
_CJK = re.compile(r"[\u3400-\u9fff]")
# "How many <unit>" (几类, 几天, 几级): a question word like 几个, whatever the measure word.
# It says what kind of answer is wanted (knowledge/intents.py reads it from the text) but
# is no topic: counted as a term, a word the documents never use, it sank coverage.
# 几号 and 几点 stay terms: a date or clock time (退休金几号发, 菜市场几点关门) is mostly
# asked of services the documents do not cover, and the unmatched term keeps those declined.
_HOW_MANY = re.compile(r"几[个类种项级天年次岁成户层栋位件样名条步批家回遍]")


def _data_lines(name: str) -> list[str]:
    text = (resources.files("knowledge.qa") / "data" / name).read_text(encoding="utf-8")
    return [
        line.strip() for line in text.splitlines() if line.strip() and not line.startswith("#")
    ]


@lru_cache(maxsize=1)
def synonyms() -> dict[str, str]:
    """Variant word → canonical word of its group."""
    table: dict[str, str] = {}
    for line in _data_lines("synonyms.txt"):
        if "=>" in line:
            continue
        words = line.split()
        for word in words[1:]:
            table[word] = words[0]
    return table


def _expansion_table(lines: list[str]) -> dict[str, tuple[str, ...]]:
    fold = synonyms()
    table: dict[str, list[str]] = {}
    for line in lines:
        if "=>" not in line:
            continue
        left, right = line.split("=>", 1)
        targets = [fold.get(w, w) for w in right.split()]
        for key in left.split():
            key = fold.get(key, key)
            bucket = table.setdefault(key, [])
            bucket.extend(t for t in targets if t != key and t not in bucket)
    return {key: tuple(values) for key, values in table.items()}


@lru_cache(maxsize=1)
def expansions() -> dict[str, tuple[str, ...]]:
    """Colloquial question word → formal document terms (already synonym-folded)."""
    return _expansion_table(_data_lines("synonyms.txt"))


@lru_cache(maxsize=1)
def lexicon() -> dict[str, tuple[str, ...]]:
    """Residents' everyday words and phrases → the documents' terms (data/lexicon.txt).

    A wider, looser table than the expansions above. Its phrases are found in the
    question's text rather than among jieba's tokens and are never added to jieba's
    dictionary, so they cannot change how the documents are cut.
    """
    return _expansion_table(_data_lines("lexicon.txt"))


def general_idf(word: str) -> float | None:
    """-log(relative frequency) of a word in jieba's general dictionary, None if absent.

    For a question word the documents never use, this says whether it is a real, specific
    word (驾照 14.5, 疫苗 12.0) or common chatter (前面 9.4); words jieba only produced by
    its HMM (树乱, 电体: mis-cuts and typos) are absent.
    """
    tokenizer = init_tokenizer()
    freq = tokenizer.FREQ.get(word, 0)
    if not freq:
        return None
    return math.log(tokenizer.total / freq)


@lru_cache(maxsize=1)
def stopwords() -> frozenset[str]:
    return frozenset(word for line in _data_lines("stopwords.txt") for word in line.split())


# Bump when tokenize() itself changes in a way that alters its output.
TOKENIZER_VERSION = "2"


def tokenizer_fingerprint() -> str:
    """Identifies everything tokenize() output depends on; stored with the index terms.

    The code version, jieba's version and the data files that shape tokens (the domain
    dictionary, stopwords and the folding synonyms). Expansion-only changes would not
    need it, but hashing the whole file keeps the rule simple.
    """
    digest = hashlib.sha256(f"{TOKENIZER_VERSION}|{jieba.__version__}".encode())
    for name in ("domain_dict.txt", "stopwords.txt", "synonyms.txt"):
        digest.update((resources.files("knowledge.qa") / "data" / name).read_bytes())
    return digest.hexdigest()[:16]


def init_tokenizer() -> jieba.Tokenizer:
    """Build the process-wide tokenizer once (slow: ~1 s); later calls return it."""
    global _tokenizer
    if _tokenizer is not None:
        return _tokenizer
    with _lock:
        if _tokenizer is None:
            logging.getLogger("jieba").setLevel(logging.WARNING)
            jieba.setLogLevel(logging.WARNING)
            tokenizer = jieba.Tokenizer()
            tokenizer.initialize()
            for line in _data_lines("domain_dict.txt"):
                parts = line.split()
                freq = int(parts[1]) if len(parts) > 1 else None
                tokenizer.add_word(parts[0], freq=freq)
            words = [t for pair in synonyms().items() for t in pair]
            for key, targets in expansions().items():
                words.append(key)
                words.extend(targets)
            for term in words:
                if len(term) > 1 and tokenizer.FREQ.get(term, 0) == 0:
                    tokenizer.add_word(term, freq=300)
            _tokenizer = tokenizer
    return _tokenizer


def _segment(tokenizer: jieba.Tokenizer, run: str) -> list[str]:
    """Precise cut plus the dictionary sub-words of long words (like cut_for_search)."""
    out: list[str] = []
    freq = tokenizer.FREQ
    variants = synonyms()
    for word in tokenizer.cut(run, HMM=True):
        # A colloquial variant (业委会) folds to one canonical term; its pieces (委会) would
        # only add noise.
        if len(word) > 2 and word not in variants:
            for size in (2, 3):
                if size >= len(word):
                    continue
                for i in range(len(word) - size + 1):
                    sub = word[i : i + size]
                    if freq.get(sub):
                        out.append(sub)
        out.append(word)
    return out


def word_boundaries(canonical_text: str) -> set[int]:
    """Offsets where jieba's precise cut starts or ends a word in the text.

    Both cuts count: with its HMM, jieba glues unknown colloquial stretches into fragments
    that hide real words (小区里养狗 → 小区/里养/狗); its dictionary-only cut leaves them
    apart (里/养狗 when 养狗 is known), while a dictionary word (电瓶车) stays whole in
    both, so nothing is found inside it.
    """
    bounds = {0, len(canonical_text)}
    for hmm in (True, False):
        for _, start, end in init_tokenizer().tokenize(canonical_text, HMM=hmm):
            bounds.add(start)
            bounds.add(end)
    return bounds


def tokenize(canonical_text: str) -> list[str]:
    """Canonical text → index terms (synonyms folded, stopwords dropped)."""
    global TOKENIZE_CALLS
    TOKENIZE_CALLS += 1
    tokenizer = init_tokenizer()
    syn = synonyms()
    stop = stopwords()
    terms: list[str] = []
    for run in _RUNS.findall(canonical_text):
        words = _segment(tokenizer, run) if _CJK.match(run) else [run]
        for word in words:
            word = syn.get(word, word)
            if word not in stop and not _HOW_MANY.fullmatch(word):
                terms.append(word)
    return terms


def char_bigrams(canonical_text: str) -> list[str]:
    """CJK character bigrams, the typo fallback field (no jieba involved)."""
    grams: list[str] = []
    for run in re.findall(r"[\u3400-\u9fff]+", canonical_text):
        grams.extend(run[i : i + 2] for i in range(len(run) - 1))
    return grams
