"""`python -m hybridbudget`: the same command as the `hybridbudget` script."""

import sys

from .cli import main

sys.exit(main())
