"""Directory search benchmark: seeds N generated published mentor profiles (deterministic, realistic
vocabulary) into a database of its own, runs the directory API under gunicorn behind its own gateway
(nginx from the platform's template), and measures GET /api/v1/directory/mentors through that
gateway for a query mix at 1 and 16 concurrent clients. Prints JSON. Not a pass/fail test.

    .venv/bin/python benchmarks/search.py [--profiles 100000] [--clients 1,16] [--duration 20]
        [--warmup 10] [--api-workers 4] [--api-threads 1] [--cache-size 4096] [--cache-mb 8] [--identity] [--keep]
        [--database URL] [--changes-per-s 0]

How it runs, so that nothing else caps it:
- database: `mmm_bench_<hex>_directory`, migrated with the service's own migrations, filled with
  COPY (the search-vector trigger fires as for any insert; the search indexes are dropped before
  and rebuilt after the load), dropped at the end (unless --keep);
- API: the directory app under gunicorn (gthread; shared.testing.ApiProcesses) on a free port,
  --api-workers processes of --api-threads threads;
- tokens: minted with a benchmark Ed25519 key whose JWKS this process serves on a free port
  (shared.testing.JwksServer, AUTH_JWKS_URL), so identity need not run;
- gateway: deploy/gateway/nginx.conf.template rendered by shared/gateway.py with
  GATEWAY_API_RATE=1000000r/s and GATEWAY_API_BURST=1000000 (the platform's default of 200 r/s per
  IP would otherwise cap one benchmarking machine), the directory upstream pointing at the API and
  access logs off; the other upstreams point at a closed port;
- clients: separate processes (up to 4) with keep-alive connections, so that the load generator's
  own GIL does not add to the latencies; each client is a mentee of one of 8 institutions (local
  mentors are searched too) and asks, in turn, a text-only search (specialty words, interests,
  surnames — a fifth misspelt), a text search with two filters, a filters-only search and a very
  common word ("medicine", "patients", "students"); within each kind, from 500 distinct searches
  with Zipf popularity (ZIPF_S), as real search traffic repeats its popular searches. The warm-up
  (not measured) lets each API process build its search index and its response cache reach a
  steady state, as on a running platform.
- changes (--changes-per-s): a thread starts and concludes mentorships of random published mentors
  through the directory's own handlers, so that the search version moves and every API process
  catches its index up while it serves, as on a live platform (each change empties the response
  caches). Off by default.
Latency is the client's (request sent → body read). The share of responses an API process had
already computed (X-Search-Cache: hit) is reported, and the latencies of the others (computed from
the in-memory index) separately. `index` reports one build of the index (what the machine's
builder does), the size of its arrays, how long the API took to answer /readyz on every worker
(one builds the snapshot, the others wait for it and map it) before the clients start, each
worker's memory after the runs (RSS counts the mapped snapshot in every process; PSS shares it
among them; anonymous memory is each process's own), and how long one more API process took to be
ready (it maps the snapshot and catches up) and its memory, when ready and after it served the mix on its
own for 15 s (4 clients, straight to it).
"""
from __future__ import annotations

import argparse
import contextlib
import http.client
import itertools
import json
import multiprocessing as mp
import os
import platform
import random
import secrets
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from datetime import timedelta
from pathlib import Path
from types import SimpleNamespace

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

import sqlalchemy as sa  # noqa: E402

from services.directory import rules, search  # noqa: E402
from shared import config, db, gateway, migrations  # noqa: E402
from shared.testing import ApiProcesses, JwksServer, SigningKeys, free_port, stop_process_group  # noqa: E402

SEED = 20251125
INSTITUTIONS = 8  # viewers' institutions; profiles belong to these and to 192 more

FIRST = ("Aaliyah Abena Adaeze Adriana Aisha Alejandro Amara Ana Andre Angela Anh Antonio Ayodele Bao Beatriz "
         "Camila Carlos Chidi Chinonso Connor Daniel Darnell Deja DeShawn Diego Dmitri Ebony Elena Emeka Esperanza "
         "Fatima Folasade Gabriel Grace Guadalupe Hana Hector Ifeoma Imani Isabel Jamal Javier Jasmine Jose Joy "
         "Juan Kai Kalani Keisha Kenji Kwame Lakshmi Latoya Leilani Lucia Luis Malik Marcus Maria Marisol Maya "
         "Mei Miguel Min Nadia Nia Nkechi Noor Olu Omar Paolo Priya Rafael Rashad Rosa Samuel Sofia Tamika "
         "Tariq Thanh Tiana Tomas Valentina Wei Xiomara Yaw Yesenia Yusuf Zainab Zuri").split()
