"""`python -m copguard_lint` runs the same CLI as the `copguard` script."""

from .cli import main

if __name__ == "__main__":  # pragma: no cover
    main()
