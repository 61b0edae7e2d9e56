"""Domain rules of the training service, in plain Python: tracks, safe Markdown, knowledge checks,
completion of a curriculum and certificate codes.

The training gate (R6)
    A learner's training is complete when every *required* module of their track's curriculum is
    attested (any published version of the module counts: a later edit of a module's content does not
    make anyone retake it). Completion is recorded once per user and track and published once as
    TrainingCompleted with the curriculum version it was reached under.

Required modules added later
    Publishing a module version that changes the set of required modules of a track makes a new
    curriculum version. A completion is final: learners who already completed keep it (they are never
    un-trained, no event is retracted, a mentorship in progress is untouched) and see the new module as
    required-and-outstanding in their progress, so they can take it. Learners who had not completed
    must now also attest the new module. When the set shrinks (a required module becomes optional),
    learners who now hold every required attestation complete at that moment (TrainingCompleted under
    the new curriculum version).
"""
from __future__ import annotations

import re
import secrets
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal

import nh3
from markdown_it import MarkdownIt

TRACKS = ("mentor", "mentee")
ROLE_TRACK = {"mentor": "mentor", "mentee": "mentee"}
ENROLLED = "active"  # a learner in good standing; the others are ejected (may be reinstated), exited, deactivated
FINAL_STANDING = ("exited", "deactivated")

# --- Markdown → safe HTML ----------------------------------------------------------------------------------

_markdown = MarkdownIt("commonmark", {"html": False, "linkify": False, "typographer": True}).enable("table")
_ALLOWED_TAGS = {
    "p", "br", "hr", "h1", "h2", "h3", "h4", "h5", "h6", "strong", "em", "code", "pre", "blockquote",
    "ul", "ol", "li", "a", "img", "table", "thead", "tbody", "tr", "th", "td",
}
_ALLOWED_ATTRIBUTES = {"a": {"href", "title"}, "img": {"src", "alt", "title"}, "ol": {"start"},
                       "th": {"style"}, "td": {"style"}}


def render_markdown(text: str) -> str:
    """Markdown (CommonMark, raw HTML disabled) rendered to HTML and sanitised: no script, no event
    handler attributes, no style sheets, only http(s) and mailto links."""
    html = _markdown.render(text)
    return nh3.clean(html, tags=_ALLOWED_TAGS, attributes=_ALLOWED_ATTRIBUTES,
                     url_schemes={"http", "https", "mailto"}, link_rel="noopener noreferrer nofollow",
                     filter_style_properties={"text-align"})


# --- knowledge checks -------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Grade:
    score: int
    total: int
    pass_mark: int  # percent
    passed: bool


def question_errors(questions: Sequence[dict]) -> list[str]:
    """Problems of an authored knowledge check (each question's answer must be one of its choices)."""
    out = []
    for n, q in enumerate(questions):
        if not 0 <= q["answer"] < len(q["choices"]):
            out.append(f"Question {n + 1}: the answer must be the number of one of its {len(q['choices'])} "
                       "choices, counting from 0.")
        if len(set(q["choices"])) != len(q["choices"]):
            out.append(f"Question {n + 1}: its choices must differ from one another.")
    return out


def answer_errors(questions: Sequence[dict], answers: Sequence[int]) -> list[str]:
    if len(answers) != len(questions):
        return [f"Give one answer for each of the {len(questions)} questions."]
    return [f"The answer to question {n + 1} must be between 0 and {len(q['choices']) - 1}."
            for n, (q, a) in enumerate(zip(questions, answers)) if not 0 <= a < len(q["choices"])]


def grade(questions: Sequence[dict], pass_mark: int, answers: Sequence[int]) -> Grade:
    score = sum(1 for q, a in zip(questions, answers) if q["answer"] == a)
    total = len(questions)
    return Grade(score, total, pass_mark, score * 100 >= pass_mark * total)


def learner_questions(questions: Sequence[dict]) -> list[dict]:
    """What a learner sees of a knowledge check: never the answers."""
    return [{"index": n, "prompt": q["prompt"], "choices": list(q["choices"])} for n, q in enumerate(questions)]


# --- completion ---------------------------------------------------------------------------------------------------

def outstanding(required: Iterable[str], attested: Iterable[str]) -> list[str]:
    done = set(attested)
    return [m for m in required if m not in done]


def is_complete(required: Sequence[str], attested: Iterable[str]) -> bool:
    """Every required module attested; a track without any required module completes nobody."""
    return bool(required) and not outstanding(required, attested)


def awards_cme(track: str, credit_hours: Decimal | None) -> bool:
    return track == "mentor" and credit_hours is not None and credit_hours > 0


# --- certificates ---------------------------------------------------------------------------------------------------

_CROCKFORD = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
CODE_PATTERN = re.compile(r"^MMM(-[0-9A-HJKMNP-TV-Z]{4}){4}$")


def new_certificate_code() -> str:
    """MMM-XXXX-XXXX-XXXX-XXXX: 80 random bits in Crockford base32 (no I, L, O, U)."""
    chars = "".join(secrets.choice(_CROCKFORD) for _ in range(16))
    return "MMM-" + "-".join(chars[i:i + 4] for i in range(0, 16, 4))


def normalise_code(code: str) -> str:
    """As a person may type it: any case, O for 0, I or L for 1."""
    return code.strip().upper().replace("O", "0").replace("I", "1").replace("L", "1")
