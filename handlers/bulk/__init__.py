"""Bulk data: the importer of files of resources (``codoc import``) and the demo data generator."""
