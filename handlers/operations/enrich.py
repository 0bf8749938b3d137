"""``DocumentReference/{id}/$enrich``: re-run the NLP enrichment of a document now; it writes Phenotypes."""
from __future__ import annotations

from fhirstore.errors import InvalidError
from handlers.context import RequestContext
from handlers.operations import Operation
from handlers.resources.documentreference import DocumentReferenceHandler


def enrich(handler: DocumentReferenceHandler, ctx: RequestContext, payload, resource_id: str):
    """Re-run the NLP enrichment of a document now; answers its status as Parameters."""
    document = handler.read(resource_id, ctx)
    enricher = handler.enricher
    if enricher.mode == "off":
        raise InvalidError("enrichment is off on this server (CODOC_NLP=off)")
    status = enricher.submit(document) if enricher.mode == "async" else enricher.enrich(resource_id)
    return parameters(resource_id, status)


def parameters(resource_id: str, status: dict) -> dict:
    """A document's enrichment status as Parameters."""
    items = [{"name": "document", "valueReference": {"reference": f"DocumentReference/{resource_id}"}},
             {"name": "status", "valueCode": status["status"]}]
    if status.get("reason"):
        items.append({"name": "reason", "valueString": status["reason"]})
    if "count" in status:
        items.append({"name": "phenotypes", "valueInteger": status["count"]})
    return {"resourceType": "Parameters", "parameter": items}


OPERATION = Operation("enrich", "DocumentReference", "instance", "POST", enrich, letters="rcu", types=("Observation",))
