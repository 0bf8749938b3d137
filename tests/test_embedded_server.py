"""The embedded store's launcher: one SQLite commit per write command, with nx-27017's results unchanged."""
from __future__ import annotations

import os
import signal
import threading

import pytest
from pymongo import MongoClient, UpdateOne
from pymongo.errors import BulkWriteError

from fhirstore import embedded_server
from fhirstore.embedded import EmbeddedMongo


def _message(command: dict, documents: list[dict] | None = None) -> dict:
    sections = [("body", command)]
    if documents is not None:
        sections.append(("payload_docs", documents))
    return {"request_id": 1, "sections": sections}


@pytest.fixture
def handler(tmp_path):
    """An in-process, patched nx-27017 handler and the SQL statements its database runs."""
    from nx_27017.handler import NeoSQLiteHandler
    assert embedded_server.patch() and embedded_server.patch()  # idempotent
    nx = NeoSQLiteHandler(data_dir=str(tmp_path))
    statements: list[str] = []
    nx.get_database("db").db.set_trace_callback(statements.append)
    return nx, statements


def test_an_insert_command_is_one_transaction(handler):
    nx, statements = handler
    nx.handle_insert(_message({"insert": "c", "$db": "db"}, [{"_id": "seed"}]))
    statements.clear()
    _, reply = nx.handle_insert(_message({"insert": "c", "$db": "db", "ordered": False},
                                         [{"_id": f"d{n}", "n": n} for n in range(5)] + [{"_id": "seed"}]))
    assert reply["n"] == 5 and len(reply["writeErrors"]) == 1 and reply["writeErrors"][0]["index"] == 5
    inserts = [s for s in statements if s.startswith("INSERT")]
    assert len(inserts) == 6
    assert statements[0] == "BEGIN" and statements[-1] == "COMMIT"
    assert statements.count("BEGIN") == 1 and statements.count("COMMIT") == 1


def test_reads_and_client_transactions_are_left_alone(handler):
    nx, statements = handler
    nx.handle_insert(_message({"insert": "c", "$db": "db"}, [{"_id": "a"}]))
    statements.clear()
    nx.handle_command(_message({"find": "c", "filter": {}, "$db": "db"}))
    nx.handle_insert(_message({"insert": "c", "$db": "db", "txnNumber": 1, "lsid": {"id": "x"}}, [{"_id": "b"}]))
    assert "BEGIN" not in statements


@pytest.mark.wire
def test_write_results_are_those_of_mongodb(wire_server):
    """Duplicates refused one by one (ordered stops, unordered goes on); bulk updates and deletes counted."""
    collection = MongoClient(wire_server.uri)["launcher_results"]["c"]
    collection.insert_many([{"_id": n, "v": 0} for n in range(3)])
    with pytest.raises(BulkWriteError) as unordered:
        collection.insert_many([{"_id": n, "v": 1} for n in range(2, 6)], ordered=False)
    assert unordered.value.details["nInserted"] == 3
    with pytest.raises(BulkWriteError) as ordered:
        collection.insert_many([{"_id": 10}, {"_id": 0}, {"_id": 11}])
    assert ordered.value.details["nInserted"] == 1
    assert sorted(d["_id"] for d in collection.find()) == [0, 1, 2, 3, 4, 5, 10]
    assert collection.bulk_write([UpdateOne({"_id": n}, {"$set": {"v": 2}}) for n in range(6)]).modified_count == 6
    assert collection.count_documents({"v": 2}) == 6
    assert collection.delete_many({"_id": {"$in": [0, 1, 2]}}).deleted_count == 3
    assert sorted(d["_id"] for d in collection.find()) == [3, 4, 5, 10]


