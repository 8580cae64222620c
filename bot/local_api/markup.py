"""Validation of ``parse_mode`` text, answering like Telegram's "can't parse entities".

The rendered text has the markup removed (like the text a client would display); formatting
entities are not reconstructed. The goal is to catch the classic production errors offline:
an unescaped ``<`` or unknown tag in HTML, an unescaped reserved character in MarkdownV2, an
unclosed entity.
"""

from __future__ import annotations

import html
import re

HTML_TAGS = frozenset(
    {
        "b", "strong", "i", "em", "u", "ins", "s", "strike", "del", "a", "code", "pre",
        "tg-spoiler", "span", "blockquote", "tg-emoji",
    }
)  # fmt: skip
MDV2_RESERVED = frozenset("_*[]()~`>#+-=|{}.!")
_TAG_RE = re.compile(r"<(/?)([a-zA-Z][a-zA-Z0-9-]*)((?:\s[^<>]*)?)>")
_ENTITY_RE = re.compile(r"&(#\d+|#x[0-9a-fA-F]+|[a-zA-Z]+);")


class ParseEntitiesError(ValueError):
    """Raised with the text Telegram puts after "Bad Request: can't parse entities: "."""


def _byte_offset(text: str, index: int) -> int:
    return len(text[:index].encode("utf-8"))


def render(text: str, parse_mode: str | None) -> str:
    """Validate ``text`` for ``parse_mode`` and return the text with the markup removed."""
    if not parse_mode:
        return text
    mode = parse_mode.lower()
    if mode == "html":
        return _render_html(text)
    if mode == "markdownv2":
        return _render_markdown(text, v2=True)
    if mode == "markdown":
        return _render_markdown(text, v2=False)
    raise ParseEntitiesError(f"Unsupported parse_mode {parse_mode!r}")


def _render_html(text: str) -> str:
    out: list[str] = []
    stack: list[tuple[str, int]] = []
    pos = 0
    while pos < len(text):
        lt = text.find("<", pos)
        chunk = text[pos:] if lt < 0 else text[pos:lt]
        _check_html_entities(text, pos, chunk)
        out.append(html.unescape(chunk))
        if lt < 0:
            break
        match = _TAG_RE.match(text, lt)
        if match is None:
            raise ParseEntitiesError(
                f'Unsupported start tag "" at byte offset {_byte_offset(text, lt)}'
            )
        closing, name = match.group(1) == "/", match.group(2).lower()
        if name not in HTML_TAGS:
            kind = "end" if closing else "start"
            raise ParseEntitiesError(
                f'Unsupported {kind} tag "{name}" at byte offset {_byte_offset(text, lt)}'
            )
        if closing:
            if not stack or stack[-1][0] != name:
                raise ParseEntitiesError(
                    f"Unexpected end tag at byte offset {_byte_offset(text, lt)}"
                )
            stack.pop()
        else:
            stack.append((name, lt))
        pos = match.end()
    if stack:
        name, start = stack[-1]
        raise ParseEntitiesError(
            f'Can\'t find end tag corresponding to start tag "{name}"'
            f" at byte offset {_byte_offset(text, start)}"
        )
    return "".join(out)


def _check_html_entities(text: str, base: int, chunk: str) -> None:
    index = chunk.find("&")
    while index >= 0:
        match = _ENTITY_RE.match(chunk, index)
        if match is not None and html.unescape(match.group(0)) == match.group(0):
            raise ParseEntitiesError(
                f'Unsupported HTML entity "{match.group(0)}" at byte offset '
                f"{_byte_offset(text, base + index)}"
            )
        index = chunk.find("&", index + 1)


def _render_markdown(text: str, *, v2: bool) -> str:
    markers = ("__", "||", "*", "_", "~") if v2 else ("*", "_")
    out: list[str] = []
    stack: list[tuple[str, int]] = []
    i = 0
    n = len(text)
    while i < n:
        char = text[i]
        if char == "\\" and i + 1 < n and (v2 or text[i + 1] in "_*`["):
            out.append(text[i + 1])
            i += 2
            continue
        if char == "`":
            fence = "```" if text.startswith("```", i) else "`"
            end = _find_unescaped(text, fence, i + len(fence), v2=v2)
            if end < 0:
                raise _unclosed(text, i)
            body = text[i + len(fence) : end]
            if fence == "```" and "\n" in body:
                first, rest = body.split("\n", 1)
                body = rest if first.strip() and " " not in first.strip() else body
            out.append(re.sub(r"\\([`\\])", r"\1", body) if v2 else body)
            i = end + len(fence)
            continue
        if char == "[" or (v2 and text.startswith("![", i)):
            stack.append(("[", i))
            i += 1 if char == "[" else 2
            continue
        if char == "]" and stack and stack[-1][0] == "[":
            if i + 1 >= n or text[i + 1] != "(":
                raise _unclosed(text, stack[-1][1])
            close = text.find(")", i + 2)
            if close < 0:
                raise _unclosed(text, stack[-1][1])
            stack.pop()
            i = close + 1
            continue
        if v2 and char == ">" and (i == 0 or text[i - 1] == "\n"):
            i += 1
            continue
        marker = next((m for m in markers if text.startswith(m, i)), None)
        if marker is not None:
            if stack and stack[-1][0] == marker:
                stack.pop()
            else:
                stack.append((marker, i))
            i += len(marker)
            continue
        if v2 and char in MDV2_RESERVED:
            raise ParseEntitiesError(
                f"Character '{char}' is reserved and must be escaped with the preceding '\\'"
            )
        out.append(char)
        i += 1
    if stack:
        raise _unclosed(text, stack[-1][1])
    return "".join(out)


def _find_unescaped(text: str, needle: str, start: int, *, v2: bool) -> int:
    i = start
    while True:
        found = text.find(needle, i)
        if found < 0 or not v2:
            return found
        backslashes = len(text[:found]) - len(text[:found].rstrip("\\"))
        if backslashes % 2 == 0:
            return found
        i = found + 1


def _unclosed(text: str, index: int) -> ParseEntitiesError:
    return ParseEntitiesError(
        f"Can't find end of the entity starting at byte offset {_byte_offset(text, index)}"
    )
