"""Decoding Bot API request parameters exactly as python-telegram-bot 22 encodes them.

PTB (``telegram.request.RequestData.json_parameters``) sends every parameter as a form field
whose value is the raw string for ``str`` values and ``json.dumps(value)`` for everything else
(ints, bools, lists, dicts such as ``reply_markup``). Requests with uploads are
``multipart/form-data``: the same fields plus one file part per upload, named after the
parameter (``document``, ``photo``) or referenced as ``attach://<name>``. Plain JSON bodies and
query strings are accepted too, like the real server.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any, NamedTuple

from aiohttp import BodyPartReader, web

from bot.local_api.records import bad_request

# Parameters whose values are plain strings; PTB sends those raw (not JSON encoded).
STRING_PARAMS = frozenset(
    {
        "text", "caption", "question", "parse_mode", "caption_parse_mode", "explanation",
        "explanation_parse_mode", "question_parse_mode", "description_parse_mode",
        "description", "short_description", "callback_query_id", "url", "file_id",
        "inline_message_id", "action", "language_code", "emoji", "title", "name",
        "secret_token", "ip_address", "message_effect_id", "business_connection_id",
        "custom_title", "document", "photo", "sticker", "type", "query_id", "thumbnail",
    }
)  # fmt: skip


class Upload(NamedTuple):
    filename: str
    data: bytes
    content_type: str


def coerce_param(key: str, value: Any) -> Any:
    """Decode one form value: PTB JSON-encodes every non-string parameter value."""
    if not isinstance(value, str) or key in STRING_PARAMS:
        return value
    try:
        return json.loads(value)
    except ValueError:
        return value


@dataclass
class Params:
    """Decoded parameters of one request plus its uploaded files."""

    values: dict[str, Any] = field(default_factory=dict)
    uploads: dict[str, Upload] = field(default_factory=dict)

    def get(self, key: str, default: Any = None) -> Any:
        value = self.values.get(key)
        return default if value is None else value

    def has(self, key: str) -> bool:
        return self.values.get(key) is not None or key in self.uploads

    def opt_str(self, key: str, default: str | None = None) -> str | None:
        value = self.values.get(key)
        return default if value is None else str(value)

    def opt_int(self, key: str, default: int | None = None) -> int | None:
        value = self.values.get(key)
        if value is None or value == "":
            return default
        try:
            return int(value)
        except (TypeError, ValueError):
            raise bad_request(f"invalid {key} specified") from None

    def require(self, key: str) -> Any:
        value = self.values.get(key)
        if value is None or value == "":
            raise bad_request(f"{key} is empty")
        return value

    def require_int(self, key: str) -> int:
        value = self.opt_int(key)
        if value is None:
            raise bad_request(f"{key} is empty")
        return value

    def file(self, key: str) -> Upload | str | None:
        """An uploaded file for ``key`` (direct part or ``attach://``), else its string value."""
        if key in self.uploads:
            return self.uploads[key]
        value = self.values.get(key)
        if isinstance(value, str) and value.startswith("attach://"):
            upload = self.uploads.get(value.removeprefix("attach://"))
            if upload is None:
                raise bad_request(f"{key} file attach://... not found in the request")
            return upload
        return None if value is None else str(value)

    def loggable(self) -> dict[str, Any]:
        """Values plus a short description of each upload, for :class:`Call` records."""
        logged = dict(self.values)
        for name, upload in self.uploads.items():
            logged.setdefault(name, f"<upload {upload.filename} {len(upload.data)} bytes>")
        return logged


async def parse_request(request: web.Request) -> Params:
    params = Params()
    raw: dict[str, Any] = dict(request.query)
    content_type = request.content_type
    if request.method == "POST" and request.can_read_body:
        if content_type == "multipart/form-data":
            reader = await request.multipart()
            while (part := await reader.next()) is not None:
                if not isinstance(part, BodyPartReader) or part.name is None:
                    continue
                if part.filename is not None:
                    params.uploads[part.name] = Upload(
                        filename=part.filename,
                        data=bytes(await part.read()),
                        content_type=part.headers.get("Content-Type", "application/octet-stream"),
                    )
                else:
                    raw[part.name] = await part.text()
        elif content_type == "application/json":
            try:
                body = await request.json()
            except ValueError:
                raise bad_request("can't parse JSON request body") from None
            if not isinstance(body, dict):
                raise bad_request("request body must be a JSON object")
            raw.update(body)
        else:
            form = await request.post()
            raw.update({key: value for key, value in form.items() if isinstance(value, str)})
    params.values = {key: coerce_param(key, value) for key, value in raw.items()}
    return params
