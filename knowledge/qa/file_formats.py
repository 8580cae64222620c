"""Uploaded files → raw lines, one reader per format: plain text (UTF-8 or GB18030),
Markdown (list markers, links and emphasis removed, headings kept as `#` lines), Word
.docx (heading styles become `#` lines, table rows become lines) and PDF
(knowledge/qa/pdf.py). `knowledge.qa.parsing` cleans and structures the lines.

Zip bombs and over-long texts are refused here, with the upload limits' Chinese messages
(knowledge/upload_limits.py).
"""

from __future__ import annotations

import io
import re
import zipfile
from pathlib import PurePath

from knowledge.qa.errors import KnowledgeImportError
from knowledge.qa.pdf import pdf_lines
from knowledge.upload_limits import (
    MAX_INFLATED_BYTES,
    MAX_TEXT_CHARS,
    MAX_ZIP_ENTRIES,
    UploadRejectedError,
    check_text_length,
    check_zip,
)


def _decode(data: bytes) -> str:
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            text = data.decode(encoding)
        except UnicodeDecodeError:
            continue
        _check_length(len(text))
        return text
    raise KnowledgeImportError("无法识别文件的文字编码,请另存为 UTF-8 编码的文本文件后再导入。")


def _check_length(chars: int) -> None:
    try:
        check_text_length(chars, MAX_TEXT_CHARS)
    except UploadRejectedError as exc:
        raise KnowledgeImportError(str(exc)) from None


def _docx_lines(data: bytes) -> list[str]:
    # A zip bomb is refused here, before python-docx reads (and lxml parses) every part.
    try:
        check_zip(data, MAX_INFLATED_BYTES, MAX_ZIP_ENTRIES)
    except UploadRejectedError as exc:
        raise KnowledgeImportError(str(exc)) from None
    try:
        import docx  # python-docx, imported lazily: it is slow to import

        document = docx.Document(io.BytesIO(data))
    except MemoryError:
        raise  # the worker's memory cap, reported as such
    except Exception as exc:
        raise KnowledgeImportError(
            "无法读取该 Word 文件,文件可能已损坏或不是 .docx 格式。"
            "请用 Word/WPS 打开后另存为 .docx 再导入。"
        ) from exc
    lines: list[str] = []
    for para in document.paragraphs:
        text = para.text.strip()
        if not text:
            continue
        style = (para.style.name if para.style is not None else "") or ""
        match = re.search(r"(?:Heading|标题)\s*(\d)", style)
        if match or style in ("Title", "标题"):
            level = int(match[1]) if match else 0
            lines.append("#" * max(level, 1) + " " + text)
        else:
            lines.append(text)
    for table in document.tables:
        for row in table.rows:
            cells = [c.text.strip() for c in row.cells if c.text.strip()]
            if cells:
                lines.append(";".join(dict.fromkeys(cells)) + "。")
    _check_length(sum(map(len, lines)))
    return lines


def _markdown_line(line: str) -> str:
    line = re.sub(r"^\s*(?:[-*+]|>)\s+", "", line)
    line = re.sub(r"!?\[([^\]]*)\]\([^)]*\)", r"\1", line)
    line = re.sub(r"(\*\*|__|\*|`)", "", line)
    return line.strip()


def raw_lines(filename: str, data: bytes) -> list[str]:
    suffix = PurePath(filename).suffix.lower()
    if suffix == ".pdf" or data.startswith(b"%PDF-"):
        return pdf_lines(data)
    is_zip = data[:4] == b"PK\x03\x04"
    if suffix == ".docx" or (is_zip and suffix not in (".txt", ".md", ".markdown")):
        if not is_zip or not zipfile.is_zipfile(io.BytesIO(data)):
            raise KnowledgeImportError(
                "无法读取该 Word 文件,文件可能已损坏或不是 .docx 格式。"
                "请用 Word/WPS 打开后另存为 .docx 再导入。"
            )
        return _docx_lines(data)
    if suffix in (".txt", ".text", ""):
        return _decode(data).splitlines()
    if suffix in (".md", ".markdown"):
        return [
            _markdown_line(x) if not x.lstrip().startswith("#") else x.strip()
            for x in _decode(data).splitlines()
        ]
    raise KnowledgeImportError(
        f"不支持的文件类型「{suffix or '无扩展名'}」。目前支持 .txt、.md、.docx 和 .pdf 文件。"
    )
