"""Finding this project's console scripts (connectors, emulators, the receiver) to run them as subprocesses."""
