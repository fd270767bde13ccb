"""`python -m ratecalc ...`: the library's commands (quote, sweep, chart, tariffs, economics, batch).

The `ratecalc` script adds `serve` from the API package (`python -m ratecalc_api`, or `python -m api` in
a checkout); the library itself never imports the API."""

from .cli import main

if __name__ == "__main__":
    main()
