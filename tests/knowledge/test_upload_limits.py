"""Zip bombs, lying zip directories and oversized uploads are refused fast, in bounded memory.

The bombs are written here, streaming, so the test itself never holds the inflated data:
hundreds of MB of repeated XML deflate to a few hundred KB.
"""

from __future__ import annotations

import io
import struct
import time
import tracemalloc
import zipfile

import pytest
from pypdf import PdfWriter

from knowledge import upload_limits as limits
from knowledge.qa.errors import KnowledgeImportError
from knowledge.qa.file_formats import raw_lines
from knowledge.qa.parsing import parse_document
from knowledge.upload_limits import UploadRejectedError, check_zip

MB = 1024 * 1024
_W = 'xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"'
_DOCX_PARTS = {
    "[Content_Types].xml": (
        '<?xml version="1.0" encoding="UTF-8"?>'
        '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
        '<Default Extension="rels" '
        'ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
        '<Default Extension="xml" ContentType="application/xml"/>'
        '<Override PartName="/word/document.xml" ContentType="application/'
        'vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"/>'
        "</Types>"
    ),
    "_rels/.rels": (
        '<?xml version="1.0" encoding="UTF-8"?>'
        '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
        '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/'
        'relationships/officeDocument" Target="word/document.xml"/></Relationships>'
    ),
}
PARAGRAPH = "<w:p><w:r><w:t>小区电动自行车应当停放在指定的停车棚内。</w:t></w:r></w:p>"


def write_docx(target: io.BytesIO, xml_bytes: int) -> None:
    """A valid .docx whose document.xml holds about `xml_bytes` of paragraphs, streamed."""
    block = (PARAGRAPH * 4096).encode()
    with zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as archive:
        for name, text in _DOCX_PARTS.items():
            archive.writestr(name, text)
        with archive.open("word/document.xml", "w", force_zip64=True) as member:
            member.write(
                f'<?xml version="1.0" encoding="UTF-8"?><w:document {_W}><w:body>'.encode()
            )
            written = 0
            while written < xml_bytes:
                member.write(block)
                written += len(block)
            member.write(b"</w:body></w:document>")


def docx_bomb(xml_bytes: int = 250 * MB) -> bytes:
    out = io.BytesIO()
    write_docx(out, xml_bytes)
    return out.getvalue()


def xlsx_bomb(sheet_bytes: int = 300 * MB) -> bytes:
    """A workbook-shaped zip whose one sheet inflates to `sheet_bytes` of rows."""
    row = b'<row><c t="inlineStr"><is><t>\xe5\xbc\xa0\xe4\xb8\x89 13800000000</t></is></c></row>'
    block = row * 8192
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("xl/workbook.xml", "<workbook/>")
        with archive.open("xl/worksheets/sheet1.xml", "w", force_zip64=True) as member:
            member.write(b"<worksheet><sheetData>")
            written = 0
            while written < sheet_bytes:
                member.write(block)
                written += len(block)
            member.write(b"</sheetData></worksheet>")
    return out.getvalue()


def lying_zip(real_bytes: int = 200 * MB, claimed: int = 1000) -> bytes:
    """One entry that inflates to `real_bytes` while both its headers claim `claimed`."""
    out = io.BytesIO()
    block = b"<w:p/>" * 100_000
    with (
        zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive,
        archive.open("word/document.xml", "w") as member,
    ):
        for _ in range(real_bytes // len(block)):
            member.write(block)
    data = bytearray(out.getvalue())
    local = data.index(b"PK\x03\x04")
    struct.pack_into("<I", data, local + 22, claimed)
    central = data.index(b"PK\x01\x02")
    struct.pack_into("<I", data, central + 24, claimed)
    return bytes(data)


def many_entries(count: int) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_STORED) as archive:
        for i in range(count):
            archive.writestr(f"xl/part{i}.xml", "")
    return out.getvalue()


def pdf_pages(count: int) -> bytes:
    writer = PdfWriter()
    for _ in range(count):
        writer.add_blank_page(width=595, height=842)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def _refused_quickly_in_bounded_memory(data: bytes, fragment: str) -> None:
    tracemalloc.start()
    started = time.monotonic()
    try:
        with pytest.raises(UploadRejectedError) as caught:
            check_zip(data, limits.MAX_INFLATED_BYTES, limits.MAX_ZIP_ENTRIES)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert fragment in str(caught.value)
    assert time.monotonic() - started < 5
    assert peak < len(data) + 8 * MB  # the upload itself plus a few chunks, never the XML


def test_docx_bomb_is_small_on_the_wire() -> None:
    assert len(docx_bomb()) < 1 * MB


@pytest.mark.parametrize("make", [docx_bomb, xlsx_bomb])
def test_zip_bomb_is_refused_from_its_directory(make: object) -> None:
    data = make()  # type: ignore[operator]
    _refused_quickly_in_bounded_memory(data, "解压后内容过大")


def test_lying_directory_is_caught_while_inflating() -> None:
    data = lying_zip()
    assert sum(i.file_size for i in zipfile.ZipFile(io.BytesIO(data)).infolist()) == 1000
    _refused_quickly_in_bounded_memory(data, "文件已损坏")


def test_streaming_limit_holds_when_the_directory_is_under_the_limit() -> None:
    # Directory honest and within a small limit? No: 2 MB inflated against a 1 MB limit
    # is refused by the directory; with the directory check passed (limit 3 MB) the
    # stream count alone must still stop at the limit.
    data = docx_bomb(2 * MB)
    with pytest.raises(UploadRejectedError):
        check_zip(data, max_inflated_bytes=1 * MB, max_entries=10)
    check_zip(data, max_inflated_bytes=3 * MB, max_entries=10)


def test_too_many_entries_are_refused() -> None:
    with pytest.raises(UploadRejectedError, match="2001 个部件"):
        check_zip(many_entries(2001), limits.MAX_INFLATED_BYTES, limits.MAX_ZIP_ENTRIES)


def test_not_a_zip_is_refused() -> None:
    with pytest.raises(UploadRejectedError, match="文件已损坏"):
        check_zip(b"PK\x03\x04 not really", 10 * MB, 10)


def test_small_docx_passes_and_parses() -> None:
    data = docx_bomb(64 * 1024)
    check_zip(data, limits.MAX_INFLATED_BYTES, limits.MAX_ZIP_ENTRIES)
    assert "电动自行车" in raw_lines("规定.docx", data)[0]


def test_docx_bomb_import_is_refused_with_chinese_message() -> None:
    with pytest.raises(KnowledgeImportError, match="解压后内容过大（超过 50 MB）"):
        parse_document("通知.docx", docx_bomb())


def test_pdf_with_too_many_pages_is_refused() -> None:
    with pytest.raises(KnowledgeImportError, match="页数过多（301 页），最多只能导入 300 页"):
        raw_lines("汇编.pdf", pdf_pages(301))


def test_text_longer_than_the_limit_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("knowledge.qa.file_formats.MAX_TEXT_CHARS", 1000)
    with pytest.raises(KnowledgeImportError, match="文件文字过多"):
        parse_document("长.txt", ("小区管理。" * 300).encode())


def test_messages_are_plain_chinese() -> None:
    with pytest.raises(UploadRejectedError) as caught:
        limits.check_upload_size(25 * MB)
    assert str(caught.value) == (
        "文件太大（25 MB），最大只能导入 20 MB。请拆分成几个较小的文件后再导入。"
    )
    limits.check_upload_size(20 * MB)
