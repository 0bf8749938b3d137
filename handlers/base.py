"""The generic handler: validate → hospital rules → store, for every interaction of one resource type."""
from __future__ import annotations

import time
from dataclasses import replace
from urllib.parse import parse_qsl, urlencode
from typing import TYPE_CHECKING, Any, ClassVar

from fhirstore import Current, FHIRStore, IndexSpec
from fhirstore.errors import (BusinessRuleError, ConflictError, FHIRError, GoneError, InvalidError, Issue,
                              NotFoundError, VersionConflictError)
from fhirstore.fields import CHECKS, INTERNAL, KEYS, REFS, path
from handlers import bundles, patching
from handlers.context import RequestContext, internal, internal_of
from handlers.ids import random_uuid
from handlers.references import LOCAL_REFERENCE, dangling_candidates, local_references
from handlers.search import index, run, table
from handlers.search.params import COMMON_PARAMS, SearchParam
from handlers.search.plan import int_param
from schemas import check_id, check_search_keys, validate_resource
from terminology.check import unknown_codes, unknown_codes_many

if TYPE_CHECKING:
    from handlers.registry import Registry

#: Seconds a conditional create waits for another one of the same criteria.
CONDITIONAL_WAIT_SECONDS = 2.0
#: Compound on purpose: through a single-key index on an array field nx-27017 misses the array's elements.
REFERENCE_INDEX = IndexSpec(((path(REFS), 1), ("id", 1)))


def since_param(params: list[tuple[str, str]]) -> str | None:
    """``_since`` as a UTC instant (the start of what it names), or None. :raises InvalidError:"""
    since = next((v for k, v in params if k == "_since"), None)
    return _instant_param("_since", since)[0] if since is not None else None


def changes_window(params: list[tuple[str, str]], config: dict) -> tuple[str | None, int, str | None]:
    """``(_since as an instant, _count, end of _at)`` of a type or server history request. :raises InvalidError:"""
    at = next((v for k, v in params if k == "_at"), None)
    until = _instant_param("_at", at)[1] if at is not None else None
    return since_param(params), int_param(params, "_count", config["CODOC_PAGE_SIZE"], config["CODOC_PAGE_MAX"]), \
        until


def changes(store: FHIRStore, resource_types, params: list[tuple[str, str]], config: dict) -> list[dict]:
    """The versions a type or server history answers, newest first: since ``_since``; with ``_at``, those current at
    some moment of its range (each resource's versions within it and the one before it)."""
    at = next((v for k, v in params if k == "_at"), None)
    versions = store.changes(resource_types, *changes_window(params, config))
    if at is None:
        return versions
    (start, end), kept, covered = _instant_param("_at", at), [], set()  # covered: one current at ``start`` kept
    for version in versions:
        if version["meta"]["lastUpdated"] > end:  # nx-27017 may answer a document by its former lastUpdated
            continue
        key = (version.get("resourceType"), version["id"])
        if version["meta"]["lastUpdated"] >= start or key not in covered:
            kept.append(version)
        if version["meta"]["lastUpdated"] <= start:
            covered.add(key)
    return kept


def _instant_param(name: str, value: str) -> tuple[str, str]:
    try:
        return index.date_range(value)
    except (ValueError, OverflowError):
        raise InvalidError(f"{name} must be a FHIR instant, not {value!r}", expression=name) from None


