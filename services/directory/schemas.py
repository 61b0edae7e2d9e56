"""Request and response schemas of the directory API.

Request schemas refuse unknown fields (marshmallow's default, kept on purpose): no payload can set a
mentor id, an institution, a status, the published flag, training, or the capacity and
responsiveness read models — those come from events and from the publish/unpublish use cases.
"""
from __future__ import annotations

import re
import zoneinfo

from marshmallow import ValidationError, fields, validate, validates, validates_schema

from services.directory import rules
from shared.schemas import In as _In
from shared.schemas import Page
from shared.schemas import Out as _Out

_HHMM = re.compile(r"^([01]\d|2[0-3]):[0-5]\d$")
MAX_DEPTH = 1000  # page * per_page


def _unique(values):
    if len(set(values)) != len(values):
        raise ValidationError("Give each value once.")


def _texts(max_items: int, max_len: int, **kw) -> fields.List:
    return fields.List(fields.String(validate=validate.Length(min=1, max=max_len)),
                       validate=[validate.Length(max=max_items), _unique], **kw)




_TIME = validate.Regexp(_HHMM, error="Give a time of day as HH:MM on the 24-hour clock, such as 18:00.")


class TimeWindow(_In):
    """Each field is judged on its own, so one answer names every invalid one; the end after the start only
    when both are valid times."""
    day = fields.String(required=True, validate=validate.OneOf(
        rules.DAYS, error="Give a day of the week as " + ", ".join(rules.DAYS[:-1]) + " or " + rules.DAYS[-1] + "."))
    start = fields.String(required=True, validate=_TIME, metadata={"example": "18:00"})
    end = fields.String(required=True, validate=_TIME, metadata={"example": "20:00"})

    @validates_schema(skip_on_field_errors=False)
    def _end_after_start(self, data, **_):
        if "start" in data and "end" in data and data["end"] <= data["start"]:
            raise ValidationError("The end time must be after the start time.", "end")


class ProfileUpdate(_In):
    """Any subset of the profile; null clears an optional field."""
    display_name = fields.String(validate=validate.Length(min=1, max=120))
    pronouns = fields.String(allow_none=True, validate=validate.Length(max=40))
    academic_rank = fields.String(allow_none=True, validate=validate.OneOf(rules.ACADEMIC_RANKS))
    specialties = fields.List(fields.String(validate=validate.OneOf(rules.specialties())),
                              validate=[validate.Length(max=5), _unique],
                              metadata={"description": "From GET /specialties"})
    subspecialty = fields.String(allow_none=True, validate=validate.Length(max=120))
    clinical_interests = _texts(15, 80)
    research_interests = _texts(15, 80)
    education_interests = _texts(15, 80)
    languages = _texts(10, 40)
    city = fields.String(allow_none=True, validate=validate.Length(min=1, max=100))
    state = fields.String(allow_none=True, validate=validate.OneOf(rules.US_STATES))
    career_highlights = fields.String(allow_none=True, validate=validate.Length(max=2000))
    bio = fields.String(allow_none=True, validate=validate.Length(max=4000))
    shared_background = fields.List(fields.String(validate=validate.OneOf(rules.SHARED_BACKGROUNDS)),
                                    validate=_unique, metadata={
                                        "description": "Self-identified shared background the mentor chooses to "
                                                       "show, item by item (urim, first_generation, low_ses); "
                                                       "only what is listed here is stored and shown"})
    scope = fields.String(validate=validate.OneOf(rules.SCOPES),
                          metadata={"description": "local: only mentees of the mentor's institution (R8)"})
    accepting_new_mentees = fields.Boolean()
    hours_per_month = fields.Integer(allow_none=True, strict=True, validate=validate.Range(min=0, max=80))
    meeting_modes = fields.List(fields.String(validate=validate.OneOf(rules.MEETING_MODES)), validate=_unique)
    time_windows = fields.List(fields.Nested(TimeWindow), validate=validate.Length(max=21))
    timezone = fields.String(allow_none=True, metadata={"example": "America/Chicago"})

    @validates("timezone")
    def _timezone(self, value, **_):
        if value is None:
            return
        try:
            zoneinfo.ZoneInfo(value)
        except (zoneinfo.ZoneInfoNotFoundError, ValueError):
            raise ValidationError("Not an IANA time zone (e.g. America/Chicago).") from None

    @validates_schema
    def _not_empty(self, data, **_):
        if not data:
            raise ValidationError("Send at least one field to change.")


class PublishIn(_In):
    consent_to_search = fields.Boolean(required=True, validate=validate.Equal(
        True, error="Publishing is your consent to be found in search: give your consent to publish."))


class SearchQuery(_In):
    q = fields.String(validate=validate.Length(min=1, max=200), metadata={"description": "Free text"})
    specialty = fields.String(validate=validate.OneOf(rules.specialties()))
    interest = fields.String(validate=validate.Length(min=1, max=80))
    language = fields.String(validate=validate.Length(min=1, max=40))
    state = fields.String(validate=validate.OneOf(rules.US_STATES))
    meeting_mode = fields.String(validate=validate.OneOf(rules.MEETING_MODES))
    shared_background = fields.String(validate=validate.OneOf(rules.SHARED_BACKGROUNDS))
    scope = fields.String(validate=validate.OneOf(rules.SCOPES))
    has_open_slot = fields.Boolean()
    page = fields.Integer(load_default=1, validate=validate.Range(min=1))
    per_page = fields.Integer(load_default=20, validate=validate.Range(min=1, max=50))

    @validates_schema(skip_on_field_errors=False)  # named beside any other invalid parameter
    def _depth(self, data, **_):
        if "page" in data and "per_page" in data and data["page"] * data["per_page"] > MAX_DEPTH:
            raise ValidationError(f"Results beyond the first {MAX_DEPTH} are not served: narrow the search.", "page")


