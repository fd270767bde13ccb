"""`python -m ratecalc_api ...` (`python -m api` in a checkout): the `ratecalc` command, `serve` included."""

from .cli import main

if __name__ == "__main__":
    main()
