"""Catalogue files: whole catalogues as columns (CSV, Parquet, XLSX), batch quoting and catalogue economics,
and the Dask integration for catalogues bigger than memory.

Imports every layer below it; the command line and the HTTP API import it.
"""
