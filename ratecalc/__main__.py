"""`python -m ratecalc ...`: the same command line as the `ratecalc` script."""

from .cli import main

if __name__ == "__main__":
    main()
