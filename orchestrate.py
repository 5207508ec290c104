#!/usr/bin/env python3
"""Deploy the inventory and TODO reference stacks to AWS or to the local cloud.

Run ``python orchestrate.py --help``; the commands live in ``orchestrator/cli.py``.
"""

import sys

from orchestrator.cli import main

if __name__ == "__main__":
    sys.exit(main())
