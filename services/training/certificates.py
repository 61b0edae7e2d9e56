"""CME certificates as PDF (fpdf2): the mentor's name, the module, the credit hours, the date and the
verification code, with where to verify it. A Unicode font (DejaVu Sans) is used when the machine has
one; otherwise the PDF core font, with accents folded so that every name prints."""
from __future__ import annotations

from pathlib import Path

from fpdf import FPDF

from services.training import rules
from services.training.models import CmeCertificate

_FONT_DIRS = ("/usr/share/fonts/truetype/dejavu", "/usr/share/fonts/dejavu", "/usr/share/fonts/TTF")
VERIFY_PATH = "/api/v1/training/certificates/{code}"


def _unicode_font() -> tuple[Path, Path] | None:
    for d in _FONT_DIRS:
        regular, bold = Path(d) / "DejaVuSans.ttf", Path(d) / "DejaVuSans-Bold.ttf"
        if regular.exists() and bold.exists():
            return regular, bold
    return None


def render(cert: CmeCertificate) -> bytes:
    pdf = FPDF(orientation="L", unit="mm", format="Letter")
    pdf.set_title(f"CME certificate {cert.code}")
    pdf.set_author("MentorMeMed")
    pdf.set_creator("MentorMeMed training service")
    font = _unicode_font()
    if font:
        pdf.add_font("Body", "", str(font[0]))
        pdf.add_font("Body", "B", str(font[1]))
        family, text = "Body", (lambda s: s)
    else:
        family, text = "Helvetica", rules.latin1
    pdf.add_page()
    pdf.set_draw_color(30, 80, 120)
    pdf.set_line_width(1.2)
    pdf.rect(10, 10, pdf.w - 20, pdf.h - 20)
    width = pdf.w - 40

    def line(words: str, size: int, height: float, bold: bool = False) -> None:
        pdf.set_font(family, "B" if bold else "", size)
        pdf.set_x(20)
        pdf.multi_cell(width, height, text(words), align="C", new_x="LMARGIN", new_y="NEXT")

    hours = f"{cert.credit_hours.normalize():f}"
    unit = "hour" if cert.credit_hours == 1 else "hours"
    pdf.set_y(30)
    line("Certificate of Continuing Medical Education", 26, 14, bold=True)
    line("MentorMeMed mentor training certifies that", 14, 14)
    line(cert.learner_name, 24, 16, bold=True)
    line("completed the training module", 14, 12)
    line(cert.module_title, 18, 10, bold=True)
    line(f"and is awarded {hours} CME credit {unit} on {cert.awarded_at.date().isoformat()}.", 14, 12)
    pdf.ln(14)
    line(f"Verification code: {cert.code}", 13, 8, bold=True)
    line("Verify at " + VERIFY_PATH.format(code=cert.code), 10, 8)
    return bytes(pdf.output())
