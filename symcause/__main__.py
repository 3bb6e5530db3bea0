"""`python -m symcause` is the `symcause` command."""

import sys

from symcause.cli import main

sys.exit(main())
