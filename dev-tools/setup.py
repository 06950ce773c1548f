"""sense-dev-tools: the development tools of the Sense connectors, not shipped in any connector image.

The emulators of the Sense partner API, of Bullhorn and of an OIDC provider (real HTTP servers on
127.0.0.1), the helpers that run console scripts as servers, the demo (``python -m sense_demo``) and
``sense_testing``, the fixtures and harnesses every suite's tests share.

What needs a connector is an extra, so that the receiver's tests install no connector: ``demo`` (the
destination and source-ats) and ``cdk`` (the CDK's standard tests, ``sense_testing.standard_suite``).
``unit_tests/test_packaging.py`` holds every import of every module to these declarations.
"""
from setuptools import find_packages, setup

setup(
    name="sense-dev-tools",
    version="0.2.0",
    description="Emulators of the Sense and Bullhorn APIs, test fixtures and the demo for the Sense connectors.",
    author="Sense connectors contributors",
    license="MIT",
    python_requires=">=3.10",
    packages=find_packages(include=["sense_emulator*", "bullhorn_emulator*", "oidc_emulator*", "emulator_http*",
                                    "console_scripts*", "sense_demo*", "sense_testing*"]),
    package_data={
        "sense_testing": ["airbyte_metadata_schema/*.yaml", "airbyte_metadata_schema/*.md"],
    },
    install_requires=[
        "sense-api>=0.2",
        "orjson>=3.10",
        "requests>=2.31",
        "PyJWT[crypto]>=2.8",  # oidc-emulator signs its tokens
        "cryptography>=42",
        # sense_testing: pytest fixtures, a throwaway PostgreSQL, Airbyte's metadata schema
        "pytest>=8",
        "pytest-timeout>=2.3",
        "psycopg[binary]>=3.1",
        "PyYAML>=6",
        "jsonschema>=4.20",
        "referencing>=0.30",  # sense_testing.airbyte_metadata resolves the metadata schema's $refs
        "packaging>=23",  # sense_testing.distribution reads requirements
        "prometheus-client>=0.20",  # sense_testing.writeback_receiver reads the receiver's metrics
        "selenium>=4.20",  # sense_testing.console_fixtures drives Debian's Chromium (no browser download)
    ],
    extras_require={
        # `python -m sense_demo` (the main job runs the destination in-process and source-ats as a console
        # script) and sense_testing.bullhorn_truth (what the chains expect of the destination's bullhorn preset)
        "demo": ["airbyte-destination-sense>=0.2", "airbyte-source-ats>=0.2"],
        # sense_testing.standard_suite: the CDK's standard connector tests
        "cdk": ["airbyte-cdk>=7.39,<8", "boltons>=23"],
        # and sense_testing.s3_server: moto's standalone S3 server (boto3 creates its test user), read with the
        # MinIO SDK the destination uses
        "tests": ["requests-mock>=1.12", "pytest-httpserver>=1.0", "werkzeug>=3", "moto[server]>=5.0", "boto3>=1.28", "minio>=7.2"],
    },
    entry_points={
        "console_scripts": [
            "sense-emulator=sense_emulator.cli:main",
            "bullhorn-emulator=bullhorn_emulator.cli:main",
            "oidc-emulator=oidc_emulator.cli:main",
        ],
    },
)