LAST = ("Abara Acosta Adeyemi Afolabi Aguilar Alvarez Appiah Banks Bello Boateng Castillo Chavez Chen Cruz "
        "Diallo Diaz Dlamini Eze Flores Fofanah Garcia Gomez Gonzalez Greene Gutierrez Haile Hernandez Ibrahim "
        "Jackson Jefferson Jimenez Johnson Kamara Kariuki Kim Lopez Mahmoud Martinez Mendoza Mensah Moreno "
        "Morales Nguyen Nwosu Obi Odum Okafor Okonkwo Oluwole Ortiz Osei Owusu Patel Perez Pham Ramirez Ramos "
        "Reyes Rivera Robinson Rodriguez Romero Ruiz Sanchez Santos Singh Tesfaye Torres Tran Vargas Vasquez "
        "Washington Williams Wright Yeboah Young").split()
CLINICAL = ["health equity", "sickle cell disease", "diabetes prevention", "maternal health", "HIV care",
            "rural health", "addiction care", "heart failure", "stroke recovery", "asthma", "chronic kidney disease",
            "obesity medicine", "cancer screening", "global health", "trauma-informed care", "LGBTQ+ health",
            "immigrant health", "palliative care", "sports injuries", "hypertension", "lupus", "epilepsy",
            "neonatal care", "adolescent health", "wound care", "critical care ultrasound", "transplant medicine",
            "hepatitis C", "tuberculosis", "mental health in primary care"]
RESEARCH = ["health disparities", "community-based participatory research", "clinical trials diversity",
            "implementation science", "genomics", "machine learning in medicine", "quality improvement",
            "outcomes research", "medical education research", "social determinants of health", "epidemiology",
            "health policy", "patient safety", "pain management", "vaccine uptake", "telehealth",
            "maternal mortality", "cardiovascular prevention", "cancer biology", "neuroscience"]
EDUCATION = ["residency applications", "USMLE preparation", "research mentoring", "leadership development",
             "first-generation students", "pipeline programs", "curriculum design", "clinical reasoning",
             "wellness and burnout", "work-life integration", "negotiation skills", "writing for publication",
             "MD-PhD careers", "specialty choice", "away rotations", "personal statements"]
LANGUAGES = [("Spanish", 0.32), ("French", 0.06), ("Haitian Creole", 0.04), ("Mandarin", 0.05), ("Vietnamese", 0.03),
             ("Tagalog", 0.03), ("Arabic", 0.03), ("Hindi", 0.04), ("Yoruba", 0.03), ("Igbo", 0.02),
             ("Amharic", 0.02), ("Korean", 0.02), ("Portuguese", 0.03), ("American Sign Language", 0.01)]
CITIES = [("Atlanta", "GA"), ("Baltimore", "MD"), ("Birmingham", "AL"), ("Boston", "MA"), ("Chicago", "IL"),
          ("Cleveland", "OH"), ("Dallas", "TX"), ("Denver", "CO"), ("Detroit", "MI"), ("Durham", "NC"),
          ("El Paso", "TX"), ("Houston", "TX"), ("Jackson", "MS"), ("Los Angeles", "CA"), ("Memphis", "TN"),
          ("Miami", "FL"), ("Nashville", "TN"), ("New Orleans", "LA"), ("New York", "NY"), ("Newark", "NJ"),
          ("Oakland", "CA"), ("Philadelphia", "PA"), ("Phoenix", "AZ"), ("Pittsburgh", "PA"), ("Portland", "OR"),
          ("Sacramento", "CA"), ("San Antonio", "TX"), ("San Diego", "CA"), ("San Juan", "PR"), ("Seattle", "WA"),
          ("St. Louis", "MO"), ("Tucson", "AZ"), ("Washington", "DC"), ("Albuquerque", "NM"), ("Minneapolis", "MN"),
          ("Milwaukee", "WI"), ("Charleston", "SC"), ("Richmond", "VA"), ("Louisville", "KY"), ("Omaha", "NE")]
RANKS = ["instructor", "assistant_professor", "associate_professor", "professor", "clinical_faculty", "fellow"]
OPENERS = ["I am a {spec} physician in {city} and the first in my family to attend college.",
           "As a {spec} doctor I care for patients from the communities I grew up in.",
           "I practice {spec} at an academic medical center in {city}.",
           "My path into {spec} was not a straight line, and I love talking about that with students.",
           "I trained in {spec} after working as a community health worker in {city}."]
