"""``python -m oidc_emulator``: the same as the ``oidc-emulator`` console script."""
import sys

from oidc_emulator.cli import main

sys.exit(main())
