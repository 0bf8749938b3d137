"""Persistence only (no Flask, no FHIR rules): ``base.py`` the interface, ``mongo.py`` pymongo (MongoDB, nx-27017,
mongomock), ``fields.py`` the internal helper schema, ``errors.py`` the one exception family, ``embedded.py`` the
embedded store launcher."""
from fhirstore.base import Current, FHIRStore, IndexSpec, KeyMatch, KeyTerm, Page, Records, now_instant


def open_store(uri: str, database: str, write_concern: str = "", transaction_lease: float = 30.0) -> FHIRStore:
    """The store behind ``uri`` (``mongodb://…``, or ``mongomock://`` for a throwaway in-process one)."""
    from fhirstore.mongo import MongoFHIRStore, connect

    return MongoFHIRStore(connect(uri, database, write_concern), transaction_lease=transaction_lease)


def answers(uri: str, database: str) -> bool:
    """Whether the database behind ``uri`` answers a ping (within the connection timeouts)."""
    from pymongo.errors import PyMongoError

    from fhirstore.mongo import connect

    try:
        connect(uri, database).command("ping")
    except PyMongoError:
        return False
    return True


__all__ = ["Current", "FHIRStore", "IndexSpec", "KeyMatch", "KeyTerm", "Page", "Records", "now_instant", "open_store",
           "answers"]
