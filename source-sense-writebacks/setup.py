"""airbyte-source-sense-writebacks: the declarative Airbyte source that reads the write-back receiver's feed.

Manifest-only (see Dockerfile); this distribution adds the ``source-sense-writebacks`` console script.
"""
from setuptools import find_packages, setup

setup(
    name="airbyte-source-sense-writebacks",
    version="0.1.0",
    description="Declarative Airbyte source for the feed of the sense-writeback receiver.",
    author="Sense connectors contributors",
    license="MIT",
    python_requires=">=3.10",
    packages=find_packages(include=["source_sense_writebacks", "source_sense_writebacks.*"]),
    package_data={"source_sense_writebacks": ["manifest.yaml"]},
    install_requires=["airbyte-cdk>=7.39,<8", "PyYAML>=6", "requests>=2.31"],
    extras_require={"tests": ["pytest>=8", "pytest-timeout>=2.3", "sense-dev-tools[cdk]>=0.2", "sense-writeback>=0.2"]},
    entry_points={"console_scripts": ["source-sense-writebacks=source_sense_writebacks.run:run"]},
)
