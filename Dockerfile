# destination-sense on Airbyte's Python connector base image (Python 3.11), as user `airbyte`.
# The image holds the destination package and the four libraries it imports (requirements-destination.txt);
# not the Airbyte CDK, which no command of the destination needs.
# Build against another (e.g. a stand-in, see scripts/build_stand_in_base.sh) base with
#   docker build --build-arg BASE_IMAGE=<image> .
# and without network access with wheels in .image-wheels/ and --build-arg PIP_INSTALL_ARGS="--no-index --find-links ."
ARG BASE_IMAGE=docker.io/airbyte/python-connector-base:4.0.2@sha256:9fdb1888c4264cf6fee473649ecb593f56f58e5d0096a87ee0b231777e2e3e73

FROM ${BASE_IMAGE} AS build
ARG PIP_INSTALL_ARGS=""
WORKDIR /build
# .image-wheel[s]: the wheels, when a wheelhouse was prepared (copied in only if it exists)
COPY requirements-destination.txt .image-wheel[s] ./
RUN pip install --no-cache-dir --prefix=/install ${PIP_INSTALL_ARGS} -r requirements-destination.txt

FROM ${BASE_IMAGE}
COPY --from=build /install /usr/local
WORKDIR /airbyte/integration_code
COPY destination_sense ./destination_sense
COPY sense_api ./sense_api
ENV PYTHONPATH=/airbyte/integration_code
RUN python -m compileall -q destination_sense sense_api \
 && printf '#!/usr/bin/env python\nfrom destination_sense.run import run\nrun()\n' > /usr/local/bin/destination-sense \
 && chmod 755 /usr/local/bin/destination-sense \
 && (id -u airbyte >/dev/null 2>&1 || useradd --uid 1000 --create-home airbyte) \
 && destination-sense spec > /dev/null
USER airbyte

ENV AIRBYTE_ENTRYPOINT="destination-sense"
ENTRYPOINT ["destination-sense"]

LABEL io.airbyte.name=airbyte/destination-sense
LABEL io.airbyte.version=0.1.0
