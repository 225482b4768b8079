"""`python -m kkp.devserver` runs the supervisor; `--prepare`, its prepare step."""

import sys

from kkp.devserver.prepare import prepare
from kkp.devserver.supervisor import main

if __name__ == "__main__":
    if sys.argv[1:] == ["--prepare"]:
        sys.exit(prepare())
    sys.exit(main())
