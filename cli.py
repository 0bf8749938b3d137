"""The ``codoc`` command: run the server (with its embedded store), create indexes, load vocabularies, create API
clients."""
from __future__ import annotations

import argparse
from contextlib import contextmanager
import logging
import os
import sys

log = logging.getLogger("codoc")


def _own_process_group(server, worker) -> None:
    """gunicorn post_fork hook: keep Ctrl-C (sent to the terminal's process group) away from the workers, which
    would quick-quit; the arbiter alone gets it and stops them gracefully."""
    os.setpgrp()


def _serve(app_uri_env: dict[str, str], port: int, workers: int, threads: int) -> None:
    """Serve ``app:create_app()`` with gunicorn in this process (Ctrl-C stops it)."""
    from gunicorn.app.base import BaseApplication
    from gunicorn.arbiter import Arbiter

    from handlers.http import server_errors

    os.environ.update(app_uri_env)
    server_errors.install()
    # Ctrl-C stops gracefully (SIGTERM to the workers): gthread's quick quit (SIGQUIT) runs the thread pool's
    # shutdown inside a signal handler and deadlocks when the signal lands while a request is being queued.
    Arbiter.handle_int = Arbiter.handle_term

    class Server(BaseApplication):
        def load_config(self):
            self.cfg.set("bind", f"0.0.0.0:{port}")
            self.cfg.set("workers", workers)
            self.cfg.set("threads", threads)
            self.cfg.set("limit_request_line", server_errors.REQUEST_LINE_LIMIT)
            self.cfg.set("post_fork", _own_process_group)
            self.cfg.set("accesslog", "-")
            self.cfg.set("access_log_format", '%(h)s "%(m)s %(U)s" %(s)s %(b)s %(L)ss')  # no query: may hold PII

        def load(self):
            from app import create_app

            return create_app()

    Server().run()


def run(args: argparse.Namespace) -> int:
    """Start the embedded store when no CODOC_MONGO_URI is set, then the server; stop both on exit."""
    from config import FHIR_VERSION, load_config
    from fhirstore import answers

    settings = load_config()
    port = args.port or settings["CODOC_PORT"]
    uri = settings["CODOC_MONGO_URI"]
    if uri.startswith("mongomock://") and args.workers > 1:
        log.error("mongomock lives in one process: use --workers 1 or a real store")
        return 2
    embedded = None
    if not uri:
        from fhirstore.embedded import EmbeddedMongo

        embedded = EmbeddedMongo(settings["CODOC_DATA_DIR"])
        try:
            uri = embedded.start()
        except (OSError, RuntimeError) as error:
            log.error("the embedded store could not start: %s", error)
            return 2
        embedded.supervise()
    elif not answers(uri, settings["CODOC_MONGO_DB"]):
        log.error("no database answers at CODOC_MONGO_URI (%s): start it, or unset CODOC_MONGO_URI to use the "
                  "embedded store", _without_credentials(uri))
        return 2
    loading = None
    try:
        if settings["CODOC_TERMINOLOGY_AUTOLOAD"] and not uri.startswith("mongomock://"):
            loading = _load_terminology_in_background(uri, settings["CODOC_DATA_DIR"])
        log.info("Codoc FHIR API on http://localhost:%s/v%s/ (profile %s)", port, FHIR_VERSION, settings["CODOC_ENV"])
        _serve({"CODOC_MONGO_URI": uri}, port, args.workers, args.threads)
    finally:
        if loading and loading.poll() is None:
            loading.terminate()
            loading.wait(10)
        if embedded:
            embedded.stop()
    return 0


def _without_credentials(uri: str) -> str:
    scheme, _, rest = uri.partition("://")
    return f"{scheme}://{rest.rpartition('@')[2]}"


def _load_terminology_in_background(uri: str, data_dir: str):
    """``codoc load-terminology`` as a child process on the server's store (skipped in seconds once loaded); it
    dies with this process."""
    import subprocess

    os.makedirs(data_dir, exist_ok=True)
    log_path = os.path.join(data_dir, "load-terminology.log")
    log.info("loading ICD-10 and ATC in the background if absent (first start: about a minute), see %s", log_path)
    with open(log_path, "w") as out:
        return subprocess.Popen([sys.executable, os.path.abspath(__file__), "load-terminology"],
                                env={**os.environ, "CODOC_MONGO_URI": uri}, stdout=out, stderr=subprocess.STDOUT,
                                preexec_fn=_die_with_parent)


