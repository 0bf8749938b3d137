"""The HTTP CRUD mix of issue 10 (HealthSamurai-style): five types, each created, read, updated, searched by
subject (Patient: by identifier) and deleted, by keep-alive clients (one ``requests.Session`` per thread)."""
from __future__ import annotations

import random
import threading
import time

import requests

from bench.patients import IPP_SYSTEM, ipp, patient

TYPES = ("Patient", "Encounter", "Observation", "Procedure", "MedicationRequest")


def body(rtype: str, subject: str, n: int) -> dict:
    ref = {"reference": subject}
    if rtype == "Patient":
        return patient(n, random.Random(n))
    if rtype == "Encounter":
        return {"resourceType": "Encounter", "status": "finished", "subject": ref,
                "class": {"system": "http://terminology.hl7.org/CodeSystem/v3-ActCode", "code": "AMB"}}
    if rtype == "Observation":
        return {"resourceType": "Observation", "status": "final", "subject": ref,
                "code": {"coding": [{"system": "http://loinc.org", "code": "8867-4", "display": "Heart rate"}]},
                "valueQuantity": {"value": 72, "unit": "/min", "system": "http://unitsofmeasure.org", "code": "/min"}}
    if rtype == "Procedure":
        return {"resourceType": "Procedure", "status": "completed", "subject": ref, "code": {"text": "Appendicectomie"}}
    return {"resourceType": "MedicationRequest", "status": "active", "intent": "order", "subject": ref,
            "medicationCodeableConcept": {"text": "Paracétamol 1 g"}}


class Client(threading.Thread):
    """Runs the mix until ``deadline``; keeps every request's latency (s) and counts errors."""

    def __init__(self, base: str, index: int, deadline: float, first_n: int):
        super().__init__(daemon=True)
        self.base, self.deadline, self.n = base, deadline, first_n
        self.session = requests.Session()
        self.latencies: list[float] = []
        self.errors: dict[str, int] = {}
        self.index = index

    def call(self, what: str, method: str, url: str, expect=(200, 201, 204), **kwargs):
        start = time.perf_counter()
        try:
            response = self.session.request(method, self.base + url, timeout=30, **kwargs)
        except requests.RequestException as error:
            self.errors[f"{what}: {type(error).__name__}"] = self.errors.get(f"{what}: {type(error).__name__}", 0) + 1
            return None
        self.latencies.append(time.perf_counter() - start)
        if response.status_code not in expect:
            key = f"{what}: {response.status_code}"
            self.errors[key] = self.errors.get(key, 0) + 1
            return None
        return response

    def next_n(self) -> int:
        self.n += 1
        return self.n

    def run(self):
        created = self.call("subject", "POST", "/Patient", json=body("Patient", "", self.next_n()))
        if created is None:
            return
        subject = f"Patient/{created.json()['id']}"
        while time.perf_counter() < self.deadline:
            for rtype in TYPES:
                n = self.next_n()
                doc = body(rtype, subject, n)
                response = self.call(f"{rtype} create", "POST", f"/{rtype}", json=doc)
                if response is None:
                    continue
                rid = response.json()["id"]
                self.call(f"{rtype} read", "GET", f"/{rtype}/{rid}")
                self.call(f"{rtype} update", "PUT", f"/{rtype}/{rid}", json={**doc, "id": rid})
                query = f"identifier={IPP_SYSTEM}|{ipp(n)}" if rtype == "Patient" else f"subject={subject}"
                self.call(f"{rtype} search", "GET", f"/{rtype}?{query}")
                self.call(f"{rtype} delete", "DELETE", f"/{rtype}/{rid}")


def drive(base: str, clients: int, seconds: float, first_n: int) -> dict:
    deadline = time.perf_counter() + seconds
    workers = [Client(base, i, deadline, first_n + i * 10_000_000) for i in range(clients)]
    start = time.perf_counter()
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    elapsed = time.perf_counter() - start
    latencies = sorted(x for w in workers for x in w.latencies)
    errors: dict[str, int] = {}
    for worker in workers:
        for key, count in worker.errors.items():
            errors[key] = errors.get(key, 0) + count

    def pct(p):
        return round(1e3 * latencies[min(len(latencies) - 1, int(p * len(latencies)))], 2) if latencies else None

    return {"requests": len(latencies), "req_per_s": round(len(latencies) / elapsed, 1), "p50_ms": pct(0.50),
            "p99_ms": pct(0.99), "errors": sum(errors.values()), "error_kinds": errors}