MIDDLES = ["I mentor medical students on {edu} and on finding their place in medicine.",
           "My clinical work focuses on {clin}; my research looks at {res}.",
           "Outside the hospital I coach students through {edu}.",
           "I lead a small group studying {res} in underserved patients.",
           "Students shadow me in clinic to see how {clin} is managed day to day."]
CLOSERS = ["Medicine needs more doctors who look like their patients.",
           "I am happy to meet by video in the evenings.",
           "Ask me about balancing family life and a career in medicine.",
           "I remember how hard it was to find a mentor, so I want to be one.",
           "Let's talk about your goals in medicine and how to reach them."]
DAYS = list(rules.DAYS)
# Search popularity: within each kind of query, the r-th most popular search is asked with weight
# 1/r**ZIPF_S (people search for "cardiology" far more often than for one misspelt surname).
ZIPF_S = 1.0


def generate(n: int, institutions: list[uuid.UUID], rng: random.Random, codes: dict[tuple[str, str], int],
             names: list[str] | None = None):
    """Yields COPY rows of mentor_profiles (deterministic for a seed); fills `codes` (facet pairs).
    `names`: the display names to give, in order (tests/directory/test_name_typos.py), else drawn."""
    specialties = list(rules.specialties())
    for i in range(n):
        spec = rng.sample(specialties, rng.choice((1, 1, 1, 2)))
        city, state = rng.choice(CITIES)
        clin = rng.sample(CLINICAL, rng.randint(1, 3))
        res = rng.sample(RESEARCH, rng.randint(0, 2))
        edu = rng.sample(EDUCATION, rng.randint(1, 3))
        langs = ["English"] + [name for name, p in LANGUAGES if rng.random() < p]
        name = f"Dr. {rng.choice(FIRST)} {rng.choice(LAST)}"
        name = names[i] if names is not None else name  # drawn all the same: the same profiles otherwise
        words = {"spec": spec[0].lower(), "city": city, "clin": clin[0], "res": (res or RESEARCH)[0], "edu": edu[0]}
        bio = " ".join([rng.choice(OPENERS), rng.choice(MIDDLES), rng.choice(CLOSERS)]).format(**words)
        modes = [m for m in rules.MEETING_MODES if rng.random() < (0.9, 0.5, 0.3)[rules.MEETING_MODES.index(m)]]
        modes = modes or ["video"]
        windows = [{"day": d, "start": f"{h:02d}:00", "end": f"{h + 2:02d}:00"}
                   for d, h in zip(rng.sample(DAYS, rng.randint(1, 4)), (rng.choice((7, 12, 17, 18, 19)),) * 4)]
        windows.sort(key=lambda w: DAYS.index(w["day"]))
        accepting = rng.random() < 0.85
        active = rng.choices((0, 1, 2, 3), (40, 25, 15, 20))[0]
        hours = rng.choice((2, 3, 4, 4, 6, 8, 10))
        considered = rng.randint(0, 20)
        if considered:
            rate = round(rng.betavariate(5, 1.5), 4)
            median = round(rng.uniform(1, 240), 2)
            resp = round(rate * (0.5 + 0.5 / (1 + median / rules.SPEED_HALF_LIFE_HOURS)), 4)
        else:
            rate, median, resp = None, None, rules.NEUTRAL_RESPONSIVENESS
        backgrounds = [b for b in rules.SHARED_BACKGROUNDS if rng.random() < 0.25]
        inst = institutions[i % len(institutions)] if rng.random() < 0.5 else institutions[rng.randrange(len(institutions))]
        interest_tags = sorted({v.lower() for v in clin + res + edu})
        scope = "local" if rng.random() < 0.4 else "national"
        slots = rules.open_slots(active, accepting)
        pairs = search.facet_pairs(SimpleNamespace(
            specialties=spec, languages=langs, meeting_modes=modes, shared_background=backgrounds,
            interest_tags=interest_tags, state=state, scope=scope, open_slots=slots))
        facet_codes = sorted({codes.setdefault(pair, len(codes) + 1) for pair in pairs})
        yield (uuid.UUID(int=rng.getrandbits(128), version=4), inst, name, "active", True, True, name,
               rng.choice(("she/her", "he/him", "they/them", None)), rng.choice(RANKS), spec,
               None, clin, res, edu, interest_tags, langs, city, state,
               f"{rng.choice(('Clerkship director', 'Residency program director', 'Award-winning teacher', 'NIH-funded investigator', 'Community clinic founder'))} in {city}.",
               bio, backgrounds, scope, accepting, hours, modes,
               json.dumps(windows), "America/Chicago", active, slots, considered, rate,
               median, resp, rules.static_score(active_mentees=active, accepting=accepting, hours_per_month=hours,
                                                windows=len(windows), responsiveness_score=resp), facet_codes)


