"""Console entry point: ``destination-sense spec|check|discover|write`` (see ``destination_sense.cli``).

No command imports the Airbyte CDK.
"""
import sys


def run() -> None:
    from destination_sense.cli import main

    sys.exit(main(sys.argv[1:]))


if __name__ == "__main__":
    run()