def _die_with_parent() -> None:
    """In the child: SIGTERM when the parent dies, even killed (Linux; elsewhere the child finishes its load)."""
    import ctypes
    import signal

    try:
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG
    except OSError:
        pass


@contextmanager
def store_uri(settings: dict):
    """CODOC_MONGO_URI, or the embedded store of CODOC_DATA_DIR started for the command (stop `make run` first)."""
    if settings["CODOC_MONGO_URI"]:
        yield settings["CODOC_MONGO_URI"]
        return
    from fhirstore.embedded import EmbeddedMongo

    with EmbeddedMongo(settings["CODOC_DATA_DIR"]) as embedded:
        yield embedded.uri


@contextmanager
def opened_store():
    """The store the settings name (the embedded one of CODOC_DATA_DIR when no URI is set), for client commands."""
    from config import load_config
    from fhirstore import open_store

    settings = load_config()
    with store_uri(settings) as uri:
        yield open_store(uri, settings["CODOC_MONGO_DB"], settings["CODOC_MONGO_WRITE_CONCERN"])


@contextmanager
def progress_bars(unit: str):
    """``progress_for(name, total)`` giving one tqdm bar's update per name; the bars close on exit."""
    from tqdm import tqdm

    bars = []

    def progress_for(name: str, total: int):
        bar = tqdm(total=total, desc=name, unit=unit, leave=True)
        bars.append(bar)
        return bar.update

    try:
        yield progress_for
    finally:
        for bar in bars:
            bar.close()


@contextmanager
def progress_lines(unit: str, every: float = 10.0):
    """``progress_for`` as :func:`progress_bars`, printing a plain line every ``every`` seconds and at the end (for
    logs and pipes, where a bar would be noise)."""
    import time

    def progress_for(name: str, total: int):
        state = {"done": 0, "start": time.monotonic(), "shown": time.monotonic()}

        def update(n: int) -> None:
            state["done"] += n
            now = time.monotonic()
            if now - state["shown"] >= every or state["done"] == total:
                state["shown"] = now
                rate = state["done"] / max(now - state["start"], 1e-9)
                print(f"{name}: {state['done']}/{total} {unit} ({rate:.0f} {unit}/s)", file=sys.stderr, flush=True)
        return update

    yield progress_for


def terminal_progress(unit: str):
    """Bars on a terminal, plain periodic lines otherwise."""
    return progress_bars(unit) if sys.stderr.isatty() else progress_lines(unit)


def offline_app(nlp: bool = False):
    """An app for maintenance commands: no index creation at start-up, no NLP unless ``nlp`` (then as configured)."""
    from app import create_app

    return create_app({"CODOC_CREATE_INDEXES": False, **({} if nlp else {"CODOC_NLP": "off"})})


def init_db(args: argparse.Namespace) -> int:
    """Create every index the search parameters and rules need (idempotent)."""
    from config import load_config
    from handlers import audit

    with store_uri(load_config()) as uri:
        os.environ["CODOC_MONGO_URI"] = uri
        app = offline_app()
        created = app.extensions["codoc.registry"].ensure_indexes()
        created["AuditEvent"] = audit.ensure_indexes(app.extensions["codoc.store"])
    for collection, names in created.items():
        print(f"{collection}: {', '.join(names)}")
    return 0


def reindex(args: argparse.Namespace) -> int:
    """Recompute the search helpers of every stored resource (after an upgrade that adds search parameters)."""
    from config import load_config

    with store_uri(load_config()) as uri, progress_bars("res") as progress_for:
        os.environ["CODOC_MONGO_URI"] = uri
        registry = offline_app().extensions["codoc.registry"]
        registry.ensure_indexes()
        changed = registry.reindex(progress_for)
    print(", ".join(f"{t}: {n} updated" for t, n in changed.items()))
    return 0


def load_terminology(args: argparse.Namespace) -> int:
    """Load ICD-10 (ATIH CIM-10) and ATC from the edsnlp resources as CodeSystems (idempotent; --force reloads)."""
    from pathlib import Path

    from config import load_config
    from terminology import loader
    from terminology.sources import TerminologyFileError

    try:
        with store_uri(load_config()) as uri, progress_bars("concept") as progress_for:
            os.environ["CODOC_MONGO_URI"] = uri
            registry = offline_app().extensions["codoc.registry"]
            loaded = loader.load(registry, args.only or None, Path(args.source) if args.source else None,
                                 args.force, progress_for)
    except TerminologyFileError as exc:
        log.error("load-terminology: %s (nothing of that vocabulary was written)", exc)
        return 2
    for result in loaded:
        state = "already loaded" if result.skipped else "loaded"
        print(f"{result.key}: {result.concepts} concepts {state} ({result.url}, version {result.version})")
        for entry in result.rejected:
            print(f"{result.key}: left out {entry}")
    return 0


