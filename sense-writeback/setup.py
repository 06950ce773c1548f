"""sense-writeback: the durable receiver of Sense write-backs, its feed and its Bullhorn forwarder.

Why these libraries: docs/sense-writeback.md, "Why these libraries". The ``forward`` extra is for
``sense-writeback forward`` (write-backs to Bullhorn notes): it reuses source-ats's Bullhorn session and
the destination's presets (the field correspondence lives there, once).
"""
from setuptools import find_packages, setup

MAIN_REQUIREMENTS = [
    "sense-api>=0.2",
    "starlette>=0.37",
    "uvicorn>=0.30",
    "httptools>=0.6",
    "uvloop>=0.19; sys_platform != 'win32'",
    "httpx>=0.27",
    "jsonschema>=4.20",
    "fastjsonschema>=2.19",
    "PyJWT[crypto]>=2.8",
    "cryptography>=42",
    "prometheus-client>=0.20",
    "psycopg[binary]>=3.1",
    "requests>=2.31",
    "PyYAML>=6",
    "Jinja2>=3.1",
]

setup(
    name="sense-writeback",
    version="0.2.0",
    description="Durable receiver of Sense write-backs, with a feed and a Bullhorn forwarder.",
    author="Sense connectors contributors",
    license="MIT",
    python_requires=">=3.10",
    packages=find_packages(include=["sense_writeback", "sense_writeback.*"]),
    package_data={"sense_writeback": ["schemas/*.json", "console/templates/*.html", "console/static/*"]},
    install_requires=MAIN_REQUIREMENTS,
    extras_require={
        "forward": ["airbyte-source-ats>=0.2", "airbyte-destination-sense>=0.2"],
        "s3": ["minio>=7.2"],
        "tests": ["pytest>=8", "pytest-timeout>=2.3", "sense-dev-tools>=0.1", "selenium>=4.20",
                  "airbyte-source-ats>=0.2", "airbyte-destination-sense>=0.2"],
    },
    entry_points={"console_scripts": ["sense-writeback=sense_writeback.cli:main"]},
)
