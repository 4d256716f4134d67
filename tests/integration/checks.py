"""What the integration tests' Python parts share: a failure that ends the test, with its reason
on standard output (the shell script around it shows it)."""
import sys


def fail(msg):
    print("FAIL:", msg)
    sys.stdout.flush()
    sys.exit(1)
