"""The api/ folder under the name an installed wheel gives it, for a source checkout. Not shipped.

The wheel installs api/ as the top-level package `ratecalc_api` (a package named `api` would collide with
others in a user's environment), and the `ratecalc` console script and uvicorn's app factory name it so.
This makes `ratecalc_api.<module>` load api/<module>.py in a checkout (or an editable install) too.
Tests and the code in api/ itself say `api` (its own imports are relative).
"""

from pathlib import Path

__path__ = [str(Path(__file__).resolve().parent.parent / "api")]
