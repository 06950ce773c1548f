#!/usr/bin/env bash
# Build the images' base images without Docker Hub (the connectors' and sense-writeback's).
#
# Normal path first: pull the digest-pinned bases named in the Dockerfiles
# (airbyte/python-connector-base for destination-sense, airbyte/source-declarative-manifest
# for source-ats). Only when that pull fails (no Docker Hub access) does this script make
# stand-ins from Debian packages:
#   1. debootstrap a minimal Debian bookworm with python3.11 (Debian's own package, the Python
#      the pinned bases ship) and `docker import` it;
#   2. on top: a virtualenv on PATH (pip works as in the real base), user `airbyte` (uid 1000),
#      WORKDIR /airbyte/integration_code  ->  sense-local/python-connector-base:stand-in
#   3. the CDK's declarative-manifest runner on that, laid out as in the CDK's own image
#      ->  sense-local/source-declarative-manifest:stand-in
#   4. for sense-writeback (a service, not a connector), the stand-in of python:3.11-slim: another minimal
#      debootstrap with python3 only, trimmed of what a Python service never runs (apt and its libraries,
#      perl, e2fsprogs, docs, man pages, locales, iconv modules)  ->  sense-local/python-slim:stand-in
# Then build the connectors on them:  make image BASE=stand-in
#
# Needs: docker (a running daemon), debootstrap, root (debootstrap), a Debian mirror, and pip on this
# machine with PyPI access (the wheels are fetched here and copied in: the builds need no network).
# Usage: scripts/build_stand_in_base.sh [--force]   (--force: build stand-ins even if the pull works)
set -euo pipefail
cd "$(dirname "$0")/.."

