# destination-sense on Airbyte's Python connector base image (Python 3.11).
# Build against another (e.g. locally built) base with: docker build --build-arg BASE_IMAGE=<image> .
ARG BASE_IMAGE=docker.io/airbyte/python-connector-base:4.0.2@sha256:9fdb1888c4264cf6fee473649ecb593f56f58e5d0096a87ee0b231777e2e3e73
FROM ${BASE_IMAGE}

WORKDIR /airbyte/integration_code
COPY setup.py README.md ./
COPY destination_sense ./destination_sense
COPY source_ats ./source_ats
COPY sense_emulator ./sense_emulator
COPY bullhorn_emulator ./bullhorn_emulator
RUN pip install --no-cache-dir . && destination-sense spec > /dev/null

ENV AIRBYTE_ENTRYPOINT="destination-sense"
ENTRYPOINT ["destination-sense"]

LABEL io.airbyte.name=airbyte/destination-sense
LABEL io.airbyte.version=0.1.0
