"""Bulk enrolment: a CSV file of mentor or mentee invitations, read and checked row by row with the
rules of a single invitation (schemas.PersonInvite / MentorInvite, rules.check_mentor_criteria).

Plain Python, no database: service.import_invitations adds the checks that need it (e-mail addresses
already members or already invited) and writes nothing unless every row is good.

The file: UTF-8 (a byte-order mark, as spreadsheets write it, is fine), comma-separated, a header row
naming the columns in any order:
  mentee invitations: name, email
  mentor invitations: name, email, criteria, evidence, and optionally nominated_by
`criteria` holds one or more of the criteria a single invitation accepts (rules.MENTOR_CRITERIA),
separated by ";". Rows are numbered as a spreadsheet numbers them: the header is row 1. Wholly empty
rows are skipped. Every problem is reported, each as {"pointer": "#/rows/<row>[/<column>]", "detail"}.
"""
from __future__ import annotations

import csv
import io
import uuid
from dataclasses import dataclass, field

from marshmallow import ValidationError, validate

from services.identity import rules

MAX_ROWS = 500
NAME_MAX = 200
EVIDENCE_MAX = 2000

COLUMNS = {
    "mentee": {"required": ("name", "email"), "optional": ()},
    "mentor": {"required": ("name", "email", "criteria", "evidence"), "optional": ("nominated_by",)},
}
ALIASES = {"criterion": "criteria", "e-mail": "email"}
CRITERIA_SEPARATOR = ";"

_email = validate.Email()


@dataclass
class Row:
    number: int  # as a spreadsheet counts it: the header is row 1
    name: str
    email: str  # normalised: trimmed, lower case
    criteria: list[str] | None = None
    evidence: str | None = None
    nominated_by: uuid.UUID | None = None


@dataclass
class Parsed:
    rows: list[Row] = field(default_factory=list)
    errors: list[dict] = field(default_factory=list)

    def error(self, row: int, column: str | None, detail: str) -> None:
        pointer = f"#/rows/{row}" + (f"/{column}" if column else "")
        self.errors.append({"pointer": pointer, "row": row, **({"column": column} if column else {}),
                            "detail": detail})


class FileUnreadable(ValueError):
    """The body is not a CSV file this import can read at all (not text, no header, too many rows)."""

    def __init__(self, detail: str, pointer: str = "#/rows"):
        super().__init__(detail)
        self.detail = detail
        self.pointer = pointer


def _text(body: bytes) -> str:
    try:
        text = body.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise FileUnreadable("The file is not UTF-8 text. Save it from the spreadsheet as “CSV UTF-8”.",
                             "#") from None
    if "\x00" in text:
        raise FileUnreadable("The file holds a NUL character, so it is not a text CSV file. "
                             "Save it from the spreadsheet as “CSV UTF-8”.", "#")
    return text


def _header(cells: list[str], kind: str, parsed: Parsed) -> list[str | None]:
    """The column of each header cell (None for an unknown one, reported); reports missing columns."""
    spec = COLUMNS[kind]
    known = spec["required"] + spec["optional"]
    names: list[str | None] = []
    seen: set[str] = set()
    for cell in cells:
        name = cell.strip().lower()
        name = ALIASES.get(name, name)
        if name in known and name not in seen:
            names.append(name)
            seen.add(name)
        elif name in seen:
            parsed.error(1, None, f"The header names the column “{name}” twice.")
            names.append(None)
        else:
            parsed.error(1, None, f"The header names an unknown column “{cell.strip()}”. "
                                  f"The columns of a {kind} invitation file are {', '.join(known)}.")
            names.append(None)
    missing = [c for c in spec["required"] if c not in seen]
    if missing:
        parsed.error(1, None, f"The header row lacks the column{'s' if len(missing) > 1 else ''} "
                              f"{', '.join(missing)}. The first row of the file names the columns: "
                              f"{', '.join(spec['required'])}.")
    return names


