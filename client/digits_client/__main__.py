"""Run the client as ``python -m digits_client``."""

import sys

from digits_client.cli import main

sys.exit(main())
