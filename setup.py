"""airbyte-destination-sense: Airbyte connectors and emulators for the Sense partner API.

The distribution is named as Airbyte names its connectors' PyPI packages (``airbyte-<connector>``, the
name metadata.yaml gives under remoteRegistries.pypi); the console script and image are ``destination-sense``.
"""
from setuptools import find_packages, setup

MAIN_REQUIREMENTS = [
    "airbyte-cdk>=7.39,<8",
    "orjson>=3.10",
    "requests>=2.31",
    "requests-toolbelt>=1.0",  # MultipartEncoder: resume uploads streamed from disk
    "PyYAML>=6",
    "zlib-ng>=0.5",
    "PyJWT[crypto]>=2.8",
    "cryptography>=42",
    # sense-writeback (the write-back receiver), see docs/sense-writeback.md "Why these libraries"
    "jsonschema>=4.20",
    "fastjsonschema>=2.19",
    "starlette>=0.37",
    "uvicorn>=0.30",
    "httptools>=0.6",
    "uvloop>=0.19; sys_platform != 'win32'",
    "httpx>=0.27",
    "prometheus-client>=0.20",
    "psycopg[binary]>=3.1",
]

TEST_REQUIREMENTS = [
    "pytest>=8",
    "pytest-timeout>=2.3",
    "jsonschema>=4.20",
    "requests-mock>=1.12",
    "pytest-httpserver>=1.0",
]

setup(
    name="airbyte-destination-sense",
    version="0.1.0",
    description="Airbyte destination for the Sense partner API, a Bullhorn source, and local emulators of both APIs.",
    author="Sense connectors contributors",
    license="MIT",
    python_requires=">=3.10",
    packages=find_packages(include=["destination_sense*", "source_ats*", "sense_emulator*", "bullhorn_emulator*", "sense_demo*", "oidc_emulator*", "sense_writeback*", "sense_api*", "console_scripts*", "source_sense_writebacks*"]),
    package_data={
        "destination_sense": ["presets/*.json", "*.json"],
        "sense_api": ["schemas/*.json"],
        "source_ats": ["manifest.yaml", "schemas/*.json", "*.yaml", "*.yml"],
        "sense_emulator": ["*.json"],
        "bullhorn_emulator": ["*.json"],
        "sense_writeback": ["schemas/*.json"],
        "source_sense_writebacks": ["manifest.yaml", "*.yaml", "*.yml"],
    },
    install_requires=MAIN_REQUIREMENTS,
    extras_require={"dev": TEST_REQUIREMENTS},
    entry_points={
        "console_scripts": [
            "destination-sense=destination_sense.run:run",
            "source-ats=source_ats.run:run",
            "sense-emulator=sense_emulator.cli:main",
            "bullhorn-emulator=bullhorn_emulator.cli:main",
            "oidc-emulator=oidc_emulator.cli:main",
            "sense-writeback=sense_writeback.cli:main",
            "source-sense-writebacks=source_sense_writebacks.run:run",
        ],
    },
)
