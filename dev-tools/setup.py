"""sense-dev-tools: the development tools of the Sense connectors, not shipped in any connector image.

The emulators of the Sense partner API, of Bullhorn and of an OIDC provider (real HTTP servers on
127.0.0.1), the helpers that run console scripts as servers, the demo (``python -m sense_demo``) and
``sense_testing``, the fixtures and harnesses every suite's tests share.
"""
from setuptools import find_packages, setup

setup(
    name="sense-dev-tools",
    version="0.2.0",
    description="Emulators of the Sense and Bullhorn APIs, test fixtures and the demo for the Sense connectors.",
    author="Sense connectors contributors",
    license="MIT",
    python_requires=">=3.10",
    packages=find_packages(include=["sense_emulator*", "bullhorn_emulator*", "oidc_emulator*",
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
        "packaging>=23",  # sense_testing.distribution reads requirements
    ],
    # tests: moto's standalone S3 server (sense_testing.s3_server) and the MinIO SDK the destination uses
    extras_require={"tests": ["requests-mock>=1.12", "moto[server]>=5.0", "minio>=7.2"]},
    entry_points={
        "console_scripts": [
            "sense-emulator=sense_emulator.cli:main",
            "bullhorn-emulator=bullhorn_emulator.cli:main",
            "oidc-emulator=oidc_emulator.cli:main",
        ],
    },
)
