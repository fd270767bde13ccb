"""Tariff data: the YAML schema, loading and validation, the compiled form the engine reads, its cache, the
import of Ozon's rate sheet, coverage by date and the confidence of every number.

The bottom layer: it imports nothing of pricing, money or files.
"""
