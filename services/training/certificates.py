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
    pdf.set_xy(20, 30)
    pdf.set_font(family, "B", 26)
    pdf.cell(width, 14, text("Certificate of Continuing Medical Education"), align="C",
             new_x="LMARGIN", new_y="NEXT")
    pdf.set_font(family, "", 14)
    pdf.set_x(20)
    pdf.cell(width, 14, text("MentorMeMed mentor training certifies that"), align="C", new_x="LMARGIN", new_y="NEXT")
    pdf.set_font(family, "B", 24)
    pdf.set_x(20)
    pdf.cell(width, 16, text(cert.learner_name), align="C", new_x="LMARGIN", new_y="NEXT")
    pdf.set_font(family, "", 14)
    pdf.set_x(20)
    pdf.cell(width, 12, text("completed the training module"), align="C", new_x="LMARGIN", new_y="NEXT")
    pdf.set_font(family, "B", 18)
    pdf.set_x(20)
    pdf.multi_cell(width, 10, text(cert.module_title), align="C", new_x="LMARGIN", new_y="NEXT")
    pdf.set_font(family, "", 14)
    pdf.set_x(20)
    hours = f"{cert.credit_hours.normalize():f}"
    unit = "hour" if cert.credit_hours == 1 else "hours"
    pdf.cell(width, 12, text(f"and is awarded {hours} CME credit {unit} on {cert.awarded_at.date().isoformat()}."),
             align="C", new_x="LMARGIN", new_y="NEXT")
    pdf.ln(14)
    pdf.set_font(family, "B", 13)
    pdf.set_x(20)
    pdf.cell(width, 8, text(f"Verification code: {cert.code}"), align="C", new_x="LMARGIN", new_y="NEXT")
    pdf.set_font(family, "", 10)
    pdf.set_x(20)
    pdf.cell(width, 8, text("Verify at " + VERIFY_PATH.format(code=cert.code)), align="C",
             new_x="LMARGIN", new_y="NEXT")
    return bytes(pdf.output())
