"""``python -m pyexpr``: the command line (see ``pyexpr.cli``)."""
from .cli import main

if __name__ == "__main__":
    raise SystemExit(main())
