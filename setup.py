"""airbyte-destination-sense: the Airbyte destination for the Sense partner API (this repository's root).

Named as Airbyte names its connectors' PyPI packages (``airbyte-<connector>``, the name metadata.yaml gives
under remoteRegistries.pypi); the console script and the image are ``destination-sense``. The install
requirements are exactly what the destination imports at run time, which is also what its image installs:
no command needs the Airbyte CDK (the tests use it, for the CDK's standard suite).

The other deliverables are distributions of their own (sense-api/, source-ats/, sense-writeback/,
source-sense-writebacks/, dev-tools/); ``make install`` installs all of them for development.
"""
from setuptools import find_packages, setup

MAIN_REQUIREMENTS = [
    "sense-api>=0.2",  # the Sense contract: entities, schemas, limits, the Bullhorn correspondence (sense-api/)
    "orjson>=3.10",
    "requests>=2.31",
    "requests-toolbelt>=1.0",  # MultipartEncoder: resume uploads streamed from disk
    "zlib-ng>=0.5",
    "minio>=7.2",  # sync outcomes in S3-compatible storage (destination_sense.outcomes.storage): ~1 MB, no AWS SDK
]

TEST_REQUIREMENTS = [
    "airbyte-cdk>=7.39,<8",  # the standard suite of integration_tests/
    "pytest>=8",
    "pytest-timeout>=2.3",
    "jsonschema>=4.20",
    "requests-mock>=1.12",
    "pytest-httpserver>=1.0",
    "PyYAML>=6",
    # the end-to-end tests run the destination against the emulators and behind source-ats
    "sense-dev-tools[demo]>=0.2",  # the demo's pipe (source-ats → destination) and the emulators
    "airbyte-source-ats>=0.2",
    "moto[server]>=5.0",  # a real S3-compatible server for the sync-outcome tests (sense_testing.fixtures_s3)
]

setup(
    name="airbyte-destination-sense",
    version="0.3.0",
    description="Airbyte destination for the Sense partner API: upserts the ten Sense entities in order.",
    author="Sense connectors contributors",
    license="MIT",
    python_requires=">=3.10",
    packages=find_packages(include=["destination_sense", "destination_sense.*"]),
    package_data={"destination_sense": ["presets/*.json"]},
    install_requires=MAIN_REQUIREMENTS,
    extras_require={"tests": TEST_REQUIREMENTS},
    entry_points={"console_scripts": ["destination-sense=destination_sense.run:run"]},
)
