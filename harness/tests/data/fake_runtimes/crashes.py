"""A runtime that crashes: it aborts (SIGABRT) after a word on standard error."""

import os
import sys

sys.stderr.write("fake runtime: about to crash\n")
sys.stderr.flush()
os.abort()
