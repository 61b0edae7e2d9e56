"""The starter curriculum, shipped as data: `index.json` (metadata and knowledge checks) and one
Markdown file per module body.

It is loaded once, by the data migration `training_0003` (so by `mmm migrate`, which `mmm up` runs
before anything starts): inside Alembic's transaction, exactly once per database, with no race between
API replicas, and never re-inserted after operators edit or replace the starter modules. Module ids are
derived from the slugs (uuid5), so they are the same in every installation.
"""
from __future__ import annotations

import json
import uuid
from decimal import Decimal
from pathlib import Path

from services.training import rules

HERE = Path(__file__).parent
NAMESPACE = uuid.UUID("5b0d3c1e-8a51-4d39-9a0e-6f1e3f0b7a10")


def module_id(slug: str) -> uuid.UUID:
    return uuid.uuid5(NAMESPACE, slug)


def starter_modules() -> list[dict]:
    """Every starter module as a row-ready dict (body rendered to safe HTML, answers checked)."""
    index = json.loads((HERE / "index.json").read_text(encoding="utf-8"))
    out = []
    for m in index["modules"]:
        if m["track"] not in rules.TRACKS:
            raise ValueError(f"{m['slug']}: unknown track {m['track']!r}")
        questions = m.get("questions", [])
        problems = rules.question_errors(questions)
        if problems or (questions and not m.get("pass_mark")):
            raise ValueError(f"{m['slug']}: {problems or 'a knowledge check needs a pass mark'}")
        body = (HERE / m["file"]).read_text(encoding="utf-8")
        hours = Decimal(m["cme_credit_hours"]) if m.get("cme_credit_hours") else None
        if hours is not None and m["track"] != "mentor":
            raise ValueError(f"{m['slug']}: only mentor modules carry CME credit")
        out.append({
            "id": module_id(m["slug"]), "slug": m["slug"], "track": m["track"], "position": m["position"],
            "title": m["title"], "summary": m["summary"], "body_markdown": body,
            "body_html": rules.render_markdown(body), "estimated_minutes": m["estimated_minutes"],
            "required": m["required"], "cme_credit_hours": hours, "questions": questions,
            "pass_mark": m.get("pass_mark") if questions else None,
        })
    return out