COLUMNS = ("user_id", "institution_id", "enrolled_name", "status", "trained", "published", "display_name",
           "pronouns", "academic_rank", "specialties", "subspecialty", "clinical_interests", "research_interests",
           "education_interests", "interest_tags", "languages", "city", "state", "career_highlights", "bio",
           "shared_background", "scope", "accepting_new_mentees", "hours_per_month", "meeting_modes",
           "time_windows", "timezone", "active_mentees", "open_slots", "requests_considered", "response_rate",
           "median_response_hours", "responsiveness", "rank_boost", "facet_codes")


def seed(url: str, n: int, viewers: list[uuid.UUID], names: list[str] | None = None) -> float:
    """COPY n profiles (`names`: their display names, see generate); returns seconds taken (indexes
    rebuilt after the load)."""
    import psycopg

    rng = random.Random(SEED)
    institutions = viewers + [uuid.UUID(int=rng.getrandbits(128), version=4) for _ in range(200 - len(viewers))]
    started = time.perf_counter()
    plain = url.replace("postgresql+psycopg://", "postgresql://")
    with psycopg.connect(plain, autocommit=True) as conn:
        indexes = conn.execute("SELECT indexdef, indexname FROM pg_indexes WHERE tablename = 'mentor_profiles' "
                               "AND indexname LIKE 'ix_%'").fetchall()
        for _, name in indexes:
            conn.execute(f'DROP INDEX "{name}"')
        codes: dict[tuple[str, str], int] = {}
        with conn.cursor().copy(f"COPY mentor_profiles ({', '.join(COLUMNS)}) FROM STDIN") as copy:
            for row in generate(n, institutions, rng, codes, names):
                copy.write_row(row)
        with conn.cursor().copy("COPY facet_values (code, facet, value) FROM STDIN") as copy:
            for (facet, value), code in codes.items():
                copy.write_row((code, facet, value))
        conn.execute("SELECT setval(pg_get_serial_sequence('facet_values', 'code'), %s)", (len(codes) + 1,))
        conn.execute("SET maintenance_work_mem = '512MB'")
        for ddl, _ in indexes:
            conn.execute(ddl)
        conn.execute("VACUUM ANALYZE mentor_profiles")
        for table in ("search_names", "search_name_words", "search_name_variants"):
            conn.execute(f"VACUUM ANALYZE {table}")
        conn.execute("UPDATE search_state SET version = version + 1")
    return time.perf_counter() - started


# --- the query mix ---------------------------------------------------------------------------------------

def query_mix(per_kind: int, rng: random.Random) -> list[list[str]]:
    """Four pools of distinct searches, one per kind, each in popularity order (see ZIPF_S)."""
    from urllib.parse import urlencode

    specialties = list(rules.specialties())
    words = ([s.split()[0].lower() for s in specialties] + [c.split()[0] for c in CLINICAL]
             + [r.split()[0] for r in RESEARCH] + LAST)
    states = sorted({s for _, s in CITIES})
    pools: list[list[str]] = [[], [], [], []]
    seen: set[str] = set()

    def add(kind: int, params: dict) -> None:
        path = "/api/v1/directory/mentors?" + urlencode(params)
        if path not in seen:
            seen.add(path)
            pools[kind].append(path)

    for _ in range(per_kind * 20):
        word = rng.choice(words)
        if rng.random() < 0.2 and len(word) > 5:  # a misspelt name or term
            j = rng.randrange(1, len(word) - 2)
            word = word[:j] + word[j + 1] + word[j] + word[j + 2:]
        if len(pools[0]) < per_kind:
            add(0, {"q": word})
        if len(pools[1]) < per_kind:
            extra = rng.choice(("language", "meeting_mode", "has_open_slot"))
            add(1, {"q": rng.choice(words), "state": rng.choice(states),
                    extra: {"language": rng.choice(("Spanish", "French", "Mandarin")),
                            "meeting_mode": rng.choice(rules.MEETING_MODES), "has_open_slot": "true"}[extra]})
        if len(pools[2]) < per_kind:
            add(2, rng.choice([
                {"specialty": rng.choice(specialties), "state": rng.choice(states)},
                {"language": rng.choice(("Spanish", "French", "Mandarin", "Hindi")),
                 "meeting_mode": rng.choice(rules.MEETING_MODES), "has_open_slot": "true"},
                {"specialty": rng.choice(specialties), "shared_background": rng.choice(rules.SHARED_BACKGROUNDS)},
                {"state": rng.choice(states), "has_open_slot": "true"},
            ]))
    for word in ("medicine", "patients", "students"):
        for page in (1, 2):
            add(3, {"q": word, "page": page})
    return pools


