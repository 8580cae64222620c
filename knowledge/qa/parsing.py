"""Documents (text, Markdown, Word .docx, PDF) → title, sections with heading paths, passages.

Policy documents scraped from the web arrive as one file holding several titled
sub-documents ("住宅小区文明城市创建实施方案9", "村级社会治理整治方案 篇5") wrapped in site
boilerplate. Parsing works on cleaned lines:

1. read the file's lines (knowledge/qa/file_formats.py), clean each line
   (`normalize.clean_display`), drop boilerplate lines,
2. split lines where a heading was glued to the end of the previous sentence
   ("…的原则。(二)坚持居民参与的原则。"),
3. classify each line as sub-document title, heading (一、 / (一) / 1. / (1) / ① / 第X条)
   or body, keeping a heading stack,
4. cut each section body into passages of at most 400 characters at sentence ends.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import PurePath

from knowledge.normalize import clean_display
from knowledge.qa.errors import KnowledgeImportError
from knowledge.qa.file_formats import raw_lines
from knowledge.qa.headings import CN_NUMERALS, heading_level

MAX_PASSAGE_CHARS = 400


@dataclass(frozen=True)
class Section:
    heading_path: tuple[str, ...]
    text: str


@dataclass(frozen=True)
class ParsedDocument:
    title: str
    sections: list[Section]
    has_subdocs: bool = False


# --- cleaning ---------------------------------------------------------------------------

_BOILERPLATE = [
    re.compile(p)
    for p in (
        r"欢迎来到.{0,20}网",
        r"小编",
        r"希望(?:能够?|可以)?(?:帮助|帮到|对您)",
        r"(?:供大家|仅供)参考",
        r"由.{1,10}网整理",
        r"^\d{4}[-/.年]\d{1,2}[-/.月]\d{1,2}日?\s*\S{0,4}$",
        r"^[\d,，.+\s万wW]+\+?$",
        r"[a-zA-Z0-9]+\.(?:com|cn|net|org)",
        r"(?:其他人|大家)(?:还|都)在看",
        r"^(?:相关推荐|相关文章|推荐阅读|猜你喜欢|延伸阅读|热门推荐|精彩推荐)",
        r"相关文章[:：]?$",
        r"阅读(?:量|数|次数)?[:：]?\s*\d+|\d+\s*人(?:阅读|浏览|看过)|分享到[:：]?|点击(?:查看|下载)",
        r"^(?:上一篇|下一篇)",
        r"^\S{1,8}网$",
        r"\d{2}-\d{2}$",
        # A tag line listing several titles separated by spaces.
        r"^(?:\S*(?:方案|办法|意见|细则)\S*\s+){2,}\S*$",
    )
]
_TITLE_PREFIX = re.compile(
    r"^(?:【[^】]{1,4}】|(?:精彩|优秀|推荐|热门)?(?:范文|方案|文章)(?:推荐|范文)?\s*[:：]?\s*|精彩范文\s*)"
)
_TITLE_SUFFIX = re.compile(r"(?:分享|范文|集合\d+篇|\(\d+篇\)|\d+篇)$")
_DOC_WORDS = re.compile(
    r"(?:方案|办法|意见|通知|细则|规定|计划|制度|条例|指南|须知|公告|汇编|合集)"
)
_SUBDOC_NUMBERED = re.compile(
    r"(?:方案|办法|意见|细则|规定|计划)\s*\d{1,3}$|\s篇\s*\d{1,3}$|篇\s*\d{1,3}$"
)


def _is_boilerplate(line: str) -> bool:
    return any(p.search(line) for p in _BOILERPLATE)


# --- headings ---------------------------------------------------------------------------

_MD_HEADING = re.compile(r"^(#{1,6})\s+(.*?)\s*#*$")
# A heading glued after a sentence end inside one line.
_GLUED = re.compile(
    rf"(?<=[。；;!?！？])\s*(?=(?:[(（][{CN_NUMERALS}]+[)）]|[{CN_NUMERALS}]{{1,3}}、|第[{CN_NUMERALS}\d]+条))"
)
_SENTENCE_END = "。！？；;!?"
_HEAD_TITLE_CUT = re.compile(r"[。；;:：,，]")


def _subdoc_title(line: str) -> str | None:
    """A titled sub-document line ("精彩范文 城镇生活垃圾分类工作方案分享") → its title."""
    if len(line) > 40 or line[-1] in _SENTENCE_END + "，,:：" or heading_level(line):
        return None
    stripped = _TITLE_SUFFIX.sub("", _TITLE_PREFIX.sub("", line)).strip()
    if not stripped or " " in stripped.replace(" 篇", ""):
        return None
    if _SUBDOC_NUMBERED.search(line) or (_DOC_WORDS.search(stripped) and len(stripped) >= 6):
        return stripped
    return None


def _short_heading(line: str) -> str:
    """Heading text for the path: the line up to its first sentence/clause break."""
    cut = _HEAD_TITLE_CUT.search(line, 2)
    head = line[: cut.start()] if cut else line
    return head[:40]


def _is_pure_heading(line: str) -> bool:
    """A heading line with no body text of its own ("四、改造内容", "(二)确定方案")."""
    body = line.rstrip("。；;:： ")
    return len(body) <= 30 and not re.search(r"[。；;]", body) and body == line.rstrip(": ：")


def _is_list_item(line: str) -> bool:
    """A one-sentence enumerated item ("(一)制定方案;"): kept as body of the current section."""
    body = line.rstrip("。；;")
    return line != body and len(line) <= 30 and not re.search(r"[。；;,，]", body)


# --- structure --------------------------------------------------------------------------


def parse_document(filename: str, data: bytes) -> ParsedDocument:
    lines: list[str] = []
    for raw in raw_lines(filename, data):
        line = clean_display(raw).strip()
        if not line or _is_boilerplate(line):
            continue
        lines.extend(part.strip() for part in _GLUED.split(line) if part.strip())

    title = ""
    stack: list[tuple[int, str]] = []  # (level, heading); level 0 = sub-document title
    seen_levels: list[tuple[int, str]] = []
    sections: list[Section] = []
    body: list[str] = []
    path: tuple[str, ...] = ()

    def flush() -> None:
        nonlocal body
        if body:
            sections.append(Section(path, "\n".join(body)))
        body = []

    def push(level: int, heading: str) -> None:
        nonlocal path
        flush()
        seen_levels.append((level, heading))
        while stack and stack[-1][0] >= level:
            stack.pop()
        stack.append((level, heading))
        path = tuple(h for _, h in stack)

    for line in lines:
        md = _MD_HEADING.match(line)
        if md:
            text = md[2].strip()
            if not text:
                continue
            if not title and len(md[1]) == 1:
                title = text
                continue
            push(len(md[1]) - 1, text)
            continue
        sub = _subdoc_title(line)
        if sub is not None:
            if not title:
                title = sub
                continue
            if stack and stack[0] == (0, sub) and not body:
                continue  # the same title repeated on the next line
            if path and path[-1] == sub and not body:
                continue
            push(0, sub)
            continue
        level = heading_level(line)
        if level is not None and level >= 4 and _is_list_item(line):
            body.append(line)
            continue
        if level is not None:
            push(level, _short_heading(line).strip())
            if not _is_pure_heading(line):
                body.append(line)
            continue
        if not title and len(line) <= 40 and line[-1] not in _SENTENCE_END + ",，":
            title = line
            continue
        body.append(line)
    flush()
    if not title:
        title = PurePath(filename).stem
    sections = _rescue_heading_only_lists(sections)
    if not sections:
        raise KnowledgeImportError("文件里没有可导入的文字。")
    has_subdocs = any(level == 0 for level, _ in seen_levels)
    return ParsedDocument(title=title, sections=sections, has_subdocs=has_subdocs)


def _rescue_heading_only_lists(sections: list[Section]) -> list[Section]:
    return [s for s in sections if s.text.strip()]


# --- passages ---------------------------------------------------------------------------

_SENTENCE = re.compile(r"[^。！？；;!?\n]*(?:[。！？；;!?]+[”’\"』」)）]*|\n|$)")


def _sentences(text: str) -> list[str]:
    return [s for s in _SENTENCE.findall(text) if s]


def _cut_long(sentence: str, limit: int) -> list[str]:
    parts: list[str] = []
    current = ""
    for clause in re.findall(r"[^,，、]*[,，、]?", sentence):
        if not clause:
            continue
        while len(clause) > limit:
            if current:
                parts.append(current)
                current = ""
            parts.append(clause[:limit])
            clause = clause[limit:]
        if len(current) + len(clause) > limit:
            parts.append(current)
            current = clause
        else:
            current += clause
    if current:
        parts.append(current)
    return parts


def split_passages(text: str, limit: int = MAX_PASSAGE_CHARS) -> list[str]:
    """Pack whole sentences into chunks of at most `limit` characters."""
    chunks: list[str] = []
    current = ""
    for sentence in _sentences(text):
        pieces = [sentence] if len(sentence) <= limit else _cut_long(sentence, limit)
        for piece in pieces:
            if len(current) + len(piece) > limit and current.strip():
                chunks.append(current.strip())
                current = ""
            current += piece
    if current.strip():
        chunks.append(current.strip())
    return [c for c in chunks if c]
