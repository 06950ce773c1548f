"""Console entry point: ``destination-sense spec|check|write``."""
import sys

from destination_sense.destination import DestinationSense


def run() -> None:
    DestinationSense().run(sys.argv[1:])


if __name__ == "__main__":
    run()