class ResourceHandler:
    """Create/read/vread/update/delete/history/search/$validate of one type; subclasses add rules via hooks.

    ``name`` is what routes and the registry call it (``Phenotype``); ``resource_type`` what is validated and
    stored (``Observation``).
    """

    resource_type: ClassVar[str] = ""
    name: ClassVar[str] = ""
    profile: ClassVar[str | None] = None
    interactions: ClassVar[tuple[str, ...]] = ("read", "vread", "update", "patch", "delete", "history-instance",
                                               "create", "search-type")
    search_params: ClassVar[tuple[SearchParam, ...]] = ()
    index_specs: ClassVar[tuple[IndexSpec, ...]] = ()
    #: Keyed parameters (their keys) most resources of the type hold one value of: kept in the document itself.
    inline_keys: ClassVar[tuple[str, ...]] = ()

    def __init_subclass__(cls, **kwargs):
        """Every handler of a type serves the type's search parameters (``handlers.search.table``) and declares
        the indexes behind them, besides its own ``search_params`` and ``index_specs``."""
        super().__init_subclass__(**kwargs)
        if cls.resource_type:
            params = {p.name: p for p in (*table.params_of(cls.resource_type), *cls.search_params)}
            cls.search_params = tuple(params.values())
            cls.index_specs = tuple(dict.fromkeys(
                (*cls.index_specs, *(s for p in (*COMMON_PARAMS, *cls.search_params) for s in p.index_specs))))

    def __init__(self, store: FHIRStore, config: dict[str, Any], registry: "Registry"):
        self.store = store
        self.config = config
        self.registry = registry

    # -- hooks for per-resource rules ------------------------------------------------------------------------
    def check(self, resource: dict, previous: dict | None, ctx: RequestContext) -> None:
        """Business rules on a resource about to be written; :raises BusinessRuleError:."""

    def index_fields(self, resource: dict) -> dict:
        """Helper values kept under ``_codoc`` for indexing (``refs``; ``sp``: scalar search helpers; ``keys``: search
        keys); ``unique`` keys are claimed by the store."""
        fields = {REFS: local_references(resource), **index.index_values(self.search_params, resource)}
        check_search_keys([*fields.get(KEYS, ()), *fields.get(CHECKS, ())], self.config.get("CODOC_MAX_SEARCH_KEYS"),
                          self.resource_type, self.config.get("CODOC_MAX_SEARCH_KEY_CHARS"))
        return fields

    def check_unique(self, resource: dict) -> None:
        """What the store's claims would refuse, looked up without claiming (``$validate``);
        :raises ConflictError:."""

    def after_write(self, stored: dict, ctx: RequestContext) -> dict:
        """Side effects of a successful create/update (e.g. NLP enrichment); returns the resource to serve."""
        return stored

    def before_delete(self, current: dict, ctx: RequestContext) -> None:
        """Rules on a live resource about to be deleted; :raises ConflictError:."""

    def after_delete(self, resource_id: str, ctx: RequestContext) -> None:
        """Side effects of a successful delete."""

    def after_erase(self, resource_id: str, ctx: RequestContext) -> None:
        """Side effects of erasing a resource and its history (rollback of its creation, expunge)."""
        self.after_delete(resource_id, ctx)

    # -- interactions ------------------------------------------------------------------------------------------
    def create(self, body: Any, ctx: RequestContext) -> dict:
        resource = self._prepare(body)
        resource["id"] = random_uuid()
        self._check_codes(resource, ctx)
        self.check(resource, None, ctx)
        try:
            stored = self.store.create(self.resource_type, resource, self.index_fields(resource),
                                       self._reference_guard(resource))
        except ConflictError as error:
            raise self.conflict_error(error, body) from None
        ctx.touch_resources([stored])
        return self.after_write(stored, ctx)

    def conditional_create(self, body: Any, criteria: str, ctx: RequestContext) -> tuple[dict, bool]:
        """``If-None-Exist``: (the one match, False), or (created, True) when none; atomic with respect to other
        conditional creates of the same criteria (they wait for one another's lock, then find the match).

        :raises VersionConflictError: several match (412). :raises InvalidError: criteria not searchable here.
        """
        params = sorted(parse_qsl(criteria.lstrip("?"), keep_blank_values=True))
        if not params:
            raise InvalidError("If-None-Exist needs search criteria, e.g. identifier=system|value",
                               expression="If-None-Exist")
        lock = f"{self.resource_type}?{urlencode(params)}"
        deadline = time.monotonic() + CONDITIONAL_WAIT_SECONDS
        while True:
            found = self._matches(params, ctx)
            if found is not None:
                return found, False
            if self.store.acquire(lock, CONDITIONAL_WAIT_SECONDS * 3):
                try:
                    found = self._matches(params, ctx)
                    return (found, False) if found is not None else (self.create(body, ctx), True)
                finally:
                    self.store.release(lock)
            if time.monotonic() > deadline:
                raise ConflictError("another conditional create of the same criteria is still running; retry")
            time.sleep(0.02)

    def conditional_update(self, params: list[tuple[str, str]], body: Any, ctx: RequestContext) -> tuple[dict, bool]:
        """``PUT /{type}?<search>``: update the one match, create when none (the body's id if it has one).

        :raises VersionConflictError: several match (412). :raises InvalidError: the body's id is another's.
        """
        found = self._matches(self._criteria(params), ctx)
        if found is None:
            if isinstance(body, dict) and body.get("id"):
                return self.update(body["id"], body, ctx)
            return self.create(body, ctx), True
        if isinstance(body, dict) and body.get("id") not in (None, found["id"]):
            raise InvalidError(f"the body's id {body.get('id')!r} is not the matching {self.name}/{found['id']}",
                               expression=f"{self.resource_type}.id")
        return self.update(found["id"], {**body, "id": found["id"]} if isinstance(body, dict) else body, ctx)

    def conditional_delete(self, params: list[tuple[str, str]], ctx: RequestContext) -> str | None:
        """``DELETE /{type}?<search>``: delete the one match; nothing when none. :raises VersionConflictError:"""
        found = self._matches(self._criteria(params), ctx)
        return self.delete(found["id"], ctx) if found is not None else None

    @staticmethod
    def _criteria(params: list[tuple[str, str]]) -> list[tuple[str, str]]:
        criteria = [(k, v) for k, v in params if k not in ("_format", "_pretty")]
        if not criteria:
            raise InvalidError("a conditional update, patch or delete needs search criteria, "
                               "e.g. ?identifier=system|value")
        return sorted(criteria)

    def _matches(self, params: list[tuple[str, str]], ctx: RequestContext) -> dict | None:
        """The one live resource matching ``params``, None when none. :raises VersionConflictError: several."""
        bundle = self.search([*params, ("_count", "2")], internal_of(ctx))
        matches = [e["resource"] for e in bundle.get("entry", []) if e.get("search", {}).get("mode") == "match"]
        if len(matches) > 1:
            raise VersionConflictError(f"several {self.name} match the conditional criteria; make them selective")
        if matches:
            ctx.touch_resources(matches)
            return matches[0]
        return None

    def create_many(self, bodies: list[Any], ctx: RequestContext, prepared: bool = False,
                    resolving: set[str] = frozenset()) -> list[dict | FHIRError]:
        """Create many in bulk, each checked like a create: returns, in order, the stored resource or its error.

        ``prepared``: the bodies are validated resources with their ids (a transaction assigned them);
        ``resolving``: references (``Type/id``) to count as live (written in the same request).
        """
        results: list[Any] = [None] * len(bodies)
        resources: dict[int, dict] = {}
        for n, body in enumerate(bodies):
            try:
                resources[n] = dict(body) if prepared else {**self._prepare(body), "id": random_uuid()}
            except FHIRError as error:
                results[n] = error
        fields = {}
        coded = dict(zip(resources, unknown_codes_many(self.store, list(resources.values())))) \
            if self.config.get("CODOC_TERMINOLOGY_CHECK", "off") in ("strict", "warn") else {}
        for n, resource in resources.items():
            try:
                self._check_codes(resource, ctx, coded.get(n, []))
                self.check(resource, None, ctx)
                fields[n] = self.index_fields(resource)
            except FHIRError as error:
                results[n] = error
        ready = [n for n in resources if results[n] is None]

        def references_resolve(indexes: list[int]) -> dict[int, Exception]:
            """After the keys are written (see ``_reference_guard``): one lookup per referenced type for all."""
            batch = [resources[ready[i]] for i in indexes]
            live = set(resolving) | self._live_references(ref for r in batch for ref, _ in self._candidates(r))
            refused = {}
            for i, resource in zip(indexes, batch):
                try:
                    self._check_references_resolve(resource, live)
                except FHIRError as error:
                    refused[i] = error
            return refused

        guard = references_resolve if self.config.get("CODOC_ENFORCE_REFERENCES_ON_WRITE", True) else None
        for n, stored in zip(ready, self.store.create_each(self.resource_type, [resources[n] for n in ready],
                                                           [fields[n] for n in ready], guard)):
            if isinstance(stored, ConflictError):
                results[n] = self.conflict_error(stored, bodies[n])
            elif isinstance(stored, FHIRError):
                results[n] = stored
            else:
                ctx.touch_resources([stored])
                results[n] = self.after_write(stored, ctx)
        return results

    def conflict_error(self, error: ConflictError, body: Any) -> ConflictError:
        """The store's refusal as the client should read it (Patient names the identifier and its holder)."""
        return error

    def read(self, resource_id: str, ctx: RequestContext) -> dict:
        resource = self._owned(self.store.read(self.resource_type, check_id(resource_id)), resource_id)
        ctx.touch_resources([resource])
        return resource

    def vread(self, resource_id: str, version_id: str, ctx: RequestContext) -> dict:
        check_id(version_id, "meta.versionId")
        return self._owned(self.store.vread(self.resource_type, check_id(resource_id), version_id), resource_id)

    def update(self, resource_id: str, body: Any, ctx: RequestContext) -> tuple[dict, bool]:
        """Returns (stored, created); creates with the client's id when unknown (update-as-create)."""
        check_id(resource_id)
        resource = self._prepare(body)
        if resource.get("id") != resource_id:
            raise InvalidError(f"the body's id {resource.get('id')!r} must equal the URL id {resource_id!r}",
                               expression=f"{self.resource_type}.id")
        return self._write(resource, self.store.current(self.resource_type, resource_id), body, ctx)

    def _write(self, resource: dict, current, body: Any, ctx: RequestContext) -> tuple[dict, bool]:
        """The rules and the store's write of an update of ``resource`` (prepared) over ``current``."""
        self._check_codes(resource, ctx)
        self.check(resource, self._live(current), ctx)
        try:
            stored, created = self.store.update(self.resource_type, resource, ctx.if_match,
                                                self.index_fields(resource), current,
                                                self._reference_guard(resource, current))
        except ConflictError as error:
            raise self.conflict_error(error, body) from None
        ctx.touch_resources([stored])
        return self.after_write(stored, ctx), created

    def patch(self, resource_id: str, document: Any, media_type: str, ctx: RequestContext) -> dict:
        """``PATCH /{type}/{id}``: ``document`` (JSON Patch or FHIRPath Patch, by ``media_type``) applied to the
        current version, read once, then validated and ruled like an update (``ctx.if_match`` included).

        :raises NotFoundError, GoneError: nothing live to patch. :raises VersionConflictError: If-Match (412).
        :raises InvalidError: not a patch document, or it touches id, resourceType or meta.versionId (400).
        :raises PatchFailedError: the patch cannot be applied (422). :raises UnsupportedMediaTypeError:
        """
        current = self.store.current(self.resource_type, check_id(resource_id))
        live = self._live(current)
        if live is None:
            if current is not None and current.resource is None:
                raise GoneError(f"{self.name}/{resource_id} was deleted")
            raise NotFoundError(f"{self.name}/{resource_id} is not known")
        if ctx.if_match is not None and ctx.if_match != current.version:
            raise VersionConflictError(f"{self.name}/{resource_id} is at version {current.version}, "
                                       f"not {ctx.if_match}")
        patched = patching.apply(live, document, media_type)
        if not isinstance(patched, dict):
            raise InvalidError("the patch must leave a resource (a JSON object)")
        for name, before, after in (("resourceType", live["resourceType"], patched.get("resourceType")),
                                    ("id", live["id"], patched.get("id")),
                                    ("meta.versionId", current.version, (patched.get("meta") or {}).get("versionId"))):
            if before != after:
                raise InvalidError(f"a patch may not change {name}; the server owns it",
                                   expression=f"{self.resource_type}.{name}")
        return self._write(self._prepare(patched), current, patched, ctx)[0]

    def conditional_patch(self, params: list[tuple[str, str]], document: Any, media_type: str,
                          ctx: RequestContext) -> dict:
        """``PATCH /{type}?<search>``: patch the one match. :raises NotFoundError: none.
        :raises VersionConflictError: several (412)."""
        found = self._matches(self._criteria(params), ctx)
        if found is None:
            raise NotFoundError(f"no {self.name} matches the conditional patch's criteria")
        return self.patch(found["id"], document, media_type, ctx)

    def delete(self, resource_id: str, ctx: RequestContext) -> str | None:
        check_id(resource_id)
        current = self.store.current(self.resource_type, resource_id)
        live = self._live(current)
        if live is None:
            return None
        self.before_delete(live, ctx)
        guard = (lambda: self._refuse_if_referenced(resource_id)) \
            if self.config.get("CODOC_ENFORCE_REFERENCES_ON_DELETE", True) else None
        version = self.store.delete(self.resource_type, resource_id, ctx.if_match, current, guard)
        ctx.touch(f"{self.resource_type}/{resource_id}")
        self.after_delete(resource_id, ctx)
        return version

    def history(self, resource_id: str, params: list[tuple[str, str]], ctx: RequestContext) -> dict:
        """Every version, newest first (``_count`` keeps the newest n)."""
        count = int_param(params, "_count", 0, 1_000_000) or None
        versions = self.store.history(self.resource_type, check_id(resource_id), count)
        live = [v for v in versions if not v.get("deleted")]
        if live and not self._matches_profile(live[0]):
            raise NotFoundError(f"{self.name}/{resource_id} is not known")
        return bundles.history_bundle(ctx.base_url, self.resource_type, versions)

    def type_history(self, params: list[tuple[str, str]], ctx: RequestContext) -> dict:
        """``GET /{type}/_history``: the latest versions of this type (``_since``, ``_at``, ``_count``), newest
        first."""
        versions = [v for v in changes(self.store, [self.resource_type], params, self.config)
                    if v.get("deleted") and not self.profile or not v.get("deleted") and self._matches_profile(v)]
        ctx.touch_resources([v for v in versions if not v.get("deleted")])
        return bundles.history_bundle(ctx.base_url, self.resource_type, versions)

    def search(self, params: list[tuple[str, str]], ctx: RequestContext) -> dict:
        return run.run(self, params, ctx)

    def erase(self, resource_id: str, ctx: RequestContext) -> int:
        """Remove a resource and all its versions, with the side effects of a delete (rollback, expunge)."""
        removed = self.store.expunge(self.resource_type, resource_id)
        self.after_erase(resource_id, ctx)
        return removed

    def restore(self, previous: dict, ctx: RequestContext) -> dict:
        """Make ``previous`` current again as a new version, with the side effects of a write (rollback)."""
        stored, _ = self.store.update(self.resource_type, previous, None, self.index_fields(previous))
        return self.after_write(stored, ctx)

    def validate(self, body: Any, ctx: RequestContext) -> dict:
        """``$validate``: the whole check of a create, nothing stored; 200 OperationOutcome listing the issues."""
        if isinstance(body, dict) and body.get("resourceType") == "Parameters":
            params = body.get("parameter") if isinstance(body.get("parameter"), list) else []
            body = next((p.get("resource") for p in params if isinstance(p, dict) and p.get("name") == "resource"),
                        None)
        try:
            resource = self._prepare(body)
            resource.setdefault("id", "validate")
            self._check_rules(resource, None, ctx)
            self.check_unique(resource)
        except (InvalidError, BusinessRuleError, ConflictError) as error:
            return bundles.operation_outcome([issue.as_fhir() for issue in error.issues])
        if ctx.warnings:
            return bundles.operation_outcome([issue.as_fhir() for issue in ctx.warnings])
        return bundles.information(f"{self.name} is valid")

    # -- shared steps ------------------------------------------------------------------------------------------
    def _prepare(self, body: Any) -> dict:
        """Validate the body and apply the server's own settings (profile)."""
        resource = dict(validate_resource(body, self.resource_type))
        if self.profile:
            meta = dict(resource.get("meta") or {})
            profiles = list(meta.get("profile") or [])
            if self.profile not in profiles:
                meta["profile"] = profiles + [self.profile]
            resource["meta"] = meta
        return resource

    def _reference_guard(self, resource: dict, current: Current | None = None):
        """The check that local references resolve, run by the store once this write's reference keys are visible
        (a deletion racing it either sees them or is seen): no dangling reference under concurrency. None when
        there is nothing to check: no local reference, or (an update) only references the current version already
        holds — their targets cannot have been deleted since, its reference keys refuse it."""
        if not self.config.get("CODOC_ENFORCE_REFERENCES_ON_WRITE", True):
            return None
        candidates = {ref for ref, _ in self._candidates(resource)}
        if current is not None and current.resource is not None and not current.marked:
            candidates -= set((current.document.get(INTERNAL) or {}).get(REFS) or ())
        if not candidates:
            return None
        return lambda: self._check_references_resolve(resource)

    def _check_rules(self, resource: dict, previous: dict | None, ctx: RequestContext) -> None:
        if self.config.get("CODOC_ENFORCE_REFERENCES_ON_WRITE", True):
            self._check_references_resolve(resource)
        self._check_codes(resource, ctx)
        self.check(resource, previous, ctx)

    def _check_codes(self, resource: dict, ctx: RequestContext, issues: list[Issue] | None = None) -> None:
        """Codings of systems held here (``CODOC_TERMINOLOGY_CHECK``): ``strict`` raises, ``warn`` tells ``ctx``
        (``issues``: already looked up, for a batch).

        :raises BusinessRuleError:
        """
        mode = self.config.get("CODOC_TERMINOLOGY_CHECK", "off")
        if issues is None:
            issues = unknown_codes(self.store, resource) if mode in ("strict", "warn") else []
        if issues and mode == "strict":
            raise BusinessRuleError(issues[0].diagnostics, issues=issues)
        ctx.warnings.extend(replace(issue, severity="warning") for issue in issues)

    def _candidates(self, resource: dict) -> list[tuple[str, str]]:
        itself = f"{self.resource_type}/{resource['id']}"
        return [(ref, path) for ref, path in dangling_candidates(resource, self.registry.stored_types)
                if ref != itself]

    def _live_references(self, references) -> set[str]:
        """Those of ``references`` (``Type/id``) that are live here: one query per type."""
        by_type: dict[str, set[str]] = {}
        for reference in references:
            match = LOCAL_REFERENCE.match(reference)
            if match:
                by_type.setdefault(match.group(1), set()).add(match.group(2))
        return {f"{t}/{i}" for t, ids in by_type.items() for i in self.store.existing_ids(t, ids)}

    def _check_references_resolve(self, resource: dict, live: set[str] | None = None) -> None:
        """Local references to hosted types must name live resources (``live``: already looked up).

        :raises BusinessRuleError:
        """
        candidates = self._candidates(resource)
        if live is None:
            live = self._live_references(ref for ref, _ in candidates)
        dangling = [(ref, path) for ref, path in candidates if ref not in live]
        if dangling:
            issues = [Issue("business-rule", f"{self.resource_type}.{path}: {ref} is not a live resource here",
                            expression=f"{self.resource_type}.{path}") for ref, path in dangling]
            raise BusinessRuleError(f"reference(s) to unknown resource(s): "
                                    f"{', '.join(dict.fromkeys(ref for ref, _ in dangling))}", issues=issues)

    def parent_via_part_of(self, resource: dict, parent_ref: str, max_depth: int = 32) -> dict:
        """The live resource ``parent_ref`` (``Type/id`` of this type) that ``resource`` is ``partOf``, after checking
        that walking up ``partOf`` from it never comes back to ``resource``.

        :raises BusinessRuleError: the parent is not live, ``partOf`` makes a cycle, or the chain is too deep.
        """
        expression = f"{self.resource_type}.partOf"
        seen, current_id, parent = {resource["id"]}, parent_ref.split("/", 1)[1], None
        for _ in range(max_depth):
            if current_id in seen:
                raise BusinessRuleError(f"partOf {parent_ref} would make a cycle: {self.resource_type}/"
                                        f"{resource['id']} would be its own ancestor", expression=expression)
            seen.add(current_id)
            try:
                node = self.store.read(self.resource_type, current_id)
            except (NotFoundError, GoneError):
                if parent is None:
                    raise BusinessRuleError(f"the parent {parent_ref} is not a live {self.resource_type}",
                                            expression=expression) from None
                return parent
            parent = parent or node
            above = (node.get("partOf") or {}).get("reference") or ""
            if not above.startswith(f"{self.resource_type}/"):
                return parent
            current_id = above.split("/", 1)[1]
        raise BusinessRuleError(f"the chain of partOf above {parent_ref} is deeper than {max_depth}",
                                expression=expression)

    def referrers(self, resource_id: str, limit: int = 20) -> list[str]:
        """``Type/id`` of live resources that reference this one (one indexed lookup of its reference keys)."""
        itself = f"{self.resource_type}/{resource_id}"
        return [r for r in self.store.referrers([itself], limit + 1) if r != itself][:limit]

    def _refuse_if_referenced(self, resource_id: str) -> None:
        referrers = self.referrers(resource_id)
        if referrers:
            raise ConflictError(f"{self.resource_type}/{resource_id} is referenced by {', '.join(referrers)}; "
                                f"delete or update them first")

    def _live(self, current) -> dict | None:
        """The live resource of a ``store.current`` answer, if it is this handler's (profile)."""
        if current is None or current.resource is None or not self._matches_profile(current.resource):
            return None
        return current.resource

    def _current_or_none(self, resource_id: str) -> dict | None:
        try:
            return self.read(resource_id, internal())
        except (NotFoundError, GoneError):  # a deleted resource may be recreated by update
            return None

    def _matches_profile(self, resource: dict) -> bool:
        return not self.profile or self.profile in (resource.get("meta") or {}).get("profile", [])

    def _owned(self, resource: dict, resource_id: str) -> dict:
        """Hide resources of the shared collection that lack this handler's profile (Phenotype)."""
        if not self._matches_profile(resource):
            raise NotFoundError(f"{self.name}/{resource_id} is not known")
        return resource