def _client_process(host: str, port: int, tokens: list[str], pools: list[list[str]], start_at: float,
                    measure_from: float, end_at: float, out: mp.Queue, seed_: int, accept_gzip: bool) -> None:
    results = [[] for _ in tokens]
    weights = [list(itertools.accumulate(1 / (r + 1) ** ZIPF_S for r in range(len(pool)))) for pool in pools]

    def client(k: int) -> None:
        rng = random.Random(seed_ * 100 + k)
        conn = http.client.HTTPConnection(host, port, timeout=30)
        headers = {"Authorization": f"Bearer {tokens[k]}"}
        if accept_gzip:  # as browsers and the mobile clients do (the body is read, not decompressed)
            headers["Accept-Encoding"] = "gzip"
        while time.time() < start_at:
            time.sleep(0.001)
        n = rng.randrange(4)
        while True:
            kind = n % 4
            path = rng.choices(pools[kind], cum_weights=weights[kind])[0]
            n += 1
            t0 = time.perf_counter()
            wall = time.time()
            if wall >= end_at:
                break
            try:
                conn.request("GET", path, headers=headers)
                response = conn.getresponse()
                response.read()
                status, hit = response.status, response.getheader("X-Search-Cache") == "hit"
            except (OSError, http.client.HTTPException):  # counted as an error; a new connection
                conn.close()
                conn = http.client.HTTPConnection(host, port, timeout=30)
                status, hit = 0, False
            elapsed = time.perf_counter() - t0
            if wall >= measure_from:
                results[k].append((elapsed, status, hit, kind))
        conn.close()

    threads = [threading.Thread(target=client, args=(k,)) for k in range(len(tokens))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    out.put([x for per in results for x in per])


def percentile(values: list[float], p: float) -> float | None:
    if not values:
        return None
    values = sorted(values)
    k = (len(values) - 1) * p / 100
    lo, hi = int(k), min(int(k) + 1, len(values) - 1)
    return values[lo] + (values[hi] - values[lo]) * (k - lo)


def _ms(values: list[float]) -> dict:
    return {"p50": _r(percentile(values, 50)), "p95": _r(percentile(values, 95)), "p99": _r(percentile(values, 99)),
            "mean": _r(statistics.fmean(values)) if values else None}


def _r(v):
    return round(v * 1000, 1) if v is not None else None


class Changes(threading.Thread):
    """Profiles changing while searches run, through the directory's own event handling: at `rate` per
    second a MentorshipStarted or MentorshipConcluded for a random published mentor (read models,
    ranking boost, open-slot facet, search version), as mentorship's events do on a live platform."""

    def __init__(self, url: str, rate: float) -> None:
        super().__init__(daemon=True)
        self.url, self.rate, self.done = url, rate, 0
        self.stop = threading.Event()

    def run(self) -> None:
        from services.directory import service

        database = db.Database(self.url)
        with database.engine.connect() as conn:
            mentors = conn.execute(sa.text("SELECT user_id, institution_id FROM mentor_profiles WHERE published "
                                           "ORDER BY md5(user_id::text) LIMIT 5000")).all()
        rng, started = random.Random(SEED), {}
        due = time.monotonic()
        try:
            while not self.stop.is_set():
                due += 1 / self.rate
                self.stop.wait(max(0.0, due - time.monotonic()))
                mentor_id, inst = rng.choice(mentors)
                ms = started.pop(mentor_id, None)
                data = {"mentorship_id": ms or uuid.uuid4(), "mentor_id": mentor_id, "mentee_id": uuid.uuid4(),
                        "mentor_institution_id": inst}
                with database.unit_of_work() as session:
                    if ms is None:
                        service.mentorship_started(session, data)
                        started[mentor_id] = data["mentorship_id"]
                    else:
                        service.mentorship_concluded(session, data)
                self.done += 1
        finally:
            database.dispose()


def measure(host: str, port: int, tokens: list[str], paths: list[list[str]], clients: int, warmup: float,
            duration: float, changes: Changes | None = None, accept_gzip: bool = True) -> dict:
    processes = min(clients, 4)
    per = [list(range(clients))[i::processes] for i in range(processes)]
    start_at = time.time() + 1.0
    measure_from, end_at = start_at + warmup, start_at + warmup + duration
    queue: mp.Queue = mp.Queue()
    procs = [mp.Process(target=_client_process, args=(host, port, [tokens[k % len(tokens)] for k in ks], paths,
                                                      start_at, measure_from, end_at, queue, i, accept_gzip))
             for i, ks in enumerate(per)]
    for p in procs:
        p.start()
    done_before = None
    if changes is not None:
        time.sleep(max(0.0, measure_from - time.time()))
        done_before = changes.done
    samples = [x for _ in procs for x in queue.get()]
    for p in procs:
        p.join()
    ok = [s for s in samples if s[1] == 200]
    latencies = [s[0] for s in ok]
    misses = [s[0] for s in ok if not s[2]]
    kinds = ("text", "text_and_two_filters", "filters_only", "common_word")
    return {
        "concurrent_clients": clients,
        "duration_s": duration,
        "searches": len(ok),
        "errors": len(samples) - len(ok),
        "searches_per_s": round(len(ok) / duration, 1),
        "latency_ms": _ms(latencies),
        "cache_hit_ratio": round(1 - len(misses) / len(ok), 3) if ok else None,
        "cache_miss_latency_ms": _ms(misses),
        "by_kind_p95_ms": {kinds[k]: _r(percentile([s[0] for s in ok if s[3] == k], 95)) for k in range(4)},
        "profile_changes_per_s": round((changes.done - done_before) / duration, 1) if changes else 0.0,
    }


def measure_index(database) -> dict:
    """How long one build of the index takes (the machine's builder does it), and the size of its arrays."""
    from services.directory import search_index

    started = time.perf_counter()
    view = search_index.build(database.engine)
    seconds = time.perf_counter() - started
    base = view.base
    return {"build_seconds": round(seconds, 1), "profiles": base.n, "lexemes": len(base.postings),
            "facet_values": len(base.facet_row), "array_mb": round(base.nbytes / 2**20, 1)}


# --- the pieces it runs ------------------------------------------------------------------------------------

def workers_rss_mb(master_pid: int) -> list[int]:
    """Resident memory of each gunicorn worker (children of the master), in MiB."""
    out = []
    for task in Path(f"/proc/{master_pid}/task").iterdir():
        for child in (task / "children").read_text().split():
            for line in Path(f"/proc/{child}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    out.append(round(int(line.split()[1]) / 1024))
    return sorted(out)


class ConnectionSampler(threading.Thread):
    """The API's connections to the benchmark database, sampled from pg_stat_activity every 0.1 s:
    the most any one API process held at once, for search (application_name mmm-directory-search:<pid>)
    and in all."""

    def __init__(self, url: str) -> None:
        super().__init__(name="connection-sampler", daemon=True)
        self.engine = sa.create_engine(url, poolclass=sa.pool.NullPool)
        self.stop = threading.Event()
        self.search_max = self.all_max = 0

    def run(self) -> None:
        query = sa.text("SELECT split_part(application_name, ':', 2) AS pid, "
                        "count(*) FILTER (WHERE application_name LIKE 'mmm-directory-search:%') AS search, "
                        "count(*) AS all FROM pg_stat_activity WHERE datname = current_database() "
                        "AND application_name LIKE 'mmm-directory%' GROUP BY 1")
        with self.engine.connect() as conn:
            while not self.stop.wait(0.1):
                for row in conn.execute(query):
                    self.search_max, self.all_max = max(self.search_max, row.search), max(self.all_max, row.all)
                conn.rollback()

    def figures(self) -> dict:
        self.stop.set()
        self.join()
        self.engine.dispose()
        return {"search_per_process_max": self.search_max, "all_per_process_max": self.all_max}


def workers_memory_mb(master_pid: int) -> list[dict]:
    """Each gunicorn worker's memory in MiB: rss, anon (its own: RssAnon), file (mapped files, the
    snapshot among them: RssFile) and pss (shared pages divided among the processes sharing them)."""
    out = []
    for task in Path(f"/proc/{master_pid}/task").iterdir():
        for child in (task / "children").read_text().split():
            kib = {}
            for source in (f"/proc/{child}/status", f"/proc/{child}/smaps_rollup"):
                for line in Path(source).read_text().splitlines():
                    key, _, rest = line.partition(":")
                    if key in ("VmRSS", "RssAnon", "RssFile", "Pss"):
                        kib[key] = int(rest.split()[0])
            out.append({"rss": round(kib["VmRSS"] / 1024), "anon": round(kib["RssAnon"] / 1024),
                        "file": round(kib["RssFile"] / 1024), "pss": round(kib["Pss"] / 1024)})
    return sorted(out, key=lambda m: m["rss"])


def wait_ready(url: str, timeout: float = 1800, in_a_row: int = 40) -> float:
    """Seconds until `in_a_row` consecutive /readyz probes (new connections, so spread over the
    gunicorn workers) answer 200: every worker has built its search index."""
    import requests

    started = time.monotonic()
    ok = 0
    while ok < in_a_row:
        if time.monotonic() - started > timeout:
            raise SystemExit(f"not ready after {timeout} s: {url}")
        try:
            ok = ok + 1 if requests.get(url, timeout=5, headers={"Connection": "close"}).status_code == 200 else 0
        except requests.RequestException:
            ok = 0
        if not ok:
            time.sleep(0.5)
    return time.monotonic() - started


def wait_http(url: str, timeout: float = 60) -> None:
    import requests

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if requests.get(url, timeout=2).status_code == 200:
                return
        except requests.RequestException:
            pass
        time.sleep(0.2)
    raise SystemExit(f"not answering: {url}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--profiles", type=int, default=100_000)
    parser.add_argument("--clients", default="1,16")
    parser.add_argument("--duration", type=float, default=20.0)
    parser.add_argument("--warmup", type=float, default=10.0)
    # 4 processes of 1 thread: with 4 threads, remembered searches queue on the GIL behind computed ones
    # (at 100,000 profiles, 1,100-1,180 searches/s and p95 40-43 ms against 1,210-1,410 and 29-38)
    parser.add_argument("--api-workers", default="4")
    parser.add_argument("--api-threads", default="1")
    parser.add_argument("--cache-size", type=int, default=4096,
                        help="DIRECTORY_SEARCH_CACHE_SIZE (responses kept per API process; 0: none)")
    parser.add_argument("--cache-mb", type=float, default=8,
                        help="DIRECTORY_SEARCH_CACHE_MB (MiB of gzipped responses kept per API process)")
    parser.add_argument("--changes-per-s", type=float, default=0.0,
                        help="profile changes per second while searching (mentorships started/concluded)")
    parser.add_argument("--identity", action="store_true",
                        help="clients do not accept gzip (by default they send Accept-Encoding: gzip, as browsers do)")
    parser.add_argument("--keep", action="store_true", help="keep the benchmark database")
    parser.add_argument("--database", help="reuse this database seeded by an earlier --keep run (same --profiles); "
                                           "it is kept")
    args = parser.parse_args()

    run = secrets.token_hex(3)
    url = args.database or f"{config.postgres_url().rsplit('/', 1)[0]}/mmm_bench_{run}_directory"
    viewers = [uuid.UUID(int=random.Random(SEED + i).getrandbits(128), version=4) for i in range(INSTITUTIONS)]
    keys = SigningKeys()
    runtime = Path(tempfile.mkdtemp(prefix="mmm-bench-search-"))
    stack = contextlib.ExitStack()
    try:
        migrations.upgrade("directory", url)
        seconds = 0.0 if args.database else seed(url, args.profiles, viewers)
        database = db.Database(url)
        with database.engine.connect() as conn:
            size = conn.scalar(sa.text("SELECT pg_size_pretty(pg_total_relation_size('mentor_profiles'))"))
        index_figures = measure_index(database)
        database.dispose()
        jwks = stack.enter_context(JwksServer(keys))
        # the API's search index snapshots: a directory of this run's, removed at the end
        api_env = {"DIRECTORY_DATABASE_URL": url, "LOG_LEVEL": "WARNING", "AUTH_JWKS_URL": jwks.url,
                   "DIRECTORY_SEARCH_CACHE_SIZE": str(args.cache_size), "DIRECTORY_SEARCH_CACHE_MB": str(args.cache_mb),
                   "DIRECTORY_SEARCH_INDEX_DIR": str(runtime / "search-index")}
        stack.callback(shutil.rmtree, runtime / "search-index", True)
        api = stack.enter_context(ApiProcesses("directory", api_env, count=1, workers=int(args.api_workers),
                                               threads=int(args.api_threads), log_dir=str(runtime)))
        ready_seconds = wait_ready(f"{api.urls[0]}/readyz")
        gw_port = free_port()
        values = gateway.local_values(runtime, listen=f"127.0.0.1:{gw_port}")
        values.update({name: "127.0.0.1:9" for name in values if name.endswith("_UPSTREAM")})
        values.update(DIRECTORY_UPSTREAM=api.urls[0].removeprefix("http://"), GATEWAY_API_RATE="1000000r/s",
                      GATEWAY_API_BURST="1000000")
        conf = gateway.render(values, out=runtime / "nginx.conf")
        conf.write_text(conf.read_text().replace("access_log /dev/stdout mmm_json;", "access_log off;"))
        gateway.check_config(runtime, conf)
        nginx = subprocess.Popen(gateway.nginx_command(runtime, conf), stdout=subprocess.DEVNULL,
                                 stderr=subprocess.DEVNULL, start_new_session=True)
        stack.callback(stop_process_group, nginx)
        wait_http(f"http://127.0.0.1:{gw_port}/api/v1/directory/openapi.json")
        tokens = [keys.mint("mentee", inst=viewers[k % INSTITUTIONS], ttl=timedelta(hours=2))
                  for k in range(16)]
        paths = query_mix(500, random.Random(SEED))
        changes = None
        if args.changes_per_s > 0:
            changes = Changes(url, args.changes_per_s)
            changes.start()
            stack.callback(changes.stop.set)
        sampler = ConnectionSampler(url)
        sampler.start()
        runs = [measure("127.0.0.1", gw_port, tokens, paths, int(c), args.warmup, args.duration, changes,
                        accept_gzip=not args.identity)
                for c in args.clients.split(",")]
        connections = sampler.figures()
        rss = workers_rss_mb(api.procs[0].pid)
        memory = workers_memory_mb(api.procs[0].pid)
        # one more API process (one worker) while the others run: how soon it is ready from its start
        # (gunicorn's boot included), and its memory
        started = time.monotonic()
        with ApiProcesses("directory", api_env, count=1, workers=1, threads=int(args.api_threads),
                          log_dir=str(runtime / "extra")) as extra:
            wait_ready(f"{extra.urls[0]}/readyz")
            extra_ready = time.monotonic() - started
            extra_memory = workers_memory_mb(extra.procs[0].pid)
            # then the same mix sent to it alone (4 clients, 15 s), as it would serve beside the others
            extra_port = int(extra.urls[0].rsplit(":", 1)[1])
            extra_run = measure("127.0.0.1", extra_port, tokens, paths, 4, 3.0, 12.0, accept_gzip=not args.identity)
            extra_served = workers_memory_mb(extra.procs[0].pid)
        print(json.dumps({
            "benchmark": "directory search through the gateway (GET /api/v1/directory/mentors)",
            "profiles": args.profiles, "seed_seconds": round(seconds, 1), "table_size": size,
            "api": {"workers": int(args.api_workers), "threads": int(args.api_threads),
                    "response_cache_size": args.cache_size, "response_cache_mb": args.cache_mb},
            "clients_accept_gzip": not args.identity,
            "index": {**index_figures, "api_ready_seconds": round(ready_seconds, 1),
                      "api_worker_rss_mb_after_runs": rss, "api_worker_memory_mb_after_runs": memory,
                      "extra_api_process": {"ready_seconds": round(extra_ready, 1), "memory_mb": extra_memory,
                                            "memory_mb_after_serving": extra_served,
                                            "served": {k: extra_run[k] for k in ("searches", "errors",
                                                                                   "cache_hit_ratio")}}},
            "query_mix": {"kinds": "1/4 each: text only (specialty and interest words, surnames, 20% misspelt), text "
                                   "+ 2 filters, filters only, a very common word (medicine/patients/students, "
                                   "pages 1-2)",
                          "distinct_searches": {k: len(p) for k, p in zip(("text", "text_and_two_filters",
                                                                            "filters_only", "common_word"), paths)},
                          "popularity": f"Zipf s={ZIPF_S} within each kind",
                          "viewers": f"16 mentee tokens of {INSTITUTIONS} institutions (the national part of a "
                                     "search is shared, the local part and the response are per institution)",
                          "page": "20 results with facets"},
            "runs": runs,
            "database_connections_during_runs": connections,
            "machine": {"cpus": os.cpu_count(), "python": platform.python_version(),
                        "load_average_1_5_15": [round(x, 1) for x in os.getloadavg()]},
        }, indent=2))
    finally:
        stack.close()
        if not (args.keep or args.database):
            db.drop_database(url)


if __name__ == "__main__":
    main()
