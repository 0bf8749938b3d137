"""The baseline of issue 10: a bare Flask + pymongo FHIR-ish app (no validation, no search keys, no audit, no
limiter), JSON in and out with orjson. One collection per type; ``subject.reference`` indexed for the search."""
from __future__ import annotations

import uuid

import orjson
from flask import Flask, Response, request
from pymongo import MongoClient

JSON = "application/fhir+json"


def create_bare_app(uri: str, db_name: str, types=("Patient",)) -> Flask:
    db = MongoClient(uri)[db_name]
    for name in types:
        db[name].create_index([("subject.reference", 1)])
        db[name].create_index([("identifier.value", 1)])
    app = Flask("bare")

    def answer(body, status=200):
        return Response(orjson.dumps(body), status=status, mimetype=JSON)

    @app.post("/<rtype>")
    def create(rtype):
        doc = orjson.loads(request.get_data())
        doc["id"] = str(uuid.uuid4())
        db[rtype].insert_one({"_id": doc["id"], **doc})
        return answer(doc, 201)

    @app.get("/<rtype>/<rid>")
    def read(rtype, rid):
        doc = db[rtype].find_one({"_id": rid}, {"_id": 0})
        return answer(doc) if doc else answer({"resourceType": "OperationOutcome"}, 404)

    @app.put("/<rtype>/<rid>")
    def update(rtype, rid):
        doc = orjson.loads(request.get_data())
        db[rtype].replace_one({"_id": rid}, {"_id": rid, **doc}, upsert=True)
        return answer(doc)

    @app.delete("/<rtype>/<rid>")
    def delete(rtype, rid):
        db[rtype].delete_one({"_id": rid})
        return Response(status=204)

    @app.get("/<rtype>")
    def search(rtype):
        query = {}
        if "subject" in request.args:
            query["subject.reference"] = request.args["subject"]
        if "identifier" in request.args:
            query["identifier.value"] = request.args["identifier"].rpartition("|")[2]
        found = list(db[rtype].find(query, {"_id": 0}).limit(20))
        return answer({"resourceType": "Bundle", "type": "searchset", "entry": [{"resource": r} for r in found]})

    return app
