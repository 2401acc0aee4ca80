"""`python -m sat_env` runs the `sat` command line."""

import sys

from sat_env.cli import main

sys.exit(main())