PY_BASE_TAG=sense-local/python-connector-base:stand-in
SLIM_BASE_TAG=sense-local/python-slim:stand-in
SDM_BASE_TAG=sense-local/source-declarative-manifest:stand-in
MIRROR=${DEBIAN_MIRROR:-http://deb.debian.org/debian}
SUITE=${DEBIAN_SUITE:-bookworm}
CDK_VERSION=$(sed -n "s|^ARG BASE_IMAGE=.*source-declarative-manifest:\([0-9.]*\).*|\1|p" source-ats/Dockerfile)

pinned() { sed -n 's/^ARG BASE_IMAGE=//p' "$1"; }

if [ "${1:-}" != "--force" ]; then
  ok=1
  for dockerfile in Dockerfile source-ats/Dockerfile source-sense-writebacks/Dockerfile sense-writeback/Dockerfile; do
    base=$(pinned "$dockerfile")
    echo "==> docker pull $base"
    docker pull "$base" >/dev/null 2>&1 || { ok=0; echo "    pull failed: building a stand-in instead"; break; }
  done
  if [ "$ok" = 1 ]; then
    echo "Pinned bases pulled; build with: make image"
    exit 0
  fi
fi

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

echo "==> debootstrap $SUITE (minbase + python3) from $MIRROR"
debootstrap --variant=minbase --include=python3,python3-venv,ca-certificates "$SUITE" "$work/rootfs" "$MIRROR" >"$work/debootstrap.log" 2>&1 \
  || { tail -n 20 "$work/debootstrap.log"; exit 1; }
rm -rf "$work/rootfs/var/cache/apt/archives/"*.deb "$work/rootfs/var/lib/apt/lists/"* "$work/rootfs/usr/share/doc" "$work/rootfs/usr/share/man"

echo "==> docker import"
tar -C "$work/rootfs" -c . | docker import - sense-local/debian-python:stand-in >/dev/null

echo "==> $PY_BASE_TAG"
# Python where the real base has it: /usr/local/bin/python, packages in /usr/local/lib/python3.11/site-packages
# (a virtualenv at /usr/local, so pip installs there as in the real base; Debian's own python3 is left alone).
cat >"$work/Dockerfile.python" <<'DOCKERFILE'
FROM sense-local/debian-python:stand-in
ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
    PIP_DISABLE_PIP_VERSION_CHECK=1 LANG=C.UTF-8
RUN python3 -m venv /usr/local \
 && useradd --uid 1000 --create-home --shell /bin/bash airbyte \
 && mkdir -p /airbyte/integration_code && chown -R airbyte:airbyte /airbyte
WORKDIR /airbyte/integration_code
DOCKERFILE
docker build -q -t "$PY_BASE_TAG" -f "$work/Dockerfile.python" "$work" >/dev/null

echo "==> $SDM_BASE_TAG (airbyte-cdk $CDK_VERSION, wheels fetched by this machine's pip)"
PIP="${PIP:-$( [ -x .venv/bin/pip ] && echo .venv/bin/pip || echo "python3 -m pip" )}"
mkdir -p "$work/sdm/wheels"
$PIP wheel --quiet --wheel-dir "$work/sdm/wheels" "airbyte-cdk==$CDK_VERSION"
cat >"$work/sdm/Dockerfile" <<DOCKERFILE
FROM $PY_BASE_TAG AS build
COPY wheels /wheels
RUN pip install --no-cache-dir --no-index --find-links /wheels "airbyte-cdk==$CDK_VERSION"
FROM $PY_BASE_TAG
COPY --from=build /usr/local /usr/local
# The layout of the CDK's own image: the runner as package source_declarative_manifest (it finds
# manifest.yaml and components.py next to itself), main.py calling it.
WORKDIR /airbyte/integration_code
RUN mkdir -p source_declarative_manifest && touch source_declarative_manifest/__init__.py \
 && cp /usr/local/lib/python3.11/site-packages/airbyte_cdk/cli/source_declarative_manifest/_run.py source_declarative_manifest/run.py \
 && cp /usr/local/lib/python3.11/site-packages/airbyte_cdk/cli/source_declarative_manifest/spec.json source_declarative_manifest/ \
 && printf 'from source_declarative_manifest.run import run\n\nif __name__ == "__main__":\n    run()\n' > main.py \
 && chown -R airbyte:airbyte /airbyte
ENV AIRBYTE_ENTRYPOINT="python /airbyte/integration_code/main.py"
ENTRYPOINT ["python", "/airbyte/integration_code/main.py"]
USER airbyte
DOCKERFILE
docker build -q -t "$SDM_BASE_TAG" "$work/sdm" >/dev/null

echo "==> $SLIM_BASE_TAG (debootstrap minbase + python3, trimmed)"
debootstrap --variant=minbase --include=python3 "$SUITE" "$work/slim" "$MIRROR" >"$work/debootstrap-slim.log" 2>&1 \
  || { tail -n 20 "$work/debootstrap-slim.log"; exit 1; }
# Files of packages a Python service never uses (dpkg's own lists name them); the packages stay
# "installed" in dpkg's database, which nothing in this image consults.
for package in apt libapt-pkg6.0 gpgv debian-archive-keyring e2fsprogs libext2fs2 libss2 logsave libdb5.3 \
    libgnutls30 libhogweed6 libnettle8 libp11-kit0 libtasn1-6 libidn2-0 libunistring2 libseccomp2 libxxhash0 perl-base; do
  list="$work/slim/var/lib/dpkg/info/$package.list"
  [ -f "$list" ] || list="$work/slim/var/lib/dpkg/info/$package:amd64.list"
  [ -f "$list" ] || continue
  while IFS= read -r path; do
    [ -f "$work/slim$path" ] || [ -L "$work/slim$path" ] && rm -f "$work/slim$path"
  done <"$list"
done
rm -rf "$work/slim/var/cache/apt" "$work/slim/var/lib/apt" "$work/slim/usr/share/doc" "$work/slim/usr/share/man" \
  "$work/slim/usr/share/info" "$work/slim/usr/share/locale" "$work/slim/usr/share/lintian" \
  "$work/slim/usr/share/bash-completion" "$work/slim/usr/lib/x86_64-linux-gnu/gconv" "$work/slim/var/log/"*
find "$work/slim/usr/lib/python3.11" -name __pycache__ -prune -exec rm -rf {} +
tar -C "$work/slim" -c . | docker import -c 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin LANG=C.UTF-8' \
  -c 'CMD ["python3"]' - "$SLIM_BASE_TAG" >/dev/null

docker image ls --format '{{.Repository}}:{{.Tag}}  {{.Size}}' | grep '^sense-local/'
echo "Stand-in bases built; build the connectors on them with: make image BASE=stand-in"
