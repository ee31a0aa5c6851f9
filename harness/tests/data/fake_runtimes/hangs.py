"""A runtime that hangs, with a child that hangs too: only killing the process group ends both."""

import subprocess
import sys
import time

subprocess.Popen([sys.executable, "-c", "import time; time.sleep(600)"])
sys.stderr.write("fake runtime: hanging\n")
sys.stderr.flush()
time.sleep(600)
