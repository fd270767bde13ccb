"""Money: exchange rates (CBR and given rates), Ozon's fees, customs, commissions, rounding, the comparison of
services across currencies, and a seller's economics (what is left after Ozon's cut).

Imports tariff data and pricing; knows nothing of files, the command line or HTTP.
"""
