"""Reading the upload form: the chosen file and the form's fields, held in memory only, with a size limit.

The multipart body is parsed as it arrives (python-multipart's streaming parser), so a file
larger than the limit is refused as soon as the limit is passed, before the rest is read, and
nothing is written to disk (a framework's form parser spools large files to a temporary file).
"""

from __future__ import annotations

from collections.abc import AsyncIterator

import attrs
from python_multipart.multipart import MultipartParser, parse_options_header

__all__ = ["Upload", "UploadRefused", "read_upload"]

#: The form's text fields are short; anything longer is not from the page.
_FIELD_LIMIT = 4096


class UploadRefused(ValueError):
    """Raised when the request is not the page's upload form, or its file is too large."""

    def __init__(self, message: str, *, status: int = 400) -> None:
        super().__init__(message)
        self.status = status


@attrs.define
class Upload:
    """What the form sent: the file's name and bytes, and the text fields."""

    filename: str = ""
    data: bytearray = attrs.Factory(bytearray)
    fields: dict[str, str] = attrs.Factory(dict)


class _Collector:
    def __init__(self, limit: int) -> None:
        self.limit = limit
        self.upload = Upload()
        self.header_field = bytearray()
        self.header_value = bytearray()
        self.headers: dict[str, bytes] = {}
        self.name = ""
        self.is_file = False
        self.buffer = bytearray()

    def callbacks(self) -> dict[str, object]:
        return {
            "on_part_begin": self.part_begin,
            "on_header_field": lambda data, start, end: self.header_field.extend(data[start:end]),
            "on_header_value": lambda data, start, end: self.header_value.extend(data[start:end]),
            "on_header_end": self.header_end,
            "on_headers_finished": self.headers_finished,
            "on_part_data": self.part_data,
            "on_part_end": self.part_end,
        }

    def part_begin(self) -> None:
        self.headers, self.name, self.is_file = {}, "", False
        self.buffer = bytearray()

    def header_end(self) -> None:
        self.headers[self.header_field.decode("latin-1").lower()] = bytes(self.header_value)
        self.header_field, self.header_value = bytearray(), bytearray()

    def headers_finished(self) -> None:
        _kind, options = parse_options_header(self.headers.get("content-disposition", b""))
        self.name = options.get(b"name", b"").decode("utf-8", "replace")
        if b"filename" in options:
            self.is_file = True
            self.upload.filename = options[b"filename"].decode("utf-8", "replace").replace("\\", "/").rsplit("/", 1)[-1]

    def part_data(self, data: bytes, start: int, end: int) -> None:
        if self.is_file:
            if self.upload.data:
                raise UploadRefused("the form sends one file at a time")
            self.buffer.extend(data[start:end])
            if len(self.buffer) > self.limit:
                raise UploadRefused(f"the file is larger than the page's limit of {_size(self.limit)}", status=413)
        else:
            self.buffer.extend(data[start:end])
            if len(self.buffer) > _FIELD_LIMIT:
                raise UploadRefused(f"the form field {self.name!r} is too long")

    def part_end(self) -> None:
        if self.is_file:
            if self.buffer:
                self.upload.data = self.buffer
            self.buffer = bytearray()
        else:
            self.upload.fields[self.name] = self.buffer.decode("utf-8", "replace")


def _size(limit: int) -> str:
    return f"{limit / 1024 / 1024:.0f} MB" if limit >= 1024 * 1024 else f"{limit} bytes"


async def read_upload(content_type: str, body: AsyncIterator[bytes], *, limit: int) -> Upload:
    """Parse a `multipart/form-data` request body as it streams in; `UploadRefused` when it cannot be used."""
    kind, options = parse_options_header(content_type)
    if kind != b"multipart/form-data" or b"boundary" not in options:
        raise UploadRefused("send the file with the page's form (multipart/form-data)", status=415)
    collector = _Collector(limit)
    parser = MultipartParser(options[b"boundary"], collector.callbacks())  # type: ignore[arg-type]
    received = 0
    async for chunk in body:
        received += len(chunk)
        if received > limit + 64 * 1024:  # the file, the fields and the part headers
            raise UploadRefused(f"the file is larger than the page's limit of {_size(limit)}", status=413)
        parser.write(chunk)
    parser.finalize()
    return collector.upload
