"""Pricing: parcels and shipment groups, the vectorized engine, quote results (full and compact), the tariff
set that quotes, price-against-weight curves and the differences between two tariff dates.

Imports tariff data only; knows nothing of exchange rates, commissions or files.
"""
