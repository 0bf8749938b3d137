"""Handlers: the registry, the generic handler, per-resource rules, routes and the error mapping."""
