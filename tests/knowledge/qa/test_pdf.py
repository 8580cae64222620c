"""PDF import: page text → paragraphs, sections and passages; unreadable PDFs refused.

The PDFs are written here by `make_pdf`, not stored: Chinese text needs no font file when
each character's code is its Unicode code point (Identity-H) and a ToUnicode CMap says so,
which is what text extraction reads. A viewer may not draw the characters; pypdf reads
them exactly.
"""

from __future__ import annotations

import io
import unicodedata
from collections.abc import AsyncIterator
from pathlib import Path

import aiosqlite
import pytest
from pypdf import PdfWriter

from knowledge.normalize import clean_display
from knowledge.qa import pdf
from knowledge.qa.file_formats import raw_lines
from knowledge.qa.parsing import parse_document
from knowledge.qa.service import KnowledgeBase, KnowledgeImportError
from storage.db import open_database

TITLE = "幸福里小区电动自行车管理规定"
PARAGRAPHS = [
    "一、总则",
    "为加强本小区电动自行车停放和充电管理，消除火灾隐患，保障居民生命财产安全，"
    "根据有关规定，制定本规定。",
    "二、停放管理",
    "（一）电动自行车应当停放在小区指定的停车棚内，禁止在楼道、疏散通道、安全出口停放。",
    "（二）严禁将电动自行车或者蓄电池带入电梯轿厢，严禁在住宅楼内为电动自行车充电，"
    "违者由物业服务企业劝阻并报告社区。",
    "三、充电管理",
    "小区集中充电点开放时间为每天早上6点至晚上11点，充电结束后请及时拔下插头，"
    "充电费用按物业公布的标准收取。",
]
FOOTER = "幸福里社区居民委员会印发 {n}"
LINE_WIDTH = 22  # full-width characters per line, as a PDF producer would wrap them


def make_pdf(pages: list[list[str]], *, scanned: bool = False) -> bytes:
    """A PDF with one text line per entry; `scanned` puts an image (no text) on every page."""
    chars = sorted({c for page in pages for line in page for c in line})
    cmap = (
        "/CIDInit /ProcSet findresource begin 12 dict begin begincmap\n"
        "/CIDSystemInfo << /Registry (Adobe) /Ordering (UCS) /Supplement 0 >> def\n"
        "/CMapName /Adobe-Identity-UCS def /CMapType 2 def\n"
        "1 begincodespacerange <0000> <FFFF> endcodespacerange\n"
        f"{len(chars)} beginbfchar\n"
        + "".join(f"<{ord(c):04X}> <{ord(c):04X}>\n" for c in chars)
        + "endbfchar\nendcmap CMapName currentdict /CMap defineresource pop end end"
    )
    objects: list[bytes] = []

    def add(body: str | bytes, stream: bytes | None = None) -> int:
        raw = body.encode() if isinstance(body, str) else body
        if stream is not None:
            raw = raw[:-2] + b" /Length %d >>\nstream\n" % len(stream) + stream + b"\nendstream"
        objects.append(raw)
        return len(objects)

    unicode_map = add("<< >>", cmap.encode())
    cid_font = add(
        "<< /Type /Font /Subtype /CIDFontType2 /BaseFont /Song /DW 1000"
        " /CIDSystemInfo << /Registry (Adobe) /Ordering (Identity) /Supplement 0 >> >>"
    )
    font = add(
        "<< /Type /Font /Subtype /Type0 /BaseFont /Song /Encoding /Identity-H"
        f" /DescendantFonts [{cid_font} 0 R] /ToUnicode {unicode_map} 0 R >>"
    )
    image = add(
        "<< /Type /XObject /Subtype /Image /Width 1 /Height 1 /ColorSpace /DeviceGray"
        " /BitsPerComponent 8 >>",
        b"\x80",
    )
    pages_id = len(objects) + 2 * len(pages) + 1
    kids = []
    for lines in pages:
        ops = ["q 595 0 0 842 0 0 cm /Im1 Do Q"] if scanned else []
        for i, line in enumerate(lines):
            codes = "".join(f"{ord(c):04X}" for c in line)
            ops.append(f"BT /F1 12 Tf 72 {780 - 18 * i} Td <{codes}> Tj ET")
        content = add("<< >>", "\n".join(ops).encode())
        kids.append(
            add(
                f"<< /Type /Page /Parent {pages_id} 0 R /MediaBox [0 0 595 842] /Resources"
                f" << /Font << /F1 {font} 0 R >> /XObject << /Im1 {image} 0 R >> >>"
                f" /Contents {content} 0 R >>"
            )
        )
    add(f"<< /Type /Pages /Kids [{' '.join(f'{k} 0 R' for k in kids)}] /Count {len(kids)} >>")
    catalog = add(f"<< /Type /Catalog /Pages {pages_id} 0 R >>")

    out = io.BytesIO(b"%PDF-1.7\n")
    out.seek(0, io.SEEK_END)
    offsets = []
    for number, body in enumerate(objects, 1):
        offsets.append(out.tell())
        out.write(b"%d 0 obj\n%s\nendobj\n" % (number, body))
    xref = out.tell()
    out.write(b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1))
    out.write(b"".join(b"%010d 00000 n \n" % offset for offset in offsets))
    out.write(
        b"trailer\n<< /Size %d /Root %d 0 R >>\nstartxref\n%d\n%%%%EOF\n"
        % (len(objects) + 1, catalog, xref)
    )
    return out.getvalue()