def _check_row(number: int, values: dict[str, str], kind: str, parsed: Parsed) -> Row | None:
    before = len(parsed.errors)
    name = values.get("name", "").strip()
    if not name:
        parsed.error(number, "name", "The name is empty; write the person's name.")
    elif len(name) > NAME_MAX:
        parsed.error(number, "name", f"The name is longer than {NAME_MAX} characters.")
    email = values.get("email", "").strip().lower()
    if not email:
        parsed.error(number, "email", "The e-mail address is empty.")
    else:
        try:
            _email(email)
        except ValidationError:
            parsed.error(number, "email", f"“{values['email'].strip()}” is not an e-mail address.")
    row = Row(number, name, email)
    if kind == "mentor":
        criteria = [c.strip() for c in values.get("criteria", "").split(CRITERIA_SEPARATOR) if c.strip()]
        criteria = list(dict.fromkeys(criteria))
        unknown = [c for c in criteria if c not in rules.MENTOR_CRITERIA]
        if not criteria:
            parsed.error(number, "criteria", "No admission criterion: name at least one, e.g. teaching_award.")
        for c in unknown:
            parsed.error(number, "criteria", f"“{c}” is not an admission criterion. The criteria are "
                                             f"{', '.join(rules.MENTOR_CRITERIA)}, separated by “;”.")
        evidence = values.get("evidence", "").strip()
        if not evidence:
            parsed.error(number, "evidence", "The evidence is empty; say what shows the criterion is met.")
        elif len(evidence) > EVIDENCE_MAX:
            parsed.error(number, "evidence", f"The evidence is longer than {EVIDENCE_MAX} characters.")
        nominator = values.get("nominated_by", "").strip()
        if nominator:
            try:
                row.nominated_by = uuid.UUID(nominator)
            except ValueError:
                parsed.error(number, "nominated_by", "The nominating mentor is not a mentor's id.")
            if rules.NOMINATED_BY_MENTOR not in criteria:
                parsed.error(number, "nominated_by", "Only a nomination by a current mentor "
                                                     "(nominated_by_current_mentor) names a nominating mentor.")
        elif rules.NOMINATED_BY_MENTOR in criteria:
            parsed.error(number, "nominated_by", "A nomination by a current mentor needs the nominating "
                                                 "mentor's id in the nominated_by column.")
        row.criteria, row.evidence = criteria, evidence
    return row if len(parsed.errors) == before else None


def parse(body: bytes, kind: str) -> Parsed:
    """Every row checked on its own and against the rows above it (an e-mail address twice)."""
    if kind not in COLUMNS:
        raise ValueError(kind)
    records = csv.reader(io.StringIO(_text(body), newline=""))
    parsed = Parsed()
    try:
        header = next(records, None)
        if header is not None and not any(c.strip() for c in header):
            raise FileUnreadable("The first row is empty; it must name the columns: "
                                 f"{', '.join(COLUMNS[kind]['required'])}.", "#/rows/1")
        if header is None:
            raise FileUnreadable("The file is empty. Its first row names the columns "
                                 f"({', '.join(COLUMNS[kind]['required'])}), then one row per person.")
        columns = _header(header, kind, parsed)
        header_ok = not parsed.errors
        first_row: dict[str, int] = {}
        people = 0
        for number, cells in enumerate(records, start=2):
            if not any(c.strip() for c in cells):
                continue
            people += 1
            if people > MAX_ROWS:
                raise FileUnreadable(f"The file has more than {MAX_ROWS} people; import at most {MAX_ROWS} "
                                     "at a time, in several files.")
            if not header_ok:
                continue  # a header that cannot be read: its rows are not checked
            while len(cells) > len(columns) and not cells[-1].strip():
                cells = cells[:-1]  # a spreadsheet's trailing empty cells
            if len(cells) != len(columns):
                parsed.error(number, None, f"This row has {len(cells)} cells where the header has "
                                           f"{len(columns)}; a comma inside a value needs the value in quotes.")
                continue
            values = {c: v for c, v in zip(columns, cells) if c}
            row = _check_row(number, values, kind, parsed)
            email = values.get("email", "").strip().lower()
            if email and email in first_row:
                parsed.error(number, "email", f"This e-mail address is already on row {first_row[email]}.")
                row = None
            elif email:
                first_row[email] = number
            if row is not None:
                parsed.rows.append(row)
    except csv.Error as exc:
        raise FileUnreadable(f"The file is not a CSV file this import can read ({exc}).") from None
    if people == 0 and not parsed.errors:
        raise FileUnreadable("The file has no one to invite: add one row per person below the header row.")
    return parsed
