"""Small files for evidence tests: just the signatures a real file starts with, and padding."""

from __future__ import annotations

from django.core.files.uploadedfile import SimpleUploadedFile

PDF = b"%PDF-1.7\n% test evidence\n1 0 obj << /Type /Catalog >> endobj\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00\x00\x00\rIHDR" + bytes(17)
JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + bytes(16) + b"\xff\xd9"
GIF = b"GIF89a" + bytes(20)


def pdf_upload(name: str = "proof.pdf", data: bytes = PDF) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, data, content_type="application/pdf")
