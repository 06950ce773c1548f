# destination-sense on Airbyte's Python connector base image (Python 3.11), as user `airbyte`.
# The image holds the destination's distribution and what it requires (setup.py: sense-api and five
# libraries) at the versions of requirements/destination.lock, each checked against its hash; not the
# Airbyte CDK, which no command of the destination needs.
# Build against another (e.g. a stand-in, see scripts/build_stand_in_base.sh) base with
#   docker build --build-arg BASE_IMAGE=<image> .
# and without network access with the wheels in .image-wheels/ (scripts/build_images.py prepares them) and
#   --build-arg PIP_INSTALL_ARGS="--no-index --find-links .image-wheels"
ARG BASE_IMAGE=docker.io/airbyte/python-connector-base:4.0.2@sha256:9fdb1888c4264cf6fee473649ecb593f56f58e5d0096a87ee0b231777e2e3e73

FROM ${BASE_IMAGE} AS build
ARG PIP_INSTALL_ARGS=""
WORKDIR /build
# .image-wheel[s]: the wheelhouse, when one was prepared (copied in only if it exists). setup.py rides along
# because Docker's legacy builder (no buildx) fails a COPY whose only source is a glob that matches nothing;
# pip's --find-links ignores it (and this stage is not shipped).
COPY setup.py .image-wheel[s] ./.image-wheels/
# The locked third-party packages (hash-checked), then the build tools (locked too, in this stage only),
# then our two distributions without dependencies: nothing unhashed comes from an index. pip check: the
# lock satisfies both setup.py files.
COPY requirements/destination.lock requirements/build.lock ./requirements/
RUN pip install --no-cache-dir --prefix=/install --require-hashes ${PIP_INSTALL_ARGS} -r requirements/destination.lock \
 && pip install --no-cache-dir --require-hashes ${PIP_INSTALL_ARGS} -r requirements/build.lock
COPY sense-api/setup.py ./sense-api/
COPY sense-api/sense_api ./sense-api/sense_api
COPY setup.py ./
COPY destination_sense ./destination_sense
RUN pip install --no-cache-dir --prefix=/install --no-deps --no-build-isolation ${PIP_INSTALL_ARGS} ./sense-api . \
 && PYTHONPATH=$(echo /install/lib/python3*/site-packages) pip check

FROM ${BASE_IMAGE}
COPY --from=build /install /usr/local
RUN (id -u airbyte >/dev/null 2>&1 || useradd --uid 1000 --create-home airbyte) \
 && destination-sense spec > /dev/null
WORKDIR /airbyte/integration_code
USER airbyte

ENV AIRBYTE_ENTRYPOINT="destination-sense"
ENTRYPOINT ["destination-sense"]

LABEL io.airbyte.name=airbyte/destination-sense
LABEL io.airbyte.version=0.3.0
