"""The de-identified export of an approved research request (DESIGN §6, R16).

Format: a ZIP holding one CSV per requested dataset (`<dataset>.csv`, UTF-8, a header row, columns as
rules.CATALOGUE lists them) and `manifest.json` (the datasets with their descriptions, columns and row
counts, the period as months, the suppression rule). Chosen over one JSON document because researchers
open CSV files directly in R, Stata or a spreadsheet.

De-identification: only the columns of the catalogue are ever selected (no names, e-mails or free
texts are read at all); every platform id becomes a pseudonym keyed with a secret drawn for this export
alone and then discarded; every date becomes its month; rows are limited to the requested period; a
count under privacy.RESEARCH_CELL_MINIMUM in an aggregate table is 'suppressed', with the means over it.

The row-level datasets are pseudonymous microdata: combining them can recount what an aggregate
suppresses, which is why an operator decides each request (and its datasets) case by case.
"""
from __future__ import annotations

import csv
import io
import json
import secrets
import zipfile
from collections import defaultdict

import sqlalchemy as sa
from sqlalchemy import orm

from services.evaluation import privacy
from services.evaluation.models import Evaluation, EvaluationAnswers, Institution, Mentorship, RequestFact
from services.evaluation.research import rules
from services.evaluation.research.models import DataRequest

MEDIA_TYPE = "application/zip"
RATINGS = ("availability", "responsiveness", "guidance", "overall")
_FIXED_ZIP_TIME = (1980, 1, 1, 0, 0, 0)  # no entry carries the moment the export was made


class _Builder:
    def __init__(self, session: orm.Session, request: DataRequest, secret: bytes):
        self.s = session
        self.r = request
        self.secret = secret
        self.since, self.until = rules.period_bounds(request.period_start, request.period_end)

    def p(self, kind: str, platform_id) -> str:
        return rules.pseudonym(self.secret, kind, platform_id)

    def _in_period(self, column):
        return sa.and_(column >= self.since, column < self.until)

    def mentorships(self) -> list[list]:
        out = []
        stmt = (sa.select(Mentorship.mentor_id, Mentorship.mentor_institution_id, Mentorship.mentee_id,
                          Mentorship.mentee_institution_id, Mentorship.started_at, Mentorship.concluded_at,
                          Mentorship.concluded_by)
                .where(self._in_period(Mentorship.started_at)).order_by(Mentorship.started_at))
        for m in self.s.execute(stmt):
            # a conclusion after the period is not told: the mentorship was active at its end
            concluded = m.concluded_at is not None and m.concluded_at < self.until
            until = m.concluded_at if concluded else self.until
            out.append([self.p("mentor", m.mentor_id), self.p("institution", m.mentor_institution_id),
                        self.p("mentee", m.mentee_id), self.p("institution", m.mentee_institution_id),
                        rules.month(m.started_at), rules.month(m.concluded_at) if concluded else "",
                        rules.whole_months(m.started_at, until), (m.concluded_by or "") if concluded else ""])
        return out

    def evaluations(self) -> list[list]:
        # the free texts (program_text, shared_text) are never selected
        stmt = (sa.select(Evaluation.mentor_id, Evaluation.kind, EvaluationAnswers.submitted_at,
                          *(getattr(EvaluationAnswers, r) for r in RATINGS), EvaluationAnswers.would_recommend)
                .join(EvaluationAnswers, EvaluationAnswers.evaluation_id == Evaluation.evaluation_id)
                .where(self._in_period(EvaluationAnswers.submitted_at)).order_by(EvaluationAnswers.submitted_at))
        return [[self.p("mentor", e.mentor_id), e.kind, rules.month(e.submitted_at),
                 *(getattr(e, r) for r in RATINGS), "yes" if e.would_recommend else "no"]
                for e in self.s.execute(stmt)]

    def requests(self) -> list[list]:
        stmt = (sa.select(RequestFact.mentor_id, RequestFact.created_at, RequestFact.outcome,
                          RequestFact.responded_at)
                .where(self._in_period(RequestFact.created_at)).order_by(RequestFact.created_at))
        out = []
        for q in self.s.execute(stmt):
            days = "" if q.responded_at is None else round((q.responded_at - q.created_at).total_seconds() / 86400)
            out.append([self.p("mentor", q.mentor_id), rules.month(q.created_at), q.outcome, days])
        return out

    def participation_summary(self) -> list[list]:
        """Every known institution × every month of the period, so that a missing row never stands for a
        small count: cells under the minimum (zero included) are suppressed."""
        started: dict[tuple, int] = defaultdict(int)
        month_of = sa.func.to_char(sa.func.timezone("UTC", Mentorship.started_at), "YYYY-MM")
        for inst, mon, n in self.s.execute(
                sa.select(Mentorship.mentor_institution_id, month_of, sa.func.count())
                .where(self._in_period(Mentorship.started_at)).group_by(Mentorship.mentor_institution_id, month_of)):
            started[(inst, mon)] = n
        evals: dict[tuple, tuple] = {}
        sub_month = sa.func.to_char(sa.func.timezone("UTC", EvaluationAnswers.submitted_at), "YYYY-MM")
        stmt = (sa.select(Evaluation.mentor_institution_id, sub_month, sa.func.count(),
                          *(sa.func.sum(getattr(EvaluationAnswers, r)) for r in RATINGS),
                          sa.func.count().filter(EvaluationAnswers.would_recommend.is_(True)))
                .join(EvaluationAnswers, EvaluationAnswers.evaluation_id == Evaluation.evaluation_id)
                .where(self._in_period(EvaluationAnswers.submitted_at))
                .group_by(Evaluation.mentor_institution_id, sub_month))
        for inst, mon, n, *sums in self.s.execute(stmt):
            evals[(inst, mon)] = (n, [float(x) for x in sums])
        institutions = set(self.s.scalars(sa.select(Institution.institution_id)))
        institutions |= {k[0] for k in started} | {k[0] for k in evals}
        rows = []
        for inst in institutions:
            name = self.p("institution", inst)
            for mon in rules.months_between(self.r.period_start, self.r.period_end):
                n, sums = evals.get((inst, mon), (0, [0.0] * (len(RATINGS) + 1)))
                rows.append([name, mon, rules.count_cell(started.get((inst, mon), 0)), rules.count_cell(n),
                             *(rules.mean_cell(total, n) for total in sums[:len(RATINGS)]),
                             rules.mean_cell(sums[-1], n, scale=100, places=0)])
        rows.sort(key=lambda row: (row[0], row[1]))  # pseudonym order: no trace of the ids' order
        return rows


