"""The bundle's entry point: the same ``main()`` as the ``cqrs-desktop`` command."""

import multiprocessing
import sys

from app.main import main

if __name__ == "__main__":
    multiprocessing.freeze_support()  # a frozen Windows build re-enters here in any child process
    sys.exit(main())
