"""`python -m copguard_lint` runs the same CLI as the `copguard` script.

`python -m` puts the working directory first on `sys.path`, so a scanned tree
with a `click.py` or `libcst.py` at its root would be imported (run) by the
imports below. The scanned code must never run: the entry is dropped before
anything else is imported, unless this package itself was found there (a
source checkout run without installing). Modules Python imported before this
file ran cannot be protected; `python -P -m copguard_lint` (3.11+) or the
`copguard` script avoid the entry altogether.
"""

import os
import sys


def _drop_working_directory() -> None:
    if not sys.path:
        return
    first = os.path.realpath(sys.path[0] or os.curdir)
    package_parent = os.path.dirname(os.path.dirname(os.path.realpath(__file__)))
    if first == os.path.realpath(os.getcwd()) and first != package_parent:
        del sys.path[0]


_drop_working_directory()

from .entry import main  # noqa: E402 - only once the working directory is off sys.path

if __name__ == "__main__":  # pragma: no cover
    main()
