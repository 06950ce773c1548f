#!/usr/bin/env python3
"""Baselines the benchmark compares destination-sense with, each reading the same Airbyte JSONL file.

    python bench/baselines.py naive    FILE --api URL --token-url URL --client-id ID --client-secret S
    python bench/baselines.py pipeline FILE --api URL --token-url URL --client-id ID --client-secret S --batch N
    python bench/baselines.py parse    FILE

naive:    what a Sense customer writes by hand from the docs' sample: stdlib json, fixed batches of
          500, ``gzip.compress`` (stdlib default level), a new token per batch, ``requests.post``; a
          413 is answered by sending the two halves.
pipeline: the minimal single-thread pipeline ceiling: orjson parse → stdlib gzip (level 6) → POST over
          one keep-alive connection, one token, fixed batches of N records (N chosen by the caller so
          that batches nearly always fit the byte limit; a 413 is answered by halving), nothing else
          (no normalisation, no validation).
parse:    the parse-only ceiling: every line parsed with orjson, nothing else.
Prints one JSON line: records, posts, seconds.
"""
from __future__ import annotations

import argparse
import gzip
import json
import sys
import time

import orjson
import requests


def _token(session, args) -> str:
    response = session.post(args.token_url, data={"client_id": args.client_id, "client_secret": args.client_secret, "grant_type": "client_credentials"})
    response.raise_for_status()
    return response.json()["access_token"]


def naive(args) -> dict:
    posts = 0
    records = 0

    def send(batch):
        nonlocal posts
        token = _token(requests, args)
        body = gzip.compress(json.dumps(batch).encode())
        posts += 1
        response = requests.post(f"{args.api}/candidates", data=body, headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json", "Content-Encoding": "gzip"})
        if response.status_code == 413 and len(batch) > 1:
            send(batch[: len(batch) // 2])
            send(batch[len(batch) // 2 :])
        elif response.status_code != 201:
            raise SystemExit(f"POST answered {response.status_code}: {response.text[:200]}")

    batch = []
    with open(args.file) as f:
        for line in f:
            message = json.loads(line)
            if message["type"] != "RECORD":
                continue
            records += 1
            batch.append(message["record"]["data"])
            if len(batch) == 500:
                send(batch)
                batch = []
    if batch:
        send(batch)
    return {"records": records, "posts": posts}


def pipeline(args) -> dict:
    session = requests.Session()
    headers = {"Authorization": f"Bearer {_token(session, args)}", "Content-Type": "application/json", "Content-Encoding": "gzip"}
    posts = records = 0
    batch = []

    def post(records):
        nonlocal posts
        body = gzip.compress(b"[" + b",".join(records) + b"]", compresslevel=6)
        posts += 1
        response = session.post(f"{args.api}/candidates", data=body, headers=headers)
        if response.status_code == 413 and len(records) > 1:  # a fixed batch can overflow: halve it
            post(records[: len(records) // 2])
            post(records[len(records) // 2 :])
        elif response.status_code != 201:
            raise SystemExit(f"POST answered {response.status_code}: {response.text[:200]}")

    def send():
        post(batch)
        batch.clear()

    with open(args.file, "rb") as f:
        for line in f:
            message = orjson.loads(line)
            if message["type"] != "RECORD":
                continue
            records += 1
            batch.append(orjson.dumps(message["record"]["data"]))
            if len(batch) == args.batch:
                send()
    if batch:
        send()
    return {"records": records, "posts": posts}


def parse(args) -> dict:
    records = 0
    with open(args.file, "rb") as f:
        for line in f:
            if orjson.loads(line)["type"] == "RECORD":
                records += 1
    return {"records": records, "posts": 0}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("kind", choices=("naive", "pipeline", "parse"))
    parser.add_argument("file")
    parser.add_argument("--api")
    parser.add_argument("--token-url")
    parser.add_argument("--client-id")
    parser.add_argument("--client-secret")
    parser.add_argument("--batch", type=int, default=500)
    args = parser.parse_args()
    started = time.perf_counter()
    result = {"naive": naive, "pipeline": pipeline, "parse": parse}[args.kind](args)
    result["seconds"] = time.perf_counter() - started
    print(json.dumps(result))
    sys.stdout.flush()


if __name__ == "__main__":
    main()
