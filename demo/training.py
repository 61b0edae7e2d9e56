"""Demo data of the training service, through the gateway's public API, as its users would do it.

    demo.training.load(client, logins)   # the platform loader (demo/loader.py), after demo/identity.py

In every demo institution, mentor1, mentor2 and mentee1 complete their track's training (they take each
required module's knowledge check and attest it, so TrainingCompleted and the mentors' CME
certificates exist); mentor3 and mentee2 stop part-way. The knowledge checks' answers are read from the
operators' authoring view, as a demo script may. Running it again changes nothing (attestations are
idempotent).
"""
from __future__ import annotations

import time

from demo.client import Client, DemoError

PREFIX = "/api/v1/training"
COMPLETE = ("mentor1", "mentor2", "mentee1")
PART_WAY = {"mentor3": 2, "mentee2": 1}  # how many required modules they attest


def _sign_in(client: Client, login: dict) -> str:
    return client.sign_in(login["email"], login["password"])


def _my_modules(client: Client, token: str, wait: float = 60.0) -> list[dict]:
    """The learner's modules, once their enrollment event has reached training."""
    deadline = time.monotonic() + wait
    while True:
        modules = client.get(PREFIX + "/modules", token=token, expect=(200, 409))
        if isinstance(modules, list):
            return modules
        if time.monotonic() > deadline:
            raise DemoError("the enrollment never reached the training service")
        time.sleep(0.5)


def _train(client: Client, token: str, answers: dict[tuple[str, int], list[int]], how_many: int | None) -> int:
    required = [m for m in _my_modules(client, token) if m["required"]]
    taken = required if how_many is None else required[:how_many]
    for m in taken:
        if m["progress"]["status"] == "attested":
            continue
        if m["has_knowledge_check"]:
            client.post(f"{PREFIX}/modules/{m['id']}/check", token=token, expect=(200,),
                        json={"version": m["version"], "answers": answers[(m["id"], m["version"])]})
        client.post(f"{PREFIX}/modules/{m['id']}/attestation", token=token, expect=(200, 201),
                    json={"version": m["version"]})
    return len(taken)


def load(client: Client, logins: dict) -> dict:
    operator = _sign_in(client, logins["operator"])
    answers = {}
    for module in client.get(PREFIX + "/authoring/modules", token=operator, expect=(200,)):
        for v in module["versions"]:
            answers[(module["id"], v["version"])] = [q["answer"] for q in v["questions"]]
    summary = {}
    for key, login in list(logins.items()):
        if login["role"] not in ("mentor", "mentee"):
            continue
        who = key.split()[-1]
        if who in COMPLETE:
            how_many = None
        elif who in PART_WAY:
            how_many = PART_WAY[who]
        else:
            continue
        token = _sign_in(client, login)
        attested = _train(client, token, answers, how_many)
        status = client.get(PREFIX + "/me/training", token=token, expect=(200,))
        summary[key] = {"attested": attested, "completed": status["completed"]}
        print(f"  training: {key:<28} {'completed' if status['completed'] else 'part-way'} "
              f"({status['required_attested']}/{status['required_total']} required modules)", flush=True)
    return summary

