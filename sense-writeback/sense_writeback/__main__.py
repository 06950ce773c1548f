"""``python -m sense_writeback`` runs the console script."""
import sys

from sense_writeback.cli import main

sys.exit(main())
