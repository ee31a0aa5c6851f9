"""``python -m yamlflow``: the CLI of cli.py."""

import sys

from .cli import main

sys.exit(main())
