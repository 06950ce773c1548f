"""The main job on an embedded default: Bullhorn emulator → source-ats → destination-sense → Sense emulator."""
