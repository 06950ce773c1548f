"""A local, seeded emulator of the parts of the Bullhorn REST API used by source-ats.

Loopback only. See docs/bullhorn-emulator.md.
"""

__version__ = "0.1.0"
