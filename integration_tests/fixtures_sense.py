"""Fixtures for the Sense emulator (filled in by the emulator work)."""
