"""airbyte-source-ats: the declarative Airbyte source for the Bullhorn REST API.

Manifest-only: its image is the CDK's source-declarative-manifest with ``source_ats/manifest.yaml`` and
``source_ats/components.py`` (see Dockerfile). This distribution adds the ``source-ats`` console script,
for PyAirbyte and for development.
"""
from setuptools import find_packages, setup

setup(
    name="airbyte-source-ats",
    version="0.3.0",
    description="Declarative Airbyte source for the Bullhorn REST API.",
    author="Sense connectors contributors",
    license="MIT",
    python_requires=">=3.10",
    packages=find_packages(include=["source_ats", "source_ats.*"]),
    package_data={"source_ats": ["manifest.yaml", "schemas/*.json"]},
    install_requires=["airbyte-cdk>=7.39,<8", "PyYAML>=6", "orjson>=3.10", "requests>=2.31", "urllib3>=1.26"],
    extras_require={"tests": ["pytest>=8", "pytest-timeout>=2.3", "requests-mock>=1.12", "sense-api>=0.2", "sense-dev-tools[cdk]>=0.2",
                                  "sense-writeback>=0.3"]},
    entry_points={"console_scripts": ["source-ats=source_ats.run:run"]},
)
