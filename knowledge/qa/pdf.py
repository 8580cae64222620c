"""PDF → lines for `knowledge.qa.file_formats`: page text without furniture, lines rejoined.

pypdf returns each page's text with a line break wherever the PDF broke a line, so every
paragraph arrives cut into page-width pieces, and each page brings its running header,
footer and page number. Left in, a piece would end a sentence early (passages are cut at
line ends) or pass for a title. So:

1. page-number lines ("- 3 -", "第 3 页", "3/10", "3") are dropped,
2. running headers and footers — a line among the first or last two of at least half the
   pages, digits ignored — are dropped, except where it opens the document: the running
   header is often the title,
3. a line as wide as the text block that does not end a sentence (。！？；：) continues
   on the next line, unless the next line starts like a heading. Width, not only
   punctuation, decides: a short heading ("一、总则") or title has no final punctuation
   either, and must not swallow the paragraph under it. Width is counted in full-width
   characters (Latin letters and digits count half).
"""

from __future__ import annotations

import io
import re
import unicodedata
from collections import Counter
from itertools import pairwise

from knowledge.qa.errors import KnowledgeImportError
from knowledge.qa.headings import heading_level
from knowledge.upload_limits import (
    MAX_PDF_PAGES,
    TOO_MANY_PAGES,
    UploadRejectedError,
    check_text_length,
)

UNREADABLE = (
    "无法读取该 PDF 文件，文件可能已损坏或不是 PDF 格式。请重新导出 PDF，或另存为 .docx 后再导入。"
)
ENCRYPTED = (
    "该 PDF 文件已加密（设有密码或权限保护），无法读取其中的文字。"
    "请导出一份未加密的 PDF，或另存为 .docx 后再导入。"
)
NO_TEXT = (
    "该 PDF 文件里没有可提取的文字，可能是扫描件或图片。"
    "请使用可以复制文字的 PDF，或把内容另存为 .docx / .txt 后再导入。"
)

_PAGE_NUMBER = re.compile(
    r"^(?:[-－—–\s]*\d{1,4}[-－—–\s]*"  # 3, - 3 -, —3—
    # 第 3 页, 第3页 共10页, 共10页 第3页
    r"|(?:共\s*\d+\s*页\s*[,，/／]?\s*)?第\s*\d+\s*页(?:\s*[,，/／]?\s*共\s*\d+\s*页)?"
    r"|\d{1,4}\s*[/／]\s*\d{1,4}"  # 3/10
    r"|page\s*\d+(?:\s*(?:of|/)\s*\d+)?)$",
    re.IGNORECASE,
)
_EDGE_LINES = 2  # how many lines at the top and at the bottom of a page may be furniture
_SENTENCE_END = "。！？；：.!?;:"
_CLOSERS = '”’"』」)）】'
_FULL_LINE = 0.8  # a line at least this share of the text width may have been wrapped


def pdf_lines(data: bytes) -> list[str]:
    from pypdf import PdfReader  # imported lazily, like docx
    from pypdf.errors import DependencyError, FileNotDecryptedError

    try:
        # pypdf opens a file with an empty user password itself (permissions-only
        # protection); FileNotDecryptedError means a real password, DependencyError an
        # AES-encrypted file without the optional `cryptography` package.
        reader = PdfReader(io.BytesIO(data))
        count = len(reader.pages)
    except (FileNotDecryptedError, DependencyError) as exc:
        raise KnowledgeImportError(ENCRYPTED) from exc
    except MemoryError:
        raise  # the worker's memory cap, reported as such
    except Exception as exc:  # pypdf warns that broken files may raise anything
        raise KnowledgeImportError(UNREADABLE) from exc
    # Counting pages reads only the page tree; extracting text is what costs. The time a
    # page may take is bounded by the worker's wall-clock limit (knowledge/isolated.py).
    if count > MAX_PDF_PAGES:
        raise KnowledgeImportError(TOO_MANY_PAGES.format(pages=count, limit=MAX_PDF_PAGES))
    try:
        pages = [page.extract_text() for page in reader.pages]
    except (FileNotDecryptedError, DependencyError) as exc:
        raise KnowledgeImportError(ENCRYPTED) from exc
    except MemoryError:
        raise
    except Exception as exc:
        raise KnowledgeImportError(UNREADABLE) from exc
    try:
        check_text_length(sum(map(len, pages)))
    except UploadRejectedError as exc:
        raise KnowledgeImportError(str(exc)) from None
    lines = _drop_page_furniture([[x.strip() for x in p.splitlines() if x.strip()] for p in pages])
    if not lines:
        raise KnowledgeImportError(NO_TEXT)
    return _join_wrapped(lines)


def _furniture_key(line: str) -> str:
    """The same running header or footer on every page, whatever page number it carries."""
    return re.sub(r"\d+", "#", re.sub(r"\s+", "", line))


def _drop_page_furniture(pages: list[list[str]]) -> list[str]:
    pages = [[x for x in page if not _PAGE_NUMBER.match(x)] for page in pages]
    edges = Counter(
        key
        for page in pages
        for key in {_furniture_key(x) for x in page[:_EDGE_LINES] + page[-_EDGE_LINES:]}
    )
    repeated = {key for key, n in edges.items() if n >= 2 and 2 * n >= len(pages)}
    lines: list[str] = []
    for page in pages:
        for i, line in enumerate(page):
            at_edge = i < _EDGE_LINES or i >= len(page) - _EDGE_LINES
            if lines and at_edge and _furniture_key(line) in repeated:
                continue
            lines.append(line)
    return lines


def _width(line: str) -> float:
    return sum(1.0 if unicodedata.east_asian_width(c) in "WF" else 0.5 for c in line)


def _ends_sentence(line: str) -> bool:
    return line.rstrip(_CLOSERS)[-1:] in _SENTENCE_END


def _text_width(lines: list[str]) -> float:
    """The width of the text block: the width shared by most lines that stop mid-sentence.

    Not the widest line: a table in a smaller font or a contents line with dot leaders is
    wider than the text, and would make every wrapped line look short.
    """
    widths = Counter(round(_width(x)) for x in lines if not _ends_sentence(x))
    return max(widths, key=lambda w: (widths[w], w), default=0)


def _join_wrapped(lines: list[str]) -> list[str]:
    full = _FULL_LINE * _text_width(lines)
    paragraphs = [lines[0]]
    for previous, line in pairwise(lines):
        if _width(previous) < full or _ends_sentence(previous) or heading_level(line) is not None:
            paragraphs.append(line)
            continue
        # Latin text broken at a line end gets its space back (a hyphen means a word went
        # on); Chinese has no spaces to restore.
        latin = previous[-1].isascii() and line[0].isascii() and previous[-1] != "-"
        paragraphs[-1] += (" " if latin else "") + line
    return paragraphs
