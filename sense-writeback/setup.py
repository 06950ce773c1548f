"""sense-writeback: the durable receiver of Sense write-backs, its feed and its Bullhorn forwarder.

Why these libraries: docs/sense-writeback.md, "Why these libraries". No connector and no Airbyte CDK: the
Bullhorn correspondence is sense-api's, the forwarder's Bullhorn client is its own. The ``forward`` extra
names what only ``sense-writeback forward`` imports (urllib3's ``Retry-After`` parser; requests brings it
anyway); ``unit_tests/test_packaging.py`` holds every import to these declarations and
``integration_tests/test_clean_install.py`` installs the receiver in a fresh virtualenv.
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
    "referencing>=0.30",
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
    version="0.3.0",
    description="Durable receiver of Sense write-backs, with a feed and a Bullhorn forwarder.",
    # `sense-writeback --help` shows this URL: the write-back side's published documentation (the receiver's
    # page, docs/sense-writeback.md, is published with source-sense-writebacks', which reads its feed)
    project_urls={"Documentation": "https://docs.airbyte.com/integrations/sources/sense-writebacks"},
    author="Sense connectors contributors",
    license="MIT",
    python_requires=">=3.10",
    packages=find_packages(include=["sense_writeback", "sense_writeback.*"]),
    package_data={"sense_writeback": ["schemas/*.json", "console/templates/*.html", "console/static/*"]},
    install_requires=MAIN_REQUIREMENTS,
    extras_require={
        "forward": ["urllib3>=1.26"],
        "s3": ["minio>=7.2", "urllib3>=1.26"],  # console/sync_outcomes.py: s3:// roots
        "tests": ["pytest>=8", "pytest-timeout>=2.3", "sense-dev-tools>=0.2", "selenium>=4.20"],
    },
    entry_points={"console_scripts": ["sense-writeback=sense_writeback.cli:main"]},
)