def create_client(args: argparse.Namespace) -> int:
    """Register an API client of POST /auth/token; its secret is printed once and stored only as a hash."""
    from security import clients

    try:
        with opened_store() as store:
            client_id, secret = clients.create_client(store, args.scopes.replace(",", " ").split(), args.name,
                                                      args.client_id)
    except ValueError as exc:
        log.error("%s", exc)
        return 2
    print(f"client_id:     {client_id}")
    print(f"client_secret: {secret}")
    print("The secret is shown once and stored only as a hash: keep it now.")
    return 0


def change_client(args: argparse.Namespace) -> int:
    """Disable, enable or delete an API client: its tokens are refused within seconds, before their expiry."""
    from security import clients

    with opened_store() as store:
        if args.command == "delete-client":
            found = clients.delete_client(store, args.client_id)
        else:
            found = clients.set_active(store, args.client_id, args.command == "enable-client")
    if not found:
        log.error("no client %s", args.client_id)
        return 2
    print(f"{args.client_id}: {args.command.split('-')[0]}d")
    return 0


def import_files(args: argparse.Namespace) -> int:
    """Load NDJSON, Bundle and resource files (folders recursively) through the API's handlers; exit 1 when
    anything was rejected (see the rejects file)."""
    from datetime import datetime, timezone

    from config import load_config
    from handlers.bulk.imports import Importer, Rejects, default_rejects_path

    since = None
    if args.since:
        try:
            since = datetime.fromisoformat(args.since)
        except ValueError:
            log.error("--since must be an instant such as 2024-01-31T00:00:00Z, not %r", args.since)
            return 2
        since = since if since.tzinfo else since.replace(tzinfo=timezone.utc)
    with store_uri(load_config()) as uri, terminal_progress("res") as progress_for:
        os.environ["CODOC_MONGO_URI"] = uri
        app = offline_app(nlp=not args.no_nlp)
        registry = app.extensions["codoc.registry"]
        importer = Importer(registry, Rejects(args.rejects or default_rejects_path()), args.dry_run, args.type or (),
                            since, progress_for)
        unknown = sorted(set(args.type or ()) - set(importer.hosted))
        if unknown:
            log.error("--type %s: not hosted here (%s)", ", ".join(unknown), ", ".join(sorted(importer.hosted)))
            return 2
        if not args.dry_run:
            registry.ensure_indexes()
        try:
            summary = importer.run(args.paths)
        except FileNotFoundError as exc:
            log.error("no such file or folder: %s", exc)
            return 2
        if summary.by_type.get("DocumentReference") and app.config["CODOC_NLP"] == "on":
            _finish_enrichment(registry.enricher)
    for line in summary.lines(args.dry_run):
        print(line)
    return 1 if summary.rejected else 0


def demo_data(args: argparse.Namespace) -> int:
    """Write the demo hospital (NDJSON and Synthea-style Bundles, the same resources) and import its Bundles."""
    from pathlib import Path

    from config import load_config
    from handlers.bulk.demo import DemoHospital
    from handlers.resources.organization import level_system

    settings = load_config()
    out = Path(args.out)
    counts = DemoHospital(args.patients, args.seed, settings["CODOC_IPP_SYSTEM"], level_system(settings)).write(out)
    print(f"wrote {sum(counts.values())} resources ({', '.join(f'{n} {t}' for t, n in counts.items())}) to "
          f"{out / 'ndjson'} and {out / 'fhir'}")
    if args.no_load:
        return 0
    return main(["import", str(out / "fhir"), "--rejects", str(out / "rejects.ndjson"),
                 *(["--no-nlp"] if args.no_nlp else [])])


def _finish_enrichment(enricher) -> None:
    """CODOC_NLP=on: the Phenotypes of the imported documents before the command exits (the engine loads meanwhile)."""
    import nlp

    log.info("computing the Phenotypes of the imported DocumentReferences (--no-nlp skips them)")
    try:
        engine = nlp.get_engine(wait=None)
    except nlp.EngineError as exc:
        log.error("NLP engine unavailable (%s): the documents stay pending", exc)
        return
    while enricher.sweep(engine):
        pass


