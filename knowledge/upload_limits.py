"""Limits on files staff upload (policy documents today, the roster `.xlsx` next).

A hostile or merely careless file must be refused quickly, with a plain Chinese message,
before it costs minutes of CPU or gigabytes of memory. The measured case: a 0.9 MB `.docx`
whose `word/document.xml` inflates to 249 MB ran for 9 minutes at 2.4 GB.

`.docx` and `.xlsx` are zip archives. `check_zip` reads the central directory (what the
archive claims) and then inflates every entry in small chunks, counting what really comes
out, because the directory can lie: a tampered size field is only noticed when the data
is read. Readers that open the archive afterwards (python-docx, openpyxl) use the sizes
the directory declares, which this check has bounded.

What the limits do not catch — a PDF whose pages are cheap to count but slow to read,
lxml building a tree from 50 MB of XML — is left to the worker process that parses
uploads (`knowledge/isolated.py`): it runs under a memory cap and a wall-clock limit.
"""

from __future__ import annotations

import io
import zipfile

# What the Bot API lets a bot download (getFile); larger files never reach us anyway.
MAX_UPLOAD_BYTES = 20 * 1024 * 1024
# Everything inside an office file, inflated. A 300-page policy document is ~5 MB of XML;
# photos are stored already compressed, so they inflate little.
MAX_INFLATED_BYTES = 50 * 1024 * 1024
MAX_ZIP_ENTRIES = 2_000
MAX_PDF_PAGES = 300
# Characters of text one document may hold: a 5 MB text file is fine, 30 MB is not.
MAX_TEXT_CHARS = 8_000_000
# Wall-clock time and address space the worker process may use for one upload.
MAX_PARSE_SECONDS = 60.0
MAX_WORKER_MEMORY_BYTES = 1024 * 1024 * 1024

_CHUNK = 64 * 1024


class UploadRejectedError(Exception):
    """An upload exceeds a limit; str(exc) is a plain Chinese message for staff."""


def _mb(n: int) -> str:
    return f"{n / (1024 * 1024):.0f} MB"


def upload_too_large(size: int, limit: int = MAX_UPLOAD_BYTES) -> str:
    return f"文件太大（{_mb(size)}），最大只能导入 {_mb(limit)}。请拆分成几个较小的文件后再导入。"


INFLATES_TOO_MUCH = (
    "文件解压后内容过大（超过 {limit}），可能已损坏或被恶意构造，已拒绝导入。"
    "请用 Word/WPS/Excel 打开后重新另存，或拆分成几个较小的文件后再导入。"
)
TOO_MANY_ENTRIES = (
    "文件内部结构过于复杂（包含 {count} 个部件，最多允许 {limit} 个），已拒绝导入。"
    "请用 Word/WPS/Excel 打开后重新另存再导入。"
)
NOT_A_ZIP = "文件已损坏或格式不正确，无法读取。请用 Word/WPS/Excel 打开后重新另存再导入。"
TOO_MANY_PAGES = (
    "PDF 文件页数过多（{pages} 页），最多只能导入 {limit} 页。请拆分成几个较小的文件后再导入。"
)
TOO_MUCH_TEXT = (
    "文件文字过多（约 {chars} 万字），最多只能导入 {limit} 万字。请拆分成几个较小的文件后再导入。"
)
TOO_SLOW = (
    "文件处理超时（超过 {seconds} 秒），文件可能过大或过于复杂。"
    "请拆分成几个较小的文件，或另存为 .txt 后再导入。"
)
OUT_OF_MEMORY = (
    "文件内容过于复杂，处理时超出了内存限制，已停止导入。"
    "请拆分成几个较小的文件，或另存为 .txt 后再导入。"
)


def check_upload_size(size: int, limit: int = MAX_UPLOAD_BYTES) -> None:
    if size > limit:
        raise UploadRejectedError(upload_too_large(size, limit))


def check_text_length(chars: int, limit: int = MAX_TEXT_CHARS) -> None:
    if chars > limit:
        raise UploadRejectedError(
            TOO_MUCH_TEXT.format(chars=chars // 10_000, limit=limit // 10_000)
        )


def check_zip(
    data: bytes,
    max_inflated_bytes: int = MAX_INFLATED_BYTES,
    max_entries: int = MAX_ZIP_ENTRIES,
) -> None:
    """Refuse a zip whose entries are too many or inflate to more than `max_inflated_bytes`.

    First what the central directory declares (costs nothing), then every entry inflated
    chunk by chunk with a running total, so at most `max_inflated_bytes` (+ one chunk) is
    ever decompressed and at most one chunk is held in memory.
    """
    too_big = UploadRejectedError(INFLATES_TOO_MUCH.format(limit=_mb(max_inflated_bytes)))
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, ValueError, EOFError) as exc:
        raise UploadRejectedError(NOT_A_ZIP) from exc
    with archive:
        entries = archive.infolist()
        if len(entries) > max_entries:
            raise UploadRejectedError(
                TOO_MANY_ENTRIES.format(count=len(entries), limit=max_entries)
            )
        if sum(e.file_size for e in entries) > max_inflated_bytes:
            raise too_big
        total = 0
        for entry in entries:
            if entry.is_dir():
                continue
            try:
                with archive.open(entry) as member:
                    while chunk := member.read(_CHUNK):
                        total += len(chunk)
                        if total > max_inflated_bytes:
                            raise too_big
            except UploadRejectedError:
                raise
            except (zipfile.BadZipFile, OSError, ValueError, EOFError, NotImplementedError) as exc:
                # A size or CRC that does not match the data (the directory lied), an
                # unsupported compression method, an encrypted entry.
                raise UploadRejectedError(NOT_A_ZIP) from exc
            except RuntimeError as exc:  # zipfile: "File ... is encrypted, password required"
                raise UploadRejectedError(NOT_A_ZIP) from exc
