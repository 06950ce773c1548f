"""This project's console scripts (connectors, emulators, the receiver): ``finder`` finds them,
``server_process`` runs a server among them as a subprocess (start, base URL, stop)."""
