"""Demo data of the directory service, through the gateway's public API, as mentors would do it.

    demo.directory.load(client, logins)   # the platform loader (demo/loader.py), after identity and training

Every demo mentor fills a profile (each institution's three mentors differ in specialty, interests,
languages, scope, shared background and availability). Those who completed the mentor training
(demo/training.py: mentor1 and mentor2 of each institution) publish it, consenting to be searched;
the others keep a draft, which their institution's admin sees as incomplete or unpublished. The
loader waits (up to a minute) for the enrolment and training events to reach the directory. Running
it again changes nothing.
"""
from __future__ import annotations

import time

from demo.client import Client, DemoError

PREFIX = "/api/v1/directory"

try:
    from demo.training import COMPLETE as TRAINED
except ImportError:  # the training demo is not there: its documented choice
    TRAINED = ("mentor1", "mentor2")

CITY = {"lakeside": ("Chicago", "IL", "America/Chicago"), "riverside": ("Sacramento", "CA", "America/Los_Angeles"),
        "metropolitan": ("New York", "NY", "America/New_York"), "harbor": ("Baltimore", "MD", "America/New_York")}

PROFILES = {
    "mentor1": [
        {"specialties": ["Internal Medicine"], "subspecialty": "Hospital medicine", "academic_rank": "associate_professor",
         "clinical_interests": ["health equity", "diabetes prevention"], "research_interests": ["health disparities"],
         "education_interests": ["residency applications", "first-generation students"],
         "languages": ["English", "Spanish"], "shared_background": ["urim", "first_generation"], "scope": "national",
         "hours_per_month": 6, "meeting_modes": ["video", "phone"], "pronouns": "she/her",
         "bio": "First in my family to attend college, now an internist who loves helping students find their way "
                "through the clerkship year and residency applications."},
        {"specialties": ["Pediatrics"], "subspecialty": "Adolescent medicine", "academic_rank": "assistant_professor",
         "clinical_interests": ["adolescent health", "asthma"], "research_interests": ["community-based research"],
         "education_interests": ["USMLE preparation"], "languages": ["English", "Tagalog"],
         "shared_background": ["first_generation"], "scope": "national", "hours_per_month": 4,
         "meeting_modes": ["video"], "pronouns": "he/him",
         "bio": "Pediatrician caring for teenagers in the neighbourhood where I grew up; happy to talk about "
                "board preparation and choosing pediatrics."},
        {"specialties": ["Obstetrics and Gynecology"], "subspecialty": "Maternal-fetal medicine",
         "academic_rank": "professor", "clinical_interests": ["maternal health"],
         "research_interests": ["maternal mortality"], "education_interests": ["research mentoring"],
         "languages": ["English", "Yoruba"], "shared_background": ["urim", "low_ses"], "scope": "local",
         "hours_per_month": 3, "meeting_modes": ["in_person", "video"], "pronouns": "she/her",
         "bio": "Maternal-fetal medicine specialist and researcher on maternal mortality; I mentor students from "
                "my own school in person."},
        {"specialties": ["Family Medicine"], "subspecialty": "Rural health", "academic_rank": "clinical_faculty",
         "clinical_interests": ["rural health", "addiction care"], "research_interests": [],
         "education_interests": ["specialty choice"], "languages": ["English", "Haitian Creole", "French"],
         "shared_background": ["urim"], "scope": "national", "hours_per_month": 8,
         "meeting_modes": ["video", "phone"], "pronouns": "he/him",
         "bio": "Family physician at an HBCU-affiliated clinic; I talk with students about primary care, "
                "community medicine and life after medical school."},
    ],
    "mentor2": [
        {"specialties": ["Cardiology"], "subspecialty": "Heart failure", "academic_rank": "associate_professor",
         "clinical_interests": ["heart failure"], "research_interests": ["clinical trials diversity"],
         "education_interests": ["research mentoring", "writing for publication"], "languages": ["English", "Twi"],
         "shared_background": [], "scope": "national", "hours_per_month": 4, "meeting_modes": ["video"],
         "pronouns": "he/him",
         "bio": "Cardiologist running trials that include the patients who were left out of them; I help "
                "students start research early."},
        {"specialties": ["Emergency Medicine"], "subspecialty": None, "academic_rank": "assistant_professor",
         "clinical_interests": ["trauma-informed care"], "research_interests": ["social determinants of health"],
         "education_interests": ["away rotations", "personal statements"], "languages": ["English", "Spanish"],
         "shared_background": ["low_ses"], "scope": "local", "hours_per_month": 2, "meeting_modes": ["phone"],
         "pronouns": "they/them",
         "bio": "Emergency physician; ask me about away rotations and writing a personal statement that sounds "
                "like you."},
        {"specialties": ["Psychiatry", "Child and Adolescent Psychiatry"], "subspecialty": None,
         "academic_rank": "professor", "clinical_interests": ["mental health in primary care"],
         "research_interests": ["implementation science"], "education_interests": ["wellness and burnout"],
         "languages": ["English", "Hindi"], "shared_background": ["first_generation"], "scope": "national",
         "hours_per_month": 5, "meeting_modes": ["video", "in_person"], "pronouns": "she/her",
         "bio": "Child psychiatrist who cares about students' wellbeing as much as their scores."},
        {"specialties": ["General Surgery"], "subspecialty": "Trauma surgery", "academic_rank": "associate_professor",
         "clinical_interests": ["sickle cell disease"], "research_interests": ["outcomes research"],
         "education_interests": ["leadership development", "negotiation skills"], "languages": ["English"],
         "shared_background": ["urim", "first_generation", "low_ses"], "scope": "national", "hours_per_month": 3,
         "meeting_modes": ["video", "phone", "in_person"], "pronouns": "he/him",
         "bio": "Trauma surgeon and residency program leader; I mentor students considering surgery."},
    ],
    "mentor3": [
        {"specialties": ["Neurology"], "academic_rank": "instructor", "languages": ["English", "Mandarin"],
         "scope": "national", "bio": "Neurologist early in my career (profile in progress)."},
        {"specialties": ["Dermatology"], "academic_rank": "fellow", "languages": ["English", "Vietnamese"],
         "scope": "local", "bio": "Dermatology fellow (profile in progress)."},
        {"specialties": ["Anesthesiology"], "academic_rank": "assistant_professor", "languages": ["English"],
         "scope": "national", "bio": "Anesthesiologist (profile in progress)."},
        {"specialties": ["Ophthalmology"], "academic_rank": "associate_professor", "languages": ["English", "Arabic"],
         "scope": "national", "bio": "Ophthalmologist (profile in progress)."},
    ],
}
WINDOWS = [[{"day": "tue", "start": "18:00", "end": "20:00"}, {"day": "sat", "start": "10:00", "end": "12:00"}],
           [{"day": "mon", "start": "07:00", "end": "08:00"}],
           [{"day": "wed", "start": "12:00", "end": "13:00"}, {"day": "thu", "start": "19:00", "end": "21:00"}],
           [{"day": "sun", "start": "16:00", "end": "18:00"}]]


