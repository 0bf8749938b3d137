"""Store CPU per generated Phenotype (nx-27017), with its search keys held inline and as SearchKey documents.

The app's own write path: the NLP engine reads the annotated letters once, their Phenotypes are built and indexed
by the Observation handler, then stored with ``create_many`` (as the worker does, with time-ordered ids) into a fresh
database, alternately with the inline layout (the product's) and with every key a SearchKey document (the layout
before it). The figure is the CPU the nx-27017 process spends per Phenotype, read from /proc around the inserts. A
third layout, inline with no index at all (but ``_id``), is the floor of any layout: what the store spends per
Phenotype whatever the app does; ``ceiling_notes_per_s`` is the rate one nx-27017 process (one core: it serves a
database one command at a time) could not exceed at that floor for notes of ``--per-note`` Phenotypes (25.4: the
annotated letters).

Usage: ``python bench/bench_phenotype_insert.py [--phenotypes 2000] [--runs 3] [--per-note 25.4] [--json]``
"""
from __future__ import annotations

import base64
import statistics
import sys
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.bench_nlp import real_letters  # noqa: E402
from bench.store import cpu_seconds, embedded_server, parse_arguments  # noqa: E402

BATCH = 400


def phenotypes(app, count: int) -> list[tuple[dict, dict]]:
    """(Phenotype, its index fields) for ``count`` Phenotypes of the annotated letters, about one patient."""
    import nlp

    enricher = app.extensions["codoc.registry"].enricher
    engine = nlp.get_engine(wait=None)
    made: list[tuple[dict, dict]] = []
    for n, text in enumerate(real_letters() * 100):
        document = {"id": str(uuid.uuid4()), "meta": {"versionId": "1"}, "subject": {"reference": "Patient/p-1"},
                    "content": [{"attachment": {"contentType": "text/plain",
                                                "data": base64.b64encode(text.encode()).decode()}}]}
        for phenotype in enricher.phenotypes(document, engine.extract(text), f"{n:012d}:bench"):
            made.append((phenotype, enricher._index_fields(phenotype)))
            if len(made) == count:
                return made
    return made


def run(count: int, runs: int, per_note: float = 25.4) -> dict:
    from app import create_app
    from handlers.ids import time_ordered_uuids

    per_layout: dict[str, list[float]] = {"inline": [], "search_key_documents": [], "inline_without_indexes": []}
    with embedded_server() as server:
        app = create_app({"CODOC_ENV": "testing", "CODOC_MONGO_URI": server.uri, "CODOC_NLP": "off",
                          "CODOC_MONGO_DB": "bench_setup", "CODOC_AUDIT_ENABLED": False,
                          "CODOC_RATELIMIT_ENABLED": False})
        made = phenotypes(app, count)
        for _ in range(runs):
            for layout in per_layout:
                target = create_app({"CODOC_ENV": "testing", "CODOC_MONGO_URI": server.uri, "CODOC_NLP": "off",
                                     "CODOC_MONGO_DB": f"bench_{uuid.uuid4().hex[:8]}", "CODOC_CREATE_INDEXES": False,
                                     "CODOC_AUDIT_ENABLED": False, "CODOC_RATELIMIT_ENABLED": False})
                store = target.extensions["codoc.store"]
                if layout == "search_key_documents":
                    store.keep_inline("Observation", ())
                if layout != "inline_without_indexes":
                    target.extensions["codoc.registry"].ensure_indexes()  # after the layout is chosen: its own
                ids = [i for start in range(0, len(made), BATCH)  # time-ordered, as the enricher draws them
                       for i in time_ordered_uuids(min(BATCH, len(made) - start))]
                resources = [{**p, "id": i} for (p, _), i in zip(made, ids)]
                before = cpu_seconds(server.process.pid)
                for start in range(0, len(resources), BATCH):
                    store.create_many("Observation", resources[start:start + BATCH],
                                      [f for _, f in made[start:start + BATCH]], history=False)
                per_layout[layout].append((cpu_seconds(server.process.pid) - before) * 1000 / len(resources))
    figures = {layout: {"min_ms": round(min(v), 3), "median_ms": round(statistics.median(v), 3)}
               for layout, v in per_layout.items()}
    figures["inline_over_documents"] = round(figures["inline"]["median_ms"]
                                             / figures["search_key_documents"]["median_ms"], 2)
    floor = figures["inline_without_indexes"]["min_ms"]
    figures["ceiling_notes_per_s"] = {"at_floor": round(1000 / (floor * per_note), 1),
                                      "inline": round(1000 / (figures["inline"]["min_ms"] * per_note), 1),
                                      "phenotypes_per_note": per_note}
    return {"phenotypes": len(made), "runs": runs, "store_cpu_per_phenotype": figures}


def main() -> None:
    from bench.report import emit

    def options(parser):
        parser.add_argument("--phenotypes", type=int, default=2000)
        parser.add_argument("--runs", type=int, default=3)
        parser.add_argument("--per-note", type=float, default=25.4, help="Phenotypes per note, for the ceiling")

    args = parse_arguments(__doc__, options)
    emit({"bench": "phenotype_insert", **run(args.phenotypes, args.runs, args.per_note)}, args.json)


if __name__ == "__main__":
    main()
