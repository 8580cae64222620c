"""The /stats chart: grouped bars (this week, this month) per category, as a PNG.

Drawn with Pillow and a bundled subset of Noto Sans CJK SC (GB2312 + ASCII, 1.5 MB, OFL):
Pillow is ~7 MB installed and imports in ~20 ms, where matplotlib adds ~70 MB (with
fontTools, kiwisolver) and ~0.3 s of import; and no system CJK font is assumed. The
drawing is CPU work: call `render` through `asyncio.to_thread`.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from PIL import Image, ImageDraw, ImageFont

FONT_PATH = Path(__file__).with_name("data") / "NotoSansCJKsc-GB2312.otf"
WIDTH = 900
BAR_AREA = 360
WEEK_COLOUR = (66, 133, 244)
MONTH_COLOUR = (251, 140, 0)
INK = (33, 33, 33)
GRID = (224, 224, 224)


@dataclass(frozen=True)
class ChartData:
    title: str
    labels: Sequence[str]  # one per category
    week: Sequence[int]
    month: Sequence[int]
    week_label: str
    month_label: str


def _font(size: int) -> ImageFont.FreeTypeFont:
    return ImageFont.truetype(str(FONT_PATH), size)


def render(data: ChartData) -> bytes:
    """The PNG bytes of the chart (blocking: run it in a thread)."""
    title_font, font, small = _font(28), _font(18), _font(15)
    count = max(len(data.labels), 1)
    slot = max(70, (WIDTH - 120) // count)
    width = max(WIDTH, 100 + slot * count)
    height = 110 + BAR_AREA + 90
    image = Image.new("RGB", (width, height), "white")
    draw = ImageDraw.Draw(image)
    draw.text((40, 20), data.title, font=title_font, fill=INK)
    # legend
    for i, (label, colour) in enumerate(
        ((data.week_label, WEEK_COLOUR), (data.month_label, MONTH_COLOUR))
    ):
        x = width - 260 + i * 120
        draw.rectangle((x, 30, x + 18, 48), fill=colour)
        draw.text((x + 24, 27), label, font=font, fill=INK)
    top, bottom, left = 90, 90 + BAR_AREA, 70
    peak = max([*data.week, *data.month, 1])
    for step in range(5):
        y = bottom - BAR_AREA * step // 4
        draw.line((left, y, width - 30, y), fill=GRID)
        draw.text((20, y - 10), str(round(peak * step / 4)), font=small, fill=INK)
    bar = max(10, slot // 3)
    for i, label in enumerate(data.labels):
        x0 = left + 10 + i * slot
        for j, (value, colour) in enumerate(
            ((data.week[i], WEEK_COLOUR), (data.month[i], MONTH_COLOUR))
        ):
            bx = x0 + j * (bar + 4)
            h = BAR_AREA * value // peak
            if h:
                draw.rectangle((bx, bottom - h, bx + bar, bottom), fill=colour)
            draw.text((bx, bottom - h - 20), str(value), font=small, fill=INK)
        for k, line in enumerate(_lines(label, max(2, (slot - 8) // 19))):
            draw.text((x0, bottom + 10 + k * 22), line, font=font, fill=INK)
    draw.line((left, top, left, bottom), fill=INK)
    draw.line((left, bottom, width - 30, bottom), fill=INK)
    out = io.BytesIO()
    image.save(out, format="PNG", optimize=True)
    return out.getvalue()


def _lines(label: str, size: int) -> list[str]:
    """At most two lines of `size` characters, the second cut with an ellipsis."""
    first, rest = label[:size], label[size:]
    if not rest:
        return [first]
    return [first, rest if len(rest) <= size else rest[: size - 1] + "…"]
