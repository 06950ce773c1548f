"""sense-api: the Sense partner API's contract, shared by the destination, the emulator and the receiver.

The ten entities and their order, the published limits, the generated field schemas and their compiled
validator, date formats and the write-back types. Standard library only.
"""
from setuptools import find_packages, setup

setup(
    name="sense-api",
    version="0.2.0",
    description="The Sense partner API's entities, limits, schemas and write-back types.",
    author="Sense connectors contributors",
    license="MIT",
    python_requires=">=3.10",
    packages=find_packages(include=["sense_api", "sense_api.*"]),
    package_data={"sense_api": ["schemas/*.json", "bullhorn.json"]},
    install_requires=[],
    extras_require={"tests": ["pytest>=8", "pytest-timeout>=2.3", "jsonschema>=4.20"]},
)
