"""CME certificates as PDF (fpdf2): the mentor's name, the module, the credit hours, the date and the
verification code, with where to verify it (fonts as every PDF of the platform: shared/pdf.py)."""
from __future__ import annotations

from services.training.models import CmeCertificate
from shared.pdf import document as pdf_document

VERIFY_PATH = "/api/v1/training/certificates/{code}"


def render(cert: CmeCertificate) -> bytes:
    doc = pdf_document(f"CME certificate {cert.code}", "MentorMeMed training service", orientation="L")
    pdf, family, text = doc.pdf, doc.family, doc.text
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
