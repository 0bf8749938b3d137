"""Scale of a patient's own data: searches scoped to one patient while the hospital's Observations grow (nx-27017).

Each patient has the same data at every size (``--per-patient`` Observations, all with the same LOINC heart-rate
code, and one Encounter); the number of patients grows with the size, so a patient-scoped search should cost the same
at every size. Loaded through batch Bundles of the app's own write path. Operations, each on a random patient:
``Observation?patient=`` (its total counted), ``patient=&code=`` (the code held by every Observation of the
hospital), ``patient=&_sort=-date``, ``Encounter?patient=``, ``Patient/{id}/$everything``, and hospital-wide
``code=system|code`` (with its total: every Observation, left out beyond 10,000) and ``code=code``
(``_total=none``). Each run is followed by a reference call (the bare app's read of a one-document collection):
``ratio_last_first_normalized`` divides by it, so the load of a shared machine cancels out. ``--code DIR`` measures
another source tree (e.g. the code before a change).

Usage: ``python bench/bench_patient_data.py [--sizes 2000,20000] [--per-patient 20] [--runs 3] [--samples 20]
[--code DIR] [--json]``
"""
from __future__ import annotations

import json
import random
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.bench_scale import measured, reference_call  # noqa: E402
from bench.report import emit  # noqa: E402
from bench.store import CommandCounter, close_app, codoc_app, embedded_store, parse_arguments  # noqa: E402

BASE = "/v4.3.0"
HEART_RATE = {"system": "http://loinc.org", "code": "8867-4", "display": "Heart rate"}


def load(client, patients: list[str], count: int, per_patient: int, rng: random.Random) -> None:
    """Add patients with ``per_patient`` Observations and one Encounter each until ``count`` Observations exist."""
    entries: list[dict] = []

    def flush():
        if entries:
            response = client.post(f"{BASE}/", json={"resourceType": "Bundle", "type": "batch", "entry": entries})
            if response.status_code != 200:
                raise RuntimeError(f"batch Bundle answered {response.status_code}")
            entries.clear()

    while len(patients) * per_patient < count:
        created = client.post(f"{BASE}/Patient", json={"resourceType": "Patient", "gender": "female"})
        pid = created.get_json()["id"]
        patients.append(pid)
        subject = {"reference": f"Patient/{pid}"}
        entries.append({"request": {"method": "POST", "url": "Encounter"}, "resource": {
            "resourceType": "Encounter", "status": "finished", "subject": subject,
            "class": {"system": "http://terminology.hl7.org/CodeSystem/v3-ActCode", "code": "AMB"}}})
        for n in range(per_patient):
            entries.append({"request": {"method": "POST", "url": "Observation"}, "resource": {
                "resourceType": "Observation", "status": "final", "subject": subject, "code": {"coding": [HEART_RATE]},
                "effectiveDateTime": f"2024-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}T10:00:00Z",
                "valueQuantity": {"value": 60 + n, "unit": "/min"}}})
        if len(entries) >= 1000:
            flush()
    flush()


def run(uri: str, sizes: list[int], per_patient: int, runs: int, samples: int) -> dict:
    app = codoc_app(uri)
    client, rng, reference = app.test_client(), random.Random(3), reference_call(uri)
    patients: list[str] = []
    errors: dict = {}

    def get(name: str, url: str, expect_total=None):
        """A call of ``url`` on a random patient; an answer whose total is not ``expect_total`` (a number, or a
        function giving it) counts as an error."""
        def call():
            response = client.get(f"{BASE}/{url.format(p=rng.choice(patients))}")
            expected = expect_total() if callable(expect_total) else expect_total
            if response.status_code != 200 or expected is not None and response.get_json().get("total") != expected:
                errors[name] = errors.get(name, 0) + 1
        return call

    ops = {"patient": get("patient", "Observation?patient={p}&_count=10", per_patient),
           "patient_code": get("patient_code", "Observation?patient={p}&code=http://loinc.org|8867-4&_count=10",
                               per_patient),
           "patient_sorted": get("patient_sorted", "Observation?patient={p}&_sort=-date&_count=10", per_patient),
           "encounter": get("encounter", "Encounter?patient={p}", 1),
           "everything": get("everything", "Patient/{p}/$everything"),
           # hospital-wide: the code every Observation holds, its total counted (keys walked, not read)
           "code": get("code", "Observation?code=http://loinc.org|8867-4&_count=10",
                       lambda: len(patients) * per_patient if len(patients) * per_patient <= 10_000 else None),
           "code_any_system": get("code_any_system", "Observation?code=8867-4&_count=10&_total=none")}
    figures: dict = {"per_patient": per_patient, "sizes": {}}
    try:
        for size in sizes:
            load(client, patients, size, per_patient, rng)
            per_op = {name: measured(fn, reference, runs, samples) for name, fn in ops.items()}
            figures["sizes"][size] = {"observations": len(patients) * per_patient, "patients": len(patients),
                                      **per_op}
            print(f"# {size}: {json.dumps(per_op)}", file=sys.stderr, flush=True)
        first, last = sizes[0], sizes[-1]
        figures["ratio_last_first_normalized"] = {
            name: round(figures["sizes"][last][name]["normalized"] / figures["sizes"][first][name]["normalized"], 2)
            for name in ops}
        figures["errors"] = errors
        return figures
    finally:
        close_app(app)


def main() -> None:
    def options(parser):
        parser.add_argument("--sizes", default="2000,20000", help="Observations stored at each step")
        parser.add_argument("--per-patient", type=int, default=20)
        parser.add_argument("--runs", type=int, default=3)
        parser.add_argument("--samples", type=int, default=20, help="calls per run and operation (multiple of 5)")

    args = parse_arguments(__doc__, options)
    CommandCounter.install()
    with embedded_store() as uri:
        figures = run(uri, [int(s) for s in args.sizes.split(",")], args.per_patient, args.runs, args.samples)
    emit({"bench": "patient_data", "code": args.code or "this tree", "runs": args.runs, **figures}, args.json)


if __name__ == "__main__":
    main()
