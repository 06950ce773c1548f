"""Console entry point: ``destination-sense spec|check|discover|write``.

``write`` is dispatched without importing the Airbyte CDK (see ``destination_sense.sync``).
"""
import sys


def run() -> None:
    args = sys.argv[1:]
    if args and args[0] == "write":
        from destination_sense.sync import main

        sys.exit(main(args[1:]))
    from destination_sense.destination import DestinationSense

    DestinationSense().run(args)


if __name__ == "__main__":
    run()