WORKER_CONFIG = {"CODOC_NLP": "async", "CODOC_CREATE_INDEXES": False, "CODOC_EXPORT_IN_PROCESS": False}


def worker(args: argparse.Namespace) -> int:
    """Run the background jobs (Ctrl-C stops): $export jobs, and the DocumentReferences queued in Redis by an API
    running with CODOC_NLP=async (in ``--processes`` processes: see :func:`nlp_processes`)."""
    import signal
    import threading

    from app import create_app

    nlp_jobs, processes = args.only in (None, "nlp"), max(1, args.processes)
    stop = threading.Event()
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, lambda *_: stop.set())
    children = nlp_processes(processes, WORKER_CONFIG) if nlp_jobs and processes > 1 else []
    app = create_app(WORKER_CONFIG)  # after the fork: no MongoDB client of this process is inherited
    registry = app.extensions["codoc.registry"]
    exports = None
    if args.only in (None, "export"):
        log.info("export worker: waiting for $export jobs")
        exports = threading.Thread(target=registry.exporter.work, args=(stop,), name="codoc-export")
        exports.start()
    if nlp_jobs and not children:
        log.info("NLP worker: loading the engine, then waiting for documents")
        done = registry.enricher.work(stop)
        log.info("NLP worker stopped after %d document(s)", done)
    while any(child.is_alive() for child in children):
        if stop.wait(0.5):  # a short wait: the signal handler runs between two
            for child in children:
                child.terminate()  # SIGTERM: each finishes what it took, then stops
            for child in children:
                child.join()
        elif any(child.exitcode not in (None, 0) for child in children):
            log.error("an NLP worker process died (exit code %s): stopping the others",
                      next(c.exitcode for c in children if c.exitcode not in (None, 0)))
            stop.set()
    if exports is not None:
        while exports.is_alive():
            exports.join(0.5)
    return 0 if all(child.exitcode == 0 for child in children) else 1


def nlp_processes(count: int, config: dict, options: dict | None = None) -> list:
    """Start ``count`` NLP worker processes, forked once the engine is loaded here: they share its memory (copy on
    write) instead of each loading its own, and each has its own interpreter, so that their engines and writers do
    not take turns under one GIL (two on two cores: 123-155 notes/s against 96-132 for one; bench/README.md). Their
    claims keep them off each other's jobs. SIGTERM (or SIGINT) stops one once it has stored what it took; ``options``
    go to ``Enricher.work``. Call it before this process opens a MongoDB client (a forked client is unsafe)."""
    import multiprocessing

    import nlp

    log.info("NLP workers: loading the engine, then forking %d processes", count)
    nlp.get_engine(wait=None)
    context = multiprocessing.get_context("fork")
    children = [context.Process(target=_nlp_process, args=(config, options or {}), name=f"codoc-nlp-{n}")
                for n in range(count)]
    for child in children:
        child.start()
    return children


def _nlp_process(config: dict, options: dict) -> None:
    """One forked NLP worker, until SIGINT or SIGTERM."""
    import signal
    import threading

    from app import create_app

    stop = threading.Event()
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, lambda *_: stop.set())
    done = create_app(config).extensions["codoc.registry"].enricher.work(stop, **options)
    log.info("NLP worker process %d stopped after %d document(s)", os.getpid(), done)


def export(args: argparse.Namespace) -> int:
    """Write one NDJSON file per type (``Patient.ndjson``…) of every live resource into DIR, as $export does."""
    from config import load_config
    from handlers.base import since_param
    from handlers.export import write_files
    from fhirstore.errors import InvalidError

    try:
        since = since_param([("_since", args.since)] if args.since else [])
    except InvalidError as exc:
        log.error("export: %s", exc.diagnostics)
        return 2
    with store_uri(load_config()) as uri:
        os.environ["CODOC_MONGO_URI"] = uri
        registry = offline_app().extensions["codoc.registry"]
        unknown = sorted(set(args.type or ()) - set(registry.stored_types))
        if unknown:
            log.error("export: unknown type %s; this server stores %s", ", ".join(unknown),
                      ", ".join(registry.stored_types))
            return 2
        types = [t for t in registry.stored_types if not args.type or t in args.type]
        with progress_bars("res") as progress_for:
            counts = write_files(registry.store, types, since, args.directory, progress_for)
    for resource_type, count in counts.items():
        print(f"{resource_type}: {count} resources → {os.path.join(args.directory, resource_type + '.ndjson')}")
    return 0


