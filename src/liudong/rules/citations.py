"""Citations: which document and article a rule or a parameter value implements.

Documents are keyed (``CS14``, ``SA14``...) in ``documents.yaml``, the one catalogue of the
legal sources the rules cite, with title, issuer, number, date and confidence.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from importlib import resources
from typing import Any

import yaml

from liudong.rules.errors import CitationError

__all__ = ["Cite", "Document", "documents"]

CONFIDENCE = ("verified", "provisional", "assumption")


@dataclass(frozen=True)
class Document:
    key: str
    title: str
    title_en: str
    issuer: str
    number: str
    date: str
    confidence: str

    def as_dict(self) -> dict[str, str]:
        return {
            "key": self.key,
            "title": self.title,
            "title_en": self.title_en,
            "issuer": self.issuer,
            "number": self.number,
            "date": self.date,
            "confidence": self.confidence,
        }


@functools.cache
def documents() -> dict[str, Document]:
    """The catalogue of cited documents, by key."""
    text = resources.files("liudong.rules").joinpath("documents.yaml").read_text("utf-8")
    raw: dict[str, dict[str, Any]] = yaml.safe_load(text)
    docs = {}
    for key, entry in raw.items():
        if entry.get("confidence") not in CONFIDENCE:
            raise CitationError(f"documents.yaml: {key} needs confidence: one of {CONFIDENCE}")
        docs[key] = Document(
            key=key,
            title=str(entry["title"]),
            title_en=str(entry.get("title_en", "")),
            issuer=str(entry.get("issuer", "")),
            number=str(entry.get("number", "")),
            date=str(entry.get("date", "")),
            confidence=str(entry["confidence"]),
        )
    return docs


@dataclass(frozen=True)
class Cite:
    """A citation: a document key from the catalogue and an article (or item, or table)."""

    document: str
    article: str

    def __post_init__(self) -> None:
        if self.document not in documents():
            known = ", ".join(sorted(documents()))
            raise CitationError(
                f"unknown document {self.document!r} in a citation; add it to "
                f"liudong/rules/documents.yaml or use one of: {known}"
            )
        if not self.article:
            raise CitationError(f"a citation of {self.document} must name the article")

    @classmethod
    def parse(cls, value: object, *, where: str) -> Cite:
        """From ``"CS14 art. 1"``, ``["CS14", "art. 1"]`` or ``{document:, article:}``."""
        if isinstance(value, Cite):
            return value
        if isinstance(value, str) and " " in value.strip():
            doc, article = value.strip().split(" ", 1)
            return cls(doc, article.strip())
        if isinstance(value, list | tuple) and len(value) == 2:
            return cls(str(value[0]), str(value[1]))
        if isinstance(value, dict) and {"document", "article"} <= value.keys():
            return cls(str(value["document"]), str(value["article"]))
        raise CitationError(
            f"{where}: a citation must name a document key and an article, "
            f'e.g. "SA14 art. 12" or {{document: SA14, article: art. 12}}; got {value!r}'
        )

    @property
    def doc(self) -> Document:
        return documents()[self.document]

    def text(self, lang: str = "zh") -> str:
        doc = self.doc
        title = doc.title if lang == "zh" or not doc.title_en else doc.title_en
        number = f" ({doc.number})" if doc.number else ""
        return f"{title}{number} {self.article}"

    def as_dict(self) -> dict[str, str]:
        return {
            "document": self.document,
            "article": self.article,
            "title": self.doc.title,
            "title_en": self.doc.title_en,
            "number": self.doc.number,
            "confidence": self.doc.confidence,
        }
