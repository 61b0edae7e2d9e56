"""PDF documents the services hand to people (CME certificates, participation reports), made the same way
with fpdf2: a Unicode font (DejaVu Sans) when the machine has one, so that every name prints as written;
otherwise the PDF core font, with what Latin-1 lacks folded to its base letters."""
from __future__ import annotations

import unicodedata
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from fpdf import FPDF

_FONT_DIRS = ("/usr/share/fonts/truetype/dejavu", "/usr/share/fonts/dejavu", "/usr/share/fonts/TTF")


def _unicode_font() -> tuple[Path, Path] | None:
    for d in _FONT_DIRS:
        regular, bold = Path(d) / "DejaVuSans.ttf", Path(d) / "DejaVuSans-Bold.ttf"
        if regular.exists() and bold.exists():
            return regular, bold
    return None


def latin1(text: str) -> str:
    """Text a PDF core font can show: what Latin-1 lacks is folded to its base letters (ễ → e)."""
    out = []
    for c in unicodedata.normalize("NFC", text):
        try:
            c.encode("latin-1")
            out.append(c)
        except UnicodeEncodeError:
            out.extend(b for b in unicodedata.normalize("NFKD", c)
                       if not unicodedata.combining(b) and b.encode("latin-1", "ignore"))
    return "".join(out)


@dataclass
class Document:
    pdf: FPDF
    family: str  # the font family to set_font with
    text: Callable[[str], str]  # what to pass every text through before writing it


def document(title: str, creator: str, orientation: str = "P") -> Document:
    """A Letter-sized document with its metadata and the best font the machine has."""
    pdf = FPDF(orientation=orientation, unit="mm", format="Letter")
    pdf.set_title(title)
    pdf.set_author("MentorMeMed")
    pdf.set_creator(creator)
    font = _unicode_font()
    if font:
        pdf.add_font("Body", "", str(font[0]))
        pdf.add_font("Body", "B", str(font[1]))
        return Document(pdf, "Body", lambda s: s)
    return Document(pdf, "Helvetica", latin1)
