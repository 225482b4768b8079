"""`python -m service.devserver` runs the supervisor; `--prepare`, its prepare step."""

import sys

from service.devserver.prepare import prepare
from service.devserver.supervisor import main

if __name__ == "__main__":
    if sys.argv[1:] == ["--prepare"]:
        sys.exit(prepare())
    sys.exit(main())