def build(session: orm.Session, request: DataRequest, *, secret: bytes | None = None) -> tuple[bytes, dict[str, int]]:
    """The export's bytes and its row count per dataset. `secret` is drawn here (32 random bytes) and
    forgotten when this returns; tests never need to pass one."""
    builder = _Builder(session, request, secret or secrets.token_bytes(32))
    counts: dict[str, int] = {}
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for name in request.datasets:
            rows = getattr(builder, name)()
            counts[name] = len(rows)
            text = io.StringIO()
            writer = csv.writer(text, lineterminator="\n")
            writer.writerow(rules.CATALOGUE[name]["columns"])
            writer.writerows(rows)
            archive.writestr(zipfile.ZipInfo(f"{name}.csv", _FIXED_ZIP_TIME), text.getvalue().encode())
        manifest = {
            "period": {"from_month": rules.month(request.period_start), "to_month": rules.month(request.period_end),
                       "note": "Rows are limited to the requested dates; every date is shown as its month (UTC)."},
            "pseudonyms": "M- mentor, E- mentee, I- institution: keyed with a secret of this export alone, so they "
                          "cannot be linked to platform records or to another export.",
            "suppression": f"Counts under {privacy.RESEARCH_CELL_MINIMUM} (zero included) and the means over them "
                           f"read '{rules.SUPPRESSED}'.",
            "datasets": {name: {**rules.CATALOGUE[name], "file": f"{name}.csv", "rows": counts[name]}
                         for name in request.datasets},
        }
        archive.writestr(zipfile.ZipInfo("manifest.json", _FIXED_ZIP_TIME),
                         json.dumps(manifest, indent=2).encode())
    return buffer.getvalue(), counts
