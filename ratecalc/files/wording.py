"""The reasons a line of a catalogue fails, marked for translation where their words are fixed.

Why a list here and not at each `errors.add`: the readers build their reasons in hot code and the files
keep the English sentence (a file's errors are data a script may match on). A surface that shows them to
a person (the page's upload) looks each one up in its language; a reason with values in it (a limit, a
rate) stays as the library wrote it.
"""

from __future__ import annotations

from ..i18n import N_

FIXED = (
    N_("must not be negative"),
    N_("missing"),
    N_("missing (or pass a default date)"),
    N_("not a number (digits with at most 9 decimals and 9 integer digits)"),
    N_("a plain number is expected here (the unit is in the column name)"),
    N_("not a yes/no value (true/false, 1/0, yes/no)"),
    N_("not a date of the calendar; write it as YYYY-MM-DD"),
    N_("unknown delivery type; use pickup_point or courier"),
    N_("declared_value needs a currency (a currency column or a suffix like 1500RUB)"),
    N_("cannot be negative"),
    N_("no_priced_service_in_rub"),
    N_("target_not_reached"),
)

__all__ = ["FIXED"]