def main(argv: list[str] | None = None) -> int:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    parser = argparse.ArgumentParser(prog="codoc", description="Codoc FHIR API")
    commands = parser.add_subparsers(dest="command", required=True)
    serve = commands.add_parser("run", help="serve the API (embedded store unless CODOC_MONGO_URI is set)")
    serve.add_argument("--port", type=int, default=None)
    serve.add_argument("--workers", type=int, default=1)
    serve.add_argument("--threads", type=int, default=8)
    serve.set_defaults(func=run)
    commands.add_parser("init-db", help="create the MongoDB indexes").set_defaults(func=init_db)
    commands.add_parser("reindex", help="recompute search helpers of stored resources").set_defaults(func=reindex)
    terms = commands.add_parser("load-terminology", help="load ICD-10 and ATC as CodeSystems (idempotent)")
    terms.add_argument("--only", action="append", choices=["icd-10", "atc"], help="one vocabulary (repeatable)")
    terms.add_argument("--source", default=None, help="folder of cim10.csv.gz and drugs.json (default: edsnlp's)")
    terms.add_argument("--force", action="store_true", help="reload even when this version is loaded")
    terms.set_defaults(func=load_terminology)
    work = commands.add_parser("worker", help="run $export jobs and enrich queued DocumentReferences")
    work.add_argument("--only", choices=["export", "nlp"], default=None, help="run only these jobs")
    work.add_argument("--processes", type=int, default=1,
                      help="NLP worker processes, forked once the engine is loaded (2 on a 2-core machine)")
    work.set_defaults(func=worker)
    dump = commands.add_parser("export", help="write NDJSON files (one per type) of the stored resources")
    dump.add_argument("directory", help="where to write Patient.ndjson, Observation.ndjson, …")
    dump.add_argument("--type", action="append", help="only this type (repeatable)")
    dump.add_argument("--since", default=None, help="only resources updated at or after this instant")
    dump.set_defaults(func=export)
    client = commands.add_parser("create-client", help="create an API client of POST /auth/token")
    client.add_argument("--scopes", required=True, help='SMART scopes, e.g. "system/*.read codoc/admin"')
    client.add_argument("--name", default="", help="who the client is (shown in nothing but the database)")
    client.add_argument("--client-id", default=None, help="the client id (default: a random codoc-… id)")
    client.set_defaults(func=create_client)
    for name, purpose in (("disable-client", "refuse a client's tokens from now on"),
                          ("enable-client", "accept a disabled client's tokens again"),
                          ("delete-client", "delete a client: its tokens are refused")):
        change = commands.add_parser(name, help=purpose)
        change.add_argument("client_id")
        change.set_defaults(func=change_client)
    load = commands.add_parser("import", help="load NDJSON (.ndjson, .ndjson.gz), Bundle and resource JSON files")
    load.add_argument("paths", nargs="+", metavar="PATH", help="files or folders (read recursively)")
    load.add_argument("--rejects", default=None,
                      help="the rejects NDJSON file (default: ./codoc-import-rejects.ndjson)")
    load.add_argument("--dry-run", action="store_true", help="validate and report, write nothing")
    load.add_argument("--type", action="append", metavar="TYPE", help="import only this type (repeatable)")
    load.add_argument("--since", default=None, help="only resources whose meta.lastUpdated is at or after this")
    load.add_argument("--no-nlp", action="store_true",
                      help="skip the Phenotypes of DocumentReferences (compute them later with $enrich)")
    load.set_defaults(func=import_files)
    demo = commands.add_parser("demo-data", help="write a made-up French hospital's data and import it")
    demo.add_argument("--patients", type=int, default=50)
    demo.add_argument("--out", default="demo-data", help="the folder to write (default: ./demo-data)")
    demo.add_argument("--seed", type=int, default=13, help="the same seed writes the same files")
    demo.add_argument("--no-load", action="store_true", help="write the files only")
    demo.add_argument("--no-nlp", action="store_true", help="import without computing Phenotypes")
    demo.set_defaults(func=demo_data)
    args = parser.parse_args(argv)
    return args.func(args)


if __name__ == "__main__":
    sys.exit(main())