class InstitutionMentorsQuery(Page):
    published = fields.Boolean()


# --- responses ----------------------------------------------------------------------------------------

class TimeWindowOut(_Out):
    day = fields.String()
    start = fields.String()
    end = fields.String()


class AvailabilityOut(_Out):
    accepting_new_mentees = fields.Boolean()
    hours_per_month = fields.Integer(allow_none=True)
    meeting_modes = fields.List(fields.String())
    time_windows = fields.List(fields.Nested(TimeWindowOut))
    timezone = fields.String(allow_none=True)
    open_slots = fields.Integer(metadata={"description": "3 minus active mentees; 0 when not accepting (R11)"})


class ResponsivenessOut(_Out):
    requests_considered = fields.Integer()
    response_rate = fields.Float(allow_none=True)
    median_response_hours = fields.Float(allow_none=True)
    score = fields.Float()


class _ProfileFields(_Out):
    """The fields a mentor fills, as shown (shared background: only the items the mentor shows)."""
    id = fields.UUID()
    institution_id = fields.UUID()
    display_name = fields.String(allow_none=True)
    pronouns = fields.String(allow_none=True)
    academic_rank = fields.String(allow_none=True)
    specialties = fields.List(fields.String())
    subspecialty = fields.String(allow_none=True)
    clinical_interests = fields.List(fields.String())
    research_interests = fields.List(fields.String())
    education_interests = fields.List(fields.String())
    languages = fields.List(fields.String())
    city = fields.String(allow_none=True)
    state = fields.String(allow_none=True)
    career_highlights = fields.String(allow_none=True)
    bio = fields.String(allow_none=True)
    shared_background = fields.List(fields.String())
    scope = fields.String(allow_none=True)


class PublicProfileOut(_ProfileFields):
    availability = fields.Nested(AvailabilityOut)
    responsiveness = fields.Nested(ResponsivenessOut)


class SearchHit(PublicProfileOut):
    score = fields.Float(metadata={"description": "Ranking score (see the ranking formula in the API description)"})
    text_relevance = fields.Float()


class FacetValue(_Out):
    value = fields.String()
    count = fields.Integer()


class Facets(_Out):
    specialty = fields.List(fields.Nested(FacetValue))
    interest = fields.List(fields.Nested(FacetValue), metadata={"description": "The 20 most frequent"})
    language = fields.List(fields.Nested(FacetValue))
    state = fields.List(fields.Nested(FacetValue))
    meeting_mode = fields.List(fields.Nested(FacetValue))
    shared_background = fields.List(fields.Nested(FacetValue))
    scope = fields.List(fields.Nested(FacetValue))
    has_open_slot = fields.List(fields.Nested(FacetValue))


class SearchOut(_Out):
    total = fields.Integer()
    page = fields.Integer()
    per_page = fields.Integer()
    results = fields.List(fields.Nested(SearchHit))
    facets = fields.Nested(Facets)


class NextStepOut(_Out):
    code = fields.String(metadata={"description": "review-and-publish-profile: reinstated, not yet published"})
    since = fields.DateTime()
    detail = fields.String()


class OwnProfileOut(_ProfileFields):
    """The mentor's own profile, with its publication state and what is still missing."""
    id = fields.UUID(attribute="user_id")
    status = fields.String()
    trained = fields.Boolean()
    published = fields.Boolean()
    published_at = fields.DateTime(allow_none=True)
    completeness = fields.Integer(metadata={"description": "Per cent of profile fields filled"})
    missing_fields = fields.List(fields.String(), metadata={"description": "Required to publish"})
    next_step = fields.Nested(NextStepOut, allow_none=True,
                              metadata={"description": "What the mentor should do next, in words (a reinstated "
                                                       "mentor: review and publish the profile again); null when "
                                                       "nothing is asked"})
    accepting_new_mentees = fields.Boolean()
    hours_per_month = fields.Integer(allow_none=True)
    meeting_modes = fields.List(fields.String())
    time_windows = fields.List(fields.Nested(TimeWindowOut))
    timezone = fields.String(allow_none=True)
    active_mentees = fields.Integer()
    open_slots = fields.Integer()
    requests_considered = fields.Integer()
    response_rate = fields.Float(allow_none=True)
    median_response_hours = fields.Float(allow_none=True)
    responsiveness = fields.Float()
    updated_at = fields.DateTime()


class InstitutionMentorOut(_Out):
    id = fields.UUID(attribute="user_id")
    name = fields.String(attribute="enrolled_name", allow_none=True)
    display_name = fields.String(allow_none=True)
    status = fields.String()
    trained = fields.Boolean()
    published = fields.Boolean()
    scope = fields.String(allow_none=True)
    completeness = fields.Integer()
    missing_fields = fields.List(fields.String())
    active_mentees = fields.Integer()
    open_slots = fields.Integer()
    updated_at = fields.DateTime()


class SpecialtiesOut(_Out):
    specialties = fields.List(fields.String())
