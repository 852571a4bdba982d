"""Reading uploads safely: a byte cap while streaming, and multipart parsed in memory.

Starlette's own form parsing spools large parts to temporary files; the service must never put a client's
file on disk, so the body is read (capped) into memory and parsed here with python-multipart's push parser.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from python_multipart import MultipartParser
from python_multipart.multipart import parse_options_header
from starlette.requests import Request


class UploadError(Exception):
    """A request the service refuses, with its HTTP status."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


@dataclass(frozen=True)
class Upload:
    data: bytes
    filename: str  # for display and as a format hint only; never used as a path


async def read_body(request: Request, max_bytes: int) -> bytes:
    """The request body, refusing (413) anything over max_bytes without reading the rest."""
    declared = request.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > max_bytes:
        raise UploadError(413, f"upload of {int(declared)} bytes exceeds the limit of {max_bytes} bytes")
    chunks, total = [], 0
    async for chunk in request.stream():
        total += len(chunk)
        if total > max_bytes:
            raise UploadError(413, f"upload exceeds the limit of {max_bytes} bytes")
        chunks.append(chunk)
    return b"".join(chunks)


def safe_name(name: str | None) -> str:
    """A display name without directories or control characters (max 100 characters)."""
    base = re.split(r"[\\/]", name or "")[-1]
    cleaned = re.sub(r"[^\w.\- ]", "_", base).strip()[:100]
    return cleaned or "upload"


def parse_upload(content_type: str, body: bytes, filename_header: str | None = None) -> Upload:
    """Extract the audio from a multipart form (field `file`) or take a raw body as the audio itself."""
    if not body:
        raise UploadError(400, "empty request: send the audio as the body or as multipart field 'file'")
    kind, options = parse_options_header(content_type or "")
    if kind != b"multipart/form-data":
        return Upload(body, safe_name(filename_header))
    boundary = options.get(b"boundary")
    if not boundary:
        raise UploadError(400, "multipart request without a boundary")
    parts: list[dict] = []
    current: dict = {}
    header_name = bytearray()
    header_value = bytearray()

    def on_part_begin() -> None:
        current.clear()
        current.update(headers={}, data=bytearray())

    def on_header_field(data: bytes, start: int, end: int) -> None:
        header_name.extend(data[start:end])

    def on_header_value(data: bytes, start: int, end: int) -> None:
        header_value.extend(data[start:end])

    def on_header_end() -> None:
        current["headers"][bytes(header_name).lower()] = bytes(header_value)
        header_name.clear()
        header_value.clear()

    def on_part_data(data: bytes, start: int, end: int) -> None:
        current["data"].extend(data[start:end])

    def on_part_end() -> None:
        parts.append(dict(current))

    parser = MultipartParser(boundary, {"on_part_begin": on_part_begin, "on_header_field": on_header_field,
                                        "on_header_value": on_header_value, "on_header_end": on_header_end,
                                        "on_part_data": on_part_data, "on_part_end": on_part_end})
    try:
        parser.write(body)
        parser.finalize()
    except Exception as exc:  # python-multipart raises several parse error types
        raise UploadError(400, f"malformed multipart body ({exc})") from None
    for part in parts:
        _, disposition = parse_options_header(part["headers"].get(b"content-disposition", b""))
        if disposition.get(b"name") == b"file":
            filename = disposition.get(b"filename", b"upload").decode("utf-8", "replace")
            return Upload(bytes(part["data"]), safe_name(filename))
    raise UploadError(400, "multipart request has no field named 'file'")
