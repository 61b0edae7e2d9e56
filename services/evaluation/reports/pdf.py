"""A mentor's participation report as PDF (fpdf2), for a promotion or FTE dossier: the institution, the
mentor, the period, the figures, the rewards the institution offers, the date it was generated and how
the figures are computed (fonts as every PDF of the platform: shared/pdf.py)."""
from __future__ import annotations

from datetime import date, timedelta

from services.evaluation import privacy
from services.evaluation.reports import rules
from shared.pdf import document as pdf_document

STATUS_WORDS = {"active": "Active", "ejected": "Removed from the program", "exited": "Left the program",
                "deactivated": "Account deactivated"}


def _day(d: date) -> str:
    return f"{d.day} {d.strftime('%B %Y')}"


def _num(value: float | int | None, suffix: str = "") -> str:
    if value is None:
        return "n/a"
    return str(value) + suffix


def figures(mentor: dict) -> list[tuple[str, str]]:
    """The report's figures as (label, value) lines, in words a promotion committee reads."""
    rate = mentor["response_rate"]
    lines = [
        ("Active mentorships in the period", _num(mentor["active_mentorships"])),
        ("Mentorships started in the period", _num(mentor["mentorships_started"])),
        ("Mentee-months mentored", _num(mentor["mentee_months"])),
        ("Mentorship requests received", _num(mentor["requests_received"])),
        ("Requests answered by the mentor", _num(mentor["requests_answered"])),
        ("Response rate", "n/a" if rate is None else f"{round(rate * 100)}%"),
        ("Median response time", _num(mentor["median_response_hours"], " hours")),
        ("Mentee evaluations submitted", _num(mentor["evaluation_count"])),
    ]
    avg = mentor["averages"]
    if mentor["evaluations_withheld"]:
        lines.append(("Evaluation averages", f"Withheld: fewer than {privacy.EVALUATION_MINIMUM} evaluations"))
    elif avg:
        lines += [
            ("Average rating: availability", f"{avg['availability']:.2f} of 5"),
            ("Average rating: responsiveness", f"{avg['responsiveness']:.2f} of 5"),
            ("Average rating: quality of guidance", f"{avg['guidance']:.2f} of 5"),
            ("Average rating: overall", f"{avg['overall']:.2f} of 5"),
            ("Would recommend the mentor", f"{round(avg['would_recommend_share'] * 100)}%"),
        ]
    trained = mentor["training_completed"]
    lines += [
        ("Mentor training completed", trained.isoformat() if trained else "Not completed"),
        ("CME credit hours awarded in the period", _num(mentor["cme_hours"])),
    ]
    return lines


def render(report: dict) -> bytes:
    """The PDF of `report` (service.mentor_report)."""
    mentor, start, end = report["mentor"], report["period"]["from"], report["period"]["to"]
    doc = pdf_document(f"Mentoring participation report: {mentor['name'] or ''}", "MentorMeMed evaluation service")
    pdf, family, text = doc.pdf, doc.family, doc.text
    pdf.set_margins(20, 18, 20)
    pdf.set_auto_page_break(True, margin=18)
    pdf.add_page()
    width = pdf.w - 40

    def para(words: str, size: float, height: float, bold: bool = False, align: str = "L") -> None:
        pdf.set_font(family, "B" if bold else "", size)
        pdf.multi_cell(width, height, text(words), align=align, new_x="LMARGIN", new_y="NEXT")

    para("Mentoring participation report", 20, 10, bold=True)
    para(report["institution"]["name"] or "", 13, 7)
    pdf.ln(4)
    para(mentor["name"] or "", 17, 9, bold=True)
    para(f"Mentor status: {STATUS_WORDS.get(mentor['status'], mentor['status'])}", 10, 6)
    last = end - timedelta(days=1)
    para(f"Period: {_day(start)} through {_day(last)}", 11, 6)
    pdf.ln(4)

    pdf.set_draw_color(180, 180, 180)
    for label, value in figures(mentor):
        pdf.set_font(family, "", 10.5)
        pdf.cell(width * 0.62, 7, text(label), border="B")
        pdf.set_font(family, "B", 10.5)
        pdf.cell(width * 0.38, 7, text(value), border="B", align="R", new_x="LMARGIN", new_y="NEXT")
    pdf.ln(6)

    para("Rewards this institution offers for mentoring", 12, 7, bold=True)
    rewards = report["reward_policy"]
    if not rewards:
        para("The institution has not named rewards for mentoring on MentorMeMed.", 10, 5.5)
    for reward in rewards:
        para(f"- {reward['name']}" + (f": {reward['details']}" if reward["details"] else ""), 10, 5.5)
    pdf.ln(5)

    para(rules.METHOD_NOTE, 8.5, 4.4)
    pdf.ln(3)
    para(f"Generated on {_day(report['generated_at'].date())} by MentorMeMed from the program's records.", 8.5, 4.4)
    return bytes(pdf.output())