def wrap(paragraph: str, width: float = LINE_WIDTH) -> list[str]:
    """Cut a paragraph into lines of at most `width` (ASCII counts half), like a PDF does."""
    lines = [""]
    used = 0.0
    for c in paragraph:
        w = 1.0 if unicodedata.east_asian_width(c) in "WF" else 0.5
        if used + w > width:
            lines.append("")
            used = 0.0
        lines[-1] += c
        used += w
    return lines


def policy_pdf() -> bytes:
    """Two pages: the title as running header, a running footer with the page number, page
    numbers on their own, and a paragraph that goes on over the page break."""
    body = [line for paragraph in PARAGRAPHS for line in wrap(paragraph)]
    cut = body.index(wrap(PARAGRAPHS[4])[1])  # page 2 starts inside the (二) paragraph
    return make_pdf(
        [
            [TITLE, *body[:cut], FOOTER.format(n=1), "- 1 -"],
            [TITLE, *body[cut:], FOOTER.format(n=2), "第 2 页 共 2 页"],
        ]
    )


def encrypted(data: bytes, user_password: str) -> bytes:
    writer = PdfWriter(clone_from=io.BytesIO(data))
    writer.encrypt(user_password=user_password, owner_password="owner", algorithm="RC4-128")
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


# --- parsing ----------------------------------------------------------------------------


def test_wrapped_lines_are_rejoined_into_sections() -> None:
    assert max(len(wrap(p)) for p in PARAGRAPHS) > 1  # the document really is wrapped

    parsed = parse_document("管理规定.pdf", policy_pdf())

    assert parsed.title == TITLE
    assert [s.heading_path for s in parsed.sections] == [
        ("一、总则",),
        ("二、停放管理", "(一)电动自行车应当停放在小区指定的停车棚内"),
        ("二、停放管理", "(二)严禁将电动自行车或者蓄电池带入电梯轿厢"),
        ("三、充电管理",),
    ]
    assert [s.text for s in parsed.sections] == [
        clean_display(PARAGRAPHS[i]) for i in (1, 3, 4, 6)
    ]


def test_page_numbers_and_running_header_and_footer_are_dropped() -> None:
    lines = raw_lines("管理规定.pdf", policy_pdf())

    assert lines[0] == TITLE  # the header is kept where it opens the document: the title
    assert lines.count(TITLE) == 1
    assert not any("页" in line or line.strip("- ").isdigit() for line in lines)
    assert not any("印发" in line for line in lines)


@pytest.mark.parametrize(
    "style", ["- {n} -", "—{n}—", "{n}", "第 {n} 页", "第{n}页 共3页", "{n}/3", "Page {n} of 3"]
)
def test_page_number_styles(style: str) -> None:
    body = ["业主应当遵守管理规约。", "业主应当按时交纳物业费。", "业主应当爱护公共设施。"]
    pages = [[line, style.format(n=n)] for n, line in enumerate(body, 1)]

    assert raw_lines("x.pdf", make_pdf(pages)) == body


def test_short_line_without_punctuation_is_not_joined() -> None:
    """A title or heading ends without punctuation too; it must not swallow the next line."""
    notice = "本周六上午九点起小区停水四小时，请各位业主提前储水。"
    assert len(wrap(notice)) == 2

    assert raw_lines("x.pdf", make_pdf([["物业服务公告", *wrap(notice), "联系人"]])) == [
        "物业服务公告",
        notice,
        "联系人",
    ]