@pytest.mark.wire
def test_concurrent_batches_all_land(wire_server):
    collection = MongoClient(wire_server.uri)["launcher_concurrent"]["c"]

    def write(writer: int) -> None:
        for batch in range(10):
            collection.insert_many([{"_id": f"{writer}-{batch}-{n}"} for n in range(50)])

    threads = [threading.Thread(target=write, args=(w,)) for w in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert collection.count_documents({}) == 4 * 10 * 50


@pytest.mark.wire
def test_an_acknowledged_batch_survives_a_kill(tmp_path):
    """SIGKILL right after the reply: every document of the acknowledged command is there on restart."""
    server = EmbeddedMongo(tmp_path)
    server.start()
    try:
        assert "fhirstore.embedded_server" in " ".join(open(f"/proc/{server.process.pid}/cmdline").read().split("\0"))
        client = MongoClient(server.uri)
        client["db"]["c"].insert_many([{"_id": n, "text": "x" * 200} for n in range(400)])
        os.kill(server.process.pid, signal.SIGKILL)
        server.process.wait()
        client.close()
        server.start()
        assert MongoClient(server.uri)["db"]["c"].count_documents({}) == 400
    finally:
        server.stop()


def test_a_bulk_write_to_one_database_is_one_transaction(handler):
    nx, statements = handler
    nx.handle_insert(_message({"insert": "c", "$db": "db"}, [{"_id": "seed"}]))
    statements.clear()
    ops = [{"insert": 0, "document": {"_id": "k1"}}, {"insert": 1, "document": {"_id": "r1"}},
           {"update": 0, "filter": {"_id": "k1"}, "updateMods": {"$set": {"v": 1}}}]
    message = {"request_id": 1, "sections": [("body", {"bulkWrite": 1, "ordered": True, "$db": "admin"}),
                                             ("payload", {"ops": ops}),
                                             ("payload", {"nsInfo": [{"ns": "db.keys"}, {"ns": "db.c"}]})]}
    _, reply = nx.handle_command(message)
    assert reply["ok"] == 1 and reply["nInserted"] == 2 and reply["nModified"] == 1
    assert statements[0] == "BEGIN" and statements.count("BEGIN") == 1 and statements[-1] == "COMMIT"
    statements.clear()
    across = {"request_id": 1, "sections": [("body", {"bulkWrite": 1, "$db": "admin",
                                                      "ops": [{"insert": 0, "document": {"_id": "x"}}],
                                                      "nsInfo": [{"ns": "other.c"}, {"ns": "db.c"}]})]}
    nx.handle_command(across)
    assert "BEGIN" not in statements


def test_plain_documents_are_stored_as_nx_27017_stores_them(handler):
    """The fast path writes the very row nx-27017's own path writes; other documents still take that path."""
    from datetime import datetime, timezone

    from bson import ObjectId
    from nx_27017.handler import NeoSQLiteHandler

    nx, _ = handler
    unpatched = NeoSQLiteHandler.handle_insert.__wrapped__.__wrapped__
    plain = [{"_id": "p1", "resourceType": "Observation", "code": {"coding": [{"code": "J44.1", "display": "é"}]},
              "n": 3, "x": 1.5, "ok": True, "none": None, "list": [1, "a", {"b": []}]}]
    nx.handle_insert(_message({"insert": "fast", "$db": "db", "ordered": True}, plain))
    unpatched(nx, _message({"insert": "slow", "$db": "db", "ordered": True}, plain))
    sqlite = nx.get_database("db").db
    rows = {table: sqlite.execute(f"SELECT _id, data FROM {table}").fetchall() for table in ("fast", "slow")}
    assert rows["fast"] == rows["slow"] and rows["fast"][0][0] == "p1"
    when = datetime(2026, 1, 2, tzinfo=timezone.utc)
    others = [{"_id": 7, "v": 1}, {"_id": ObjectId(), "v": 2}, {"_id": "d", "at": when}, {"v": 4},
              {"_id": "nan", "x": float("nan")}]
    _, reply = nx.handle_insert(_message({"insert": "fast", "$db": "db", "ordered": False}, others))
    assert reply["n"] == 4 and [e["index"] for e in reply["writeErrors"]] == [4]  # NaN: not JSON, refused
    found = nx.get_database("db")["fast"]
    assert found.find_one({"_id": 7})["v"] == 1 and found.find_one({"v": 2}) is not None
    assert found.find_one({"_id": "d"})["at"].replace(tzinfo=timezone.utc) == when
    assert found.count_documents({}) == 5
    _, duplicate = nx.handle_insert(_message({"insert": "fast", "$db": "db"}, [{"_id": "n1"}, {"_id": "p1"},
                                                                                {"_id": "n2"}]))
    assert duplicate["n"] == 1 and duplicate["writeErrors"][0]["code"] == 11000 and found.count_documents({}) == 6