def _sign_in(client: Client, login: dict) -> str:
    return client.sign_in(login["email"], login["password"])


def _wait_for(fetch, ready, what: str, wait: float = 60.0):
    deadline = time.monotonic() + wait
    while True:
        value = fetch()
        if ready(value):
            return value
        if time.monotonic() > deadline:
            raise DemoError(f"{what} never reached the directory")
        time.sleep(0.5)


def load(client: Client, logins: dict) -> dict:
    institutions = sorted({key.split()[0] for key, login in logins.items() if login["role"] == "mentor"})
    summary = {"published": [], "drafts": []}
    for n, slug in enumerate(institutions):
        city, state, tz = CITY.get(slug, ("Atlanta", "GA", "America/New_York"))
        for who, variants in PROFILES.items():
            key = f"{slug} {who}"
            if key not in logins:
                continue
            token = _sign_in(client, logins[key])
            profile = _wait_for(lambda: client.get(PREFIX + "/me/profile", token=token, expect=(200, 404)),
                                lambda p: isinstance(p, dict) and "published" in p, f"{key}'s enrolment")
            if who in TRAINED and not profile["trained"]:
                profile = _wait_for(lambda: client.get(PREFIX + "/me/profile", token=token, expect=(200,)),
                                    lambda p: p["trained"], f"{key}'s completed training")
            if not profile["published"]:
                body = {**variants[n % len(variants)], "city": city, "state": state, "timezone": tz,
                        "time_windows": WINDOWS[n % len(WINDOWS)], "accepting_new_mentees": True}
                if who == "mentor3":  # a draft: no availability yet
                    body = {k: v for k, v in body.items() if k not in ("time_windows", "hours_per_month")}
                profile = client.patch(PREFIX + "/me/profile", token=token, json=body, expect=(200,))
                if profile["trained"] and not profile["missing_fields"]:
                    client.post(PREFIX + "/me/profile/publish", token=token, json={"consent_to_search": True},
                                expect=(200,))
                    profile = {**profile, "published": True}
            summary["published" if profile["published"] else "drafts"].append(key)
    print(f"directory: {len(summary['published'])} published profiles, {len(summary['drafts'])} drafts", flush=True)
    return summary