def test_heading_after_a_full_line_starts_a_new_line() -> None:
    lines = [
        "公共区域包括下列场所，具体范围以物业服务合同约定为准",
        "（一）楼道和楼梯间；",
        "一、地下车库",
    ]

    assert raw_lines("x.pdf", make_pdf([lines])) == lines


def test_wider_table_rows_do_not_stop_rejoining() -> None:
    """An attachment table in a smaller font has more characters per line than the text."""
    body = [line for paragraph in PARAGRAPHS for line in wrap(paragraph)]
    table = [
        "车型 充电时长 收费标准 备注 电动自行车 每小时 0.5元 夜间充电每次最长八小时",
        "电动三轮车 每小时 0.8元 须在指定区域充电并向物业服务中心登记车辆信息",
        "老年代步车 每小时 1元 不得占用消防通道或在充电区外停放过夜",
    ]

    lines = raw_lines("x.pdf", make_pdf([[TITLE, *body], ["附件：充电收费标准", *table]]))

    assert lines[: len(PARAGRAPHS) + 2] == [TITLE, *PARAGRAPHS, "附件：充电收费标准"]


def test_latin_words_wrapped_keep_a_space() -> None:
    lines = ["扫码登记请访问社区小程序，或在浏览器中打开 Happy", "Community 页面。"]

    assert raw_lines("x.pdf", make_pdf([lines])) == [
        "扫码登记请访问社区小程序，或在浏览器中打开 Happy Community 页面。"
    ]


# --- import through the knowledge base --------------------------------------------------


@pytest.fixture
async def conn(tmp_path: Path) -> AsyncIterator[aiosqlite.Connection]:
    connection = await open_database(tmp_path / "t.db")
    yield connection
    await connection.close()


@pytest.fixture
async def kb(conn: aiosqlite.Connection) -> KnowledgeBase:
    return await KnowledgeBase.open(conn, load_faq=False)


async def test_pdf_import_answers_questions(kb: KnowledgeBase) -> None:
    summary = await kb.import_bytes("管理规定.pdf", policy_pdf())

    assert (summary.title, summary.sections, summary.passages) == (TITLE, 4, 4)
    answer = kb.ask("能把电瓶车推进电梯吗")
    assert answer.answered
    result = answer.results[0]
    assert "严禁在住宅楼内为电动自行车充电" in result.text
    assert "违者由物业服务企业劝阻并报告社区" in result.text  # the part on page 2
    assert "(二)严禁将电动自行车" in result.source


@pytest.mark.parametrize("filename", ["管理规定", "管理规定.txt", "管理规定.PDF"])
async def test_pdf_recognised_by_content_or_any_case_suffix(
    kb: KnowledgeBase, filename: str
) -> None:
    summary = await kb.import_bytes(filename, policy_pdf())

    assert (summary.title, summary.passages) == (TITLE, 4)


async def test_permissions_only_encryption_is_read(kb: KnowledgeBase) -> None:
    """Many official PDFs are encrypted only to restrict printing: the text is readable."""
    summary = await kb.import_bytes("管理规定.pdf", encrypted(policy_pdf(), user_password=""))

    assert (summary.title, summary.passages) == (TITLE, 4)


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"%PDF-1.7\n" + bytes(range(256)) * 8, pdf.UNREADABLE),
        (policy_pdf()[:700], pdf.UNREADABLE),  # truncated download
        (b"not a pdf at all", pdf.UNREADABLE),
        (b"%PDF-1.4", pdf.UNREADABLE),
        (encrypted(policy_pdf(), user_password="1234"), pdf.ENCRYPTED),
        (make_pdf([[], []], scanned=True), pdf.NO_TEXT),
        (make_pdf([["- 1 -"], ["- 2 -"]], scanned=True), pdf.NO_TEXT),  # only page numbers
    ],
    ids=["garbage", "truncated", "not-pdf", "header-only", "password", "scan", "scan-numbered"],
)
async def test_unusable_pdf_is_refused_and_nothing_imported(
    kb: KnowledgeBase, data: bytes, message: str
) -> None:
    with pytest.raises(KnowledgeImportError) as excinfo:
        await kb.import_bytes("管理规定.pdf", data)

    assert str(excinfo.value) == message
    assert "PDF" in message
    assert await kb.list_documents() == []
    assert kb.passage_count() == 0
