"""FHIR search: ``table`` (the parameters of every type, as data), ``params`` (a parameter and the fields that
serve it), ``index`` (the helper values computed at write time), ``clauses`` (one query builder per parameter type),
``plan`` (query string → plan), ``run`` (plan → store → searchset Bundle).

Every parameter is served from a helper value kept under ``_codoc.sp.<name>`` (stripped on output), so each is one
equality or range on one indexed field, on MongoDB, nx-27017 and mongomock alike.
"""
from handlers.search.params import COMMON_PARAMS, SearchParam

__all__ = ["COMMON_PARAMS", "SearchParam"]
