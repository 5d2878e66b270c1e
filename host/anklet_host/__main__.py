"""`python -m anklet_host` is the `anklet` command."""

import sys

from anklet_host.cli import main

sys.exit(main())
