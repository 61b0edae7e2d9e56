"""What people read: one Jinja2 template per category (templates/<category>.j2) with four blocks —
`subject` (the mail's subject and the in-app title), `summary` (the in-app text), `text` (the mail's
plain-text part) and `html` (the mail's HTML part, inside templates/_layout.html).

The text blocks are rendered without escaping and the HTML block with autoescaping, from two
environments over the same files, so a name like "O'Brien & Sons" reads right in both.
"""
from __future__ import annotations

import functools
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import jinja2
from markupsafe import Markup

TEMPLATES = Path(__file__).parent / "templates"


@dataclass(frozen=True)
class Rendered:
    subject: str
    summary: str
    text: str
    html: str


def _when(value) -> str:
    if isinstance(value, str):
        value = datetime.fromisoformat(value.replace("Z", "+00:00"))
    if not isinstance(value, datetime):
        return str(value)
    return value.strftime("%A %-d %B %Y, %H:%M UTC") if value.utcoffset() is not None else value.strftime(
        "%A %-d %B %Y, %H:%M")


def _environment(autoescape: bool) -> jinja2.Environment:
    # auto_reload off: templates are part of the release, and checking their files' times on every
    # render cost a tenth of an event's handling.
    env = jinja2.Environment(loader=jinja2.FileSystemLoader(TEMPLATES), autoescape=autoescape, auto_reload=False,
                             undefined=jinja2.StrictUndefined, trim_blocks=True, lstrip_blocks=True,
                             keep_trailing_newline=False)
    env.filters["when"] = _when
    # render() calls a template's blocks one by one, without its top-level code, so a top-level
    # `{% from "_button.j2" import button %}` never runs: the macro is a global of the environment
    # instead (the same macro, from the same environment, so the same output as a whole render).
    env.globals["button"] = env.get_template("_button.j2").module.button
    return env


@functools.cache
def _environments() -> tuple[jinja2.Environment, jinja2.Environment]:
    return _environment(False), _environment(True)


def _block(env: jinja2.Environment, category: str, block: str, context: dict) -> str:
    template = env.get_template(f"{category}.j2")
    return "".join(template.blocks[block](template.new_context(context))).strip()


def render(category: str, context: dict, *, email: bool = True) -> Rendered:
    """Render a category for one recipient. With email=False only the in-app parts are rendered."""
    plain, escaped = _environments()
    subject = " ".join(_block(plain, category, "subject", context).split())
    summary = _block(plain, category, "summary", context)
    if not email:
        return Rendered(subject, summary, "", "")
    text = _block(plain, category, "text", context) + "\n\n-- \n" + _block(plain, "_footer", "text", context) + "\n"
    body = _block(escaped, category, "html", context)
    footer = _block(escaped, "_footer", "html", context)
    html = escaped.get_template("_layout.html").render(subject=subject, body=Markup(body), footer=Markup(footer))
    return Rendered(subject, summary, text, html)


def categories_with_templates() -> set[str]:
    return {p.stem for p in TEMPLATES.glob("*.j2") if not p.stem.startswith("_")}
