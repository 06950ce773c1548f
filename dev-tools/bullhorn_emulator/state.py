"""Everything the emulator knows, behind one lock: data, attachments, tokens, sessions, counters, query caches.

``EmulatorState`` answers queries (``query``: where, order, paging, projection, cached) and keeps the
OAuth codes and tokens, REST sessions and rate-limit counters that the routes check.
"""
from __future__ import annotations

import collections
import random
import secrets
import threading
import time
from typing import Any, Callable, Deque, Dict, List, Optional, Tuple

from bullhorn_emulator import files
from bullhorn_emulator.events import Subscriptions
from bullhorn_emulator.config import CACHE_ENTRIES, DEFAULT_COUNT, MAX_COUNT, Settings, int_param
from bullhorn_emulator.data import ENTITY_FIELDS, ID_BASE, Store, generate
from bullhorn_emulator.query import QueryError, parse_fields, parse_order_by, parse_where


class EmulatorState:
    """Everything the emulator knows: data, tokens, sessions, counters. Thread-safe."""

    def __init__(self, settings: Settings):
        self.settings = settings
        self.lock = threading.RLock()
        self.store: Store = generate(settings.seed, settings.counts)
        self.attachments = files.seed_attachments(settings.seed, self.store)
        self.fields = {entity: {name for name, _ in spec} for entity, spec in ENTITY_FIELDS.items()}
        self.field_kinds = {entity: dict(spec) for entity, spec in ENTITY_FIELDS.items()}
        self.codes: Dict[str, Tuple[str, float, Optional[str]]] = {}
        self.access_tokens: Dict[str, float] = {}
        self.refresh_tokens: Dict[str, str] = {}  # token -> "valid" | "used"
        self.sessions: Dict[str, Dict[str, Any]] = {}
        self.issued: set = set()  # every credential ever issued (see /_admin/issued-secrets)
        self.touch_counter = 0
        # Sorted query results and compiled `fields` projections, see matching() and projector().
        self._results: Dict[Tuple[str, str, Optional[str]], List[Dict[str, Any]]] = {}
        self._projectors: Dict[Tuple[str, str], Callable[[Dict[str, Any]], Dict[str, Any]]] = {}
        self.subscriptions = Subscriptions(lambda: self.settings.event_retention, [*ENTITY_FIELDS, "Note"],
                                           person_id=ID_BASE["CorporateUser"])
        #: Statuses for the next REST calls of a route (``/_admin/faults``): [(route or "*", status)].
        self.call_faults: List[Tuple[str, int]] = []
        self.rest_calls = 0
        self.rest_call_times: Deque[float] = collections.deque()
        self.stats: Dict[str, Any] = {}
        self.reset_stats()
        if settings.initial_refresh_token:
            self.refresh_tokens[settings.initial_refresh_token] = "valid"

    # ------------------------------------------------------------------ stats
    def reset_stats(self) -> None:
        with self.lock:
            self.stats = {
                "requests": 0,
                "authorize": 0,
                "authorize_code_issued": 0,
                "token_authorization_code": 0,
                "token_refresh": 0,
                "token_refresh_rejected": 0,
                "refresh_token_reuse_rejected": 0,
                "token_errors": 0,
                "rest_login": 0,
                "rest_login_rejected": 0,
                "query_calls": 0,
                "query_by_entity": {},
                "records_served": 0,
                "records_served_by_entity": {},
                "max_count_requested": 0,
                "status_401": 0,
                "status_412": 0,
                "status_429": 0,
                "session_expired_401": 0,
                "max_rest_calls_per_minute": 0,
                "where_clauses": collections.deque(maxlen=50),
                # Every REST call that passed the session check, by its first path segment
                # (query, entity, event, meta, ...): what Bullhorn's API quota counts.
                "rest_calls": 0,
                "rest_calls_by_route": {},
            }

    def snapshot_stats(self) -> Dict[str, Any]:
        with self.lock:
            out = dict(self.stats)
            out["where_clauses"] = list(self.stats["where_clauses"])
            out["query_by_entity"] = dict(self.stats["query_by_entity"])
            out["records_served_by_entity"] = dict(self.stats["records_served_by_entity"])
            out["rest_calls_by_route"] = dict(self.stats["rest_calls_by_route"])
            out["valid_refresh_tokens"] = sum(1 for s in self.refresh_tokens.values() if s == "valid")
            out["active_sessions"] = len(self.sessions)
            out["counts"] = {e: len(r) for e, r in self.store.records.items()}
            return out

    # ------------------------------------------------------------------ tokens
    def new_token(self, prefix: str) -> str:
        return f"{prefix}{secrets.token_hex(16)}"

    def issue_tokens(self) -> Dict[str, Any]:
        with self.lock:
            access = self.new_token("at-")
            refresh = self.new_token("rt-")
            self.access_tokens[access] = time.time() + self.settings.access_token_ttl
            self.refresh_tokens[refresh] = "valid"
            self.issued.update((access, refresh))
        return {
            "access_token": access,
            "token_type": "Bearer",
            "expires_in": int(self.settings.access_token_ttl),
            "refresh_token": refresh,
        }

    def check_session(self, token: Optional[str]) -> Optional[int]:
        """None if the session may make a call, else the HTTP status to answer."""
        if not token:
            self.stats["status_412"] += 1
            return 412
        with self.lock:
            sess = self.sessions.get(token)
            if sess is None:
                self.stats["status_401"] += 1
                return 401
            expired = time.time() > sess["expires"]
            exhausted = self.settings.session_max_calls > 0 and sess["calls"] >= self.settings.session_max_calls
            if expired or exhausted:
                self.sessions.pop(token, None)
                self.stats["status_401"] += 1
                self.stats["session_expired_401"] += 1
                return 401
            sess["calls"] += 1
        return None

    def count_call(self, route: str) -> Optional[int]:
        """Count one REST call of ``route``; the status of an injected fault for it, if any."""
        with self.lock:
            self.stats["rest_calls"] += 1
            by_route = self.stats["rest_calls_by_route"]
            by_route[route] = by_route.get(route, 0) + 1
            for i, (fault_route, status) in enumerate(self.call_faults):
                if fault_route in ("*", route):
                    del self.call_faults[i]
                    return status
        return None

    def set_call_faults(self, route: str, status: int, count: int) -> Dict[str, Any]:
        if not (400 <= status <= 599) or not 0 <= count <= 10_000 or not route:
            raise QueryError("status must be 400-599, count 0-10000 and route a path segment or *")
        with self.lock:
            self.call_faults = [f for f in self.call_faults if f[0] != route] + [(route, status)] * count
        return {"route": route, "status": status, "count": count}

    def rate_limited(self) -> bool:
        with self.lock:
            now = time.time()
            self.rest_calls += 1
            window = self.rest_call_times
            window.append(now)
            while window and window[0] < now - 60:
                window.popleft()
            self.stats["max_rest_calls_per_minute"] = max(self.stats["max_rest_calls_per_minute"], len(window))
            if self.settings.throttle_every > 0 and self.rest_calls % self.settings.throttle_every == 0:
                self.stats["status_429"] += 1
                return True
            if self.settings.rate_limit_per_minute > 0 and len(window) > self.settings.rate_limit_per_minute:
                self.stats["status_429"] += 1
                return True
        return False

    # ------------------------------------------------------------------ data
    def project(self, entity: str, record: Dict[str, Any], spec: Dict[str, Any]) -> Dict[str, Any]:
        """One record with the fields of a parsed `fields` spec (see `projector`)."""
        return self._compile_projection(entity, spec)(record)

    def projector(self, entity: str, fields_text: str) -> Callable[[Dict[str, Any]], Dict[str, Any]]:
        """A function projecting a record onto `fields_text`, compiled once per (entity, fields).

        Unknown fields raise LookupError here, before any record is read (Bullhorn answers an
        invalid field with an error even when nothing matches).
        """
        key = (entity, fields_text)
        proj = self._projectors.get(key)
        if proj is None:
            proj = self._compile_projection(entity, parse_fields(fields_text))
            if len(self._projectors) >= CACHE_ENTRIES:
                self._projectors.pop(next(iter(self._projectors)))
            self._projectors[key] = proj
        return proj

    def _compile_projection(self, entity: str, spec: Dict[str, Any]) -> Callable[[Dict[str, Any]], Dict[str, Any]]:
        kinds = self.field_kinds[entity]
        if "*" in spec:
            spec = {**{name: None for name in kinds}, **{k: v for k, v in spec.items() if k != "*"}}
        names: List[str] = []
        # Fields whose stored value is a dict get reshaped after the plain copy (in place, so the
        # output keeps the order of `fields`): (name, target records by id or None, sub-fields, ...).
        refs: List[Tuple[str, Optional[Dict[int, Dict[str, Any]]], Optional[List[Tuple[str, bool]]]]] = []
        objects: List[Tuple[str, Optional[List[str]], bool]] = []
        for name, sub in spec.items():
            kind = kinds.get(name)
            if kind is None:
                raise LookupError(f"Invalid field '{name}' for entity {entity}")
            names.append(name)
            if kind.startswith(("ref:", "ref_opt:")):
                if sub is None:
                    refs.append((name, None, None))
                    continue
                target = kind.split(":", 1)[1]
                sub_fields = []
                for sub_name in sub:
                    sub_kind = self.field_kinds[target].get(sub_name)
                    if sub_kind is None:
                        raise LookupError(f"Invalid field '{sub_name}' for entity {target}")
                    sub_fields.append((sub_name, sub_kind.startswith(("ref", "obj"))))
                refs.append((name, self.store.by_id.get(target, {}), sub_fields))
            elif kind == "address" or kind.startswith("obj:") or sub is not None:
                objects.append((name, list(sub) if sub is not None else None, kind.startswith("obj:")))

        def project(record: Dict[str, Any]) -> Dict[str, Any]:
            get = record.get
            out = {name: get(name) for name in names}
            for name, by_id, sub_fields in refs:
                value = out[name]
                if value is None:
                    continue
                if sub_fields is None:
                    out[name] = {"id": value["id"]}
                    continue
                target_record = by_id.get(value["id"]) or {"id": value["id"]}  # type: ignore[union-attr]
                nested: Dict[str, Any] = {}
                for sub_name, is_ref in sub_fields:
                    sub_value = target_record.get(sub_name)
                    if is_ref and isinstance(sub_value, dict):
                        sub_value = {"id": sub_value["id"]}
                    nested[sub_name] = sub_value
                out[name] = nested
            for name, sub, is_obj in objects:
                value = out[name]
                if not isinstance(value, dict):
                    continue
                if sub is None:
                    out[name] = {"id": value["id"]} if is_obj else dict(value)
                else:
                    shaped = {k: value.get(k) for k in sub}
                    if is_obj:
                        shaped.setdefault("id", value["id"])
                    out[name] = shaped
            return out

        return project

    def matching(self, entity: str, where: str, order_by: Optional[str]) -> List[Dict[str, Any]]:
        """Records of `entity` matching `where`, sorted by `order_by`; call with the lock held.

        Cached per (entity, where, orderBy) until data changes (`touch`): paging through a result
        re-runs the same query with another `start`, and a full scan and sort per page made the
        emulator quadratic in the result size.
        """
        key = (entity, where, order_by)
        matched = self._results.get(key)
        if matched is None:
            predicate = parse_where(where or "", self.fields[entity])
            order = parse_order_by(order_by)
            for name, _ in order:
                if name.split(".")[0] not in self.fields[entity]:
                    raise QueryError(f"Invalid orderBy field '{name}'")
            matched = [r for r in self.store.records[entity] if predicate(r)]
            for name, desc in reversed(order):
                matched.sort(key=lambda r, n=name: _sort_key(r, n), reverse=desc)
            if len(self._results) >= CACHE_ENTRIES:
                self._results.pop(next(iter(self._results)))
            self._results[key] = matched
        return matched

    def query(self, entity: str, params: Dict[str, str]) -> Dict[str, Any]:
        if entity not in self.store.records:
            raise LookupError(f"Entity '{entity}' is not supported by this emulator")
        for name in ("where", "fields", "orderBy"):
            if not isinstance(params.get(name, ""), str):
                raise QueryError(f"{name} must be a string")
        where = params.get("where")
        fields_text = params.get("fields")
        if not fields_text:
            raise QueryError("Missing required parameter: fields")
        start = int_param(params, "start", 0)
        count = int_param(params, "count", DEFAULT_COUNT)
        with self.lock:
            matched = self.matching(entity, where or "", params.get("orderBy"))
            project = self.projector(entity, fields_text)
            self.stats["max_count_requested"] = max(self.stats["max_count_requested"], count)
            self.stats["where_clauses"].append(where)
            count = min(count, MAX_COUNT)
            data = [project(r) for r in matched[start:start + count]]
            self.stats["query_calls"] += 1
            self.stats["query_by_entity"][entity] = self.stats["query_by_entity"].get(entity, 0) + 1
            self.stats["records_served"] += len(data)
            by_entity = self.stats["records_served_by_entity"]
            by_entity[entity] = by_entity.get(entity, 0) + len(data)
        return {"start": start, "count": len(data), "data": data}

    def next_stamp(self) -> int:
        """A dateLastModified for a change now: the clock, strictly after every stored one. Lock held."""
        latest = max((r["dateLastModified"] for e in self.store.records.values() for r in e), default=0)
        return max(int(time.time() * 1000), latest + 1)

    def changed(self, entity: str, record_id: int, event_type: str, properties: Optional[List[str]] = None) -> None:
        """After a change: cached query results are stale, and subscriptions get the event. Lock held."""
        self._results.clear()
        self.subscriptions.publish(entity, record_id, event_type, properties)

    def _entity_rows(self, entity: str) -> List[Dict[str, Any]]:
        if entity not in self.store.records:
            raise LookupError(f"Entity '{entity}' is not supported by this emulator")
        return self.store.records[entity]

    def touch(self, entity: str, count: int = 0, ids: Optional[List[int]] = None) -> Dict[str, Any]:
        """Modify some records: a changed field and a new, strictly later dateLastModified."""
        rows = self._entity_rows(entity)
        with self.lock:
            self.touch_counter += 1
            if ids:
                chosen = [self.store.get(entity, int(i)) for i in ids]
                if any(c is None for c in chosen):
                    raise QueryError("unknown id in ids")
            else:
                rng = random.Random(f"{self.settings.seed}:touch:{entity}:{self.touch_counter}")
                chosen = rng.sample(rows, min(count, len(rows)))
            stamp = self.next_stamp()
            touched = []
            for rec in chosen:
                assert rec is not None
                rec["dateLastModified"] = stamp
                if "customText1" in rec:
                    rec["customText1"] = f"touched-{self.touch_counter}"
                    changed = ["customText1", "dateLastModified"]
                else:
                    rec["subject"] = f"{rec['subject'].split(' (')[0]} (touched-{self.touch_counter})"
                    changed = ["dateLastModified", "subject"]
                self.changed(entity, rec["id"], "UPDATED", changed)
                touched.append(rec["id"])
        return {"entity": entity, "ids": sorted(touched), "dateLastModified": stamp}

    def insert(self, entity: str, count: int) -> Dict[str, Any]:
        """Add ``count`` records (copies of seeded ones under new ids), as a user creating them would."""
        rows = self._entity_rows(entity)
        if not rows:
            raise QueryError(f"no {entity} record to copy")
        with self.lock:
            stamp = self.next_stamp()
            next_id = max(r["id"] for r in rows) + 1
            added = []
            for i in range(count):
                rec = {**rows[i % len(rows)], "id": next_id + i, "dateLastModified": stamp}
                for name in ("dateAdded", "userDateAdded"):
                    if name in rec:
                        rec[name] = stamp
                if "isDeleted" in rec:
                    rec["isDeleted"] = False
                rows.append(rec)
                self.store.by_id[entity][rec["id"]] = rec
                self.changed(entity, rec["id"], "INSERTED")
                added.append(rec["id"])
        return {"entity": entity, "ids": added, "dateLastModified": stamp}

    def delete(self, entity: str, ids: List[int], hard: bool) -> Dict[str, Any]:
        """Delete records: ``hard`` removes them from every query (DELETED event); otherwise
        ``isDeleted`` becomes true (an update: UPDATED event with ``updatedProperties: [isDeleted]``)."""
        rows = self._entity_rows(entity)
        with self.lock:
            chosen = [self.store.get(entity, int(i)) for i in ids]
            if any(c is None for c in chosen):
                raise LookupError(f"No such entity: {entity} (one of {ids[:20]})")
            if not hard and "isDeleted" not in self.fields[entity]:
                raise QueryError(f"{entity} is not soft-deletable (it has no isDeleted)")
            stamp = self.next_stamp()
            for rec in chosen:
                assert rec is not None
                if hard:
                    del self.store.by_id[entity][rec["id"]]
                    rows.remove(rec)
                    self.changed(entity, rec["id"], "DELETED")
                else:
                    rec["isDeleted"] = True
                    rec["dateLastModified"] = stamp
                    self.changed(entity, rec["id"], "UPDATED", ["dateLastModified", "isDeleted"])
        return {"entity": entity, "ids": sorted(ids), "hard": hard}

    def entities(self, entity: str, ids_text: str, params: Dict[str, Any]) -> Dict[str, Any]:
        """``GET entity/{Entity}/{id}`` (``{"data": {...}}``, 404 if absent) and
        ``GET entity/{Entity}/{id1,id2,…}`` (``{"data": [...]}`` of those that exist, paged by
        ``start``/``count`` like a query)."""
        self._entity_rows(entity)
        texts = ids_text.split(",")
        if not all(t.isdigit() for t in texts):
            raise QueryError(f"entity ids must be integers, got {ids_text[:40]!r}")
        fields_text = params.get("fields")
        if not fields_text or not isinstance(fields_text, str):
            raise QueryError("Missing required parameter: fields")
        with self.lock:
            project = self.projector(entity, fields_text)
            found = [r for r in (self.store.get(entity, int(t)) for t in texts) if r is not None]
            if len(texts) == 1:
                if not found:
                    raise LookupError(f"No such entity: {entity} {texts[0]}")
                return {"data": project(found[0])}
            start = int_param(params, "start", 0)
            count = min(int_param(params, "count", DEFAULT_COUNT), MAX_COUNT)
            data = [project(r) for r in found[start:start + count]]
            self.stats["records_served"] += len(data)
        return {"start": start, "count": len(data), "data": data}


def _sort_key(record: Dict[str, Any], name: str) -> Tuple[int, Any]:
    value: Any = record
    for part in name.split("."):
        value = value.get(part) if isinstance(value, dict) else None
    if value is None:
        return (0, 0)
    if isinstance(value, bool):
        return (1, int(value))
    if isinstance(value, (int, float)):
        return (1, value)
    return (2, str(value))
