"""The emulated Bullhorn API's routes: dispatch, the REST resources (query, meta, files, ping,
logout) and ``/_admin``. A mixin of the request handler (``transport.Handler``), which sends the
answers; OAuth and login are in ``auth``.
"""
from __future__ import annotations

import base64
import hashlib
import time
from typing import Any, Dict, List
from urllib.parse import urlsplit

from bullhorn_emulator import events, files, picklists, writes
from bullhorn_emulator.auth import OAuthRoutes
from bullhorn_emulator.config import ADMIN_SETTINGS, BadRequest, int_param, is_int, retry_after_headers, settings_changes
from bullhorn_emulator.query import QueryError
from bullhorn_emulator.state import EmulatorState


class Routes(OAuthRoutes):
    """Every route of ``transport.Handler``: ``_dispatch`` picks one by path."""

    state: EmulatorState

    def _dispatch(self) -> None:
        self._json_body: Any = None
        state = self.state
        with state.lock:
            state.stats["requests"] += 1
        path = urlsplit(self.path).path
        try:
            params = self._params()
            if path == "/oauth/authorize":
                return self._authorize(params)
            if path == "/oauth/token":
                return self._token(params)
            if path == "/rest-services/login":
                return self._login(params)
            if path.startswith("/_admin/"):
                return self._admin(path[len("/_admin/"):], params)
            prefix = f"/rest-services/{state.settings.corp_token}/"
            if path.startswith(prefix):
                return self._rest(path[len(prefix):], params)
            self._error(404, f"No such resource: {path}")
        except BadRequest as exc:
            if exc.close:
                self.close_connection = True
            self._error(exc.status, str(exc))
        except QueryError as exc:
            self._error(400, str(exc))
        except LookupError as exc:
            self._error(404, str(exc))
        except (BrokenPipeError, ConnectionResetError):
            pass
        except Exception as exc:  # pragma: no cover - last-resort guard
            self._error(500, f"Internal error: {type(exc).__name__}")

    def _rest(self, rest_path: str, params: Dict[str, str]) -> None:
        st = self.state
        status = st.check_session(self._session_token(params))
        if status == 412:
            return self._error(412, "Missing BhRestToken: a session key is required.")
        if status == 401:
            return self._error(401, "Bad 'BhRestToken' or timed-out.", "errors.authentication.invalidRestToken")
        if st.rate_limited():
            body = {"errorMessage": "Too many requests. Wait 1 second, then retry.", "errorCode": 429}
            return self._send(429, body, retry_after_headers(st.settings, time.time()))
        if st.settings.latency_ms:
            time.sleep(st.settings.latency_ms / 1000.0)
        parts = rest_path.strip("/").split("/")
        fault = st.count_call(parts[0])
        if fault is not None:
            return self._error(fault, f"Injected fault ({fault})")
        if parts[0] == "query" and len(parts) == 2:
            if self.command == "POST" and isinstance(self._json_body, dict) and "where" in self._json_body:
                params["where"] = self._json_body["where"]
            return self._send(200, st.query(parts[1], params))
        if parts[0] == "meta" and len(parts) == 2:
            base = f"http://{self.headers.get('Host')}/rest-services/{st.settings.corp_token}/"
            return self._send(200, picklists.entity_meta(parts[1], params.get("fields"), base))
        answer = writes.route(st.writes, self.command, parts, params, self._json_body) \
            or events.route(st.subscriptions, self.command, parts, params)
        if answer is not None:
            return self._send(*answer)
        if parts[0] == "entity" and len(parts) == 3 and parts[1] in st.store.records:
            return self._entity(parts[1], parts[2], params)
        if parts[0] in ("entityFiles", "entity", "file") and len(parts) >= 3:
            return self._files(parts)
        if parts[0] == "ping":
            with st.lock:
                token = self._session_token(params)
                expires = st.sessions.get(token or "", {}).get("expires", 0)
            return self._send(200, {"sessionExpires": int(expires * 1000)})
        if parts[0] == "logout":
            with st.lock:
                st.sessions.pop(self._session_token(params) or "", None)
            return self._send(200, {"logout": "OK"})
        return self._error(404, f"Unsupported REST resource: {rest_path}")

    def _entity(self, entity: str, ids: str, params: Dict[str, Any]) -> None:
        """``GET entity/{Entity}/{id[,id…]}`` and ``DELETE entity/{Entity}/{id}``: a hard delete of a
        hard-deletable entity (no ``isDeleted``), a soft delete of a soft-deletable one; ClientCorporation
        is immutable through the API."""
        st = self.state
        if self.command == "GET":
            return self._send(200, st.entities(entity, ids, params))
        if self.command != "DELETE":
            return self._error(405, f"{self.command} entity/{entity}/{{id}} is not supported here")
        if entity == "ClientCorporation":
            return self._error(400, "ClientCorporation is immutable: it cannot be deleted through the API")
        if not ids.isdigit():
            return self._error(400, "DELETE takes one entity id")
        hard = "isDeleted" not in st.fields[entity]
        st.delete(entity, [int(ids)], hard=hard)
        return self._send(200, {"changedEntityType": entity, "changedEntityId": int(ids), "changeType": "DELETE"})

    def _files(self, parts: List[str]) -> None:
        """``entityFiles/Candidate/{id}``, ``entity/Candidate/{id}/fileAttachments``,
        ``file/Candidate/{id}/{fileId}`` (base64 JSON) and ``…/{fileId}/raw`` (the bytes)."""
        st = self.state
        if parts[1] != "Candidate" or not parts[2].isdigit() or st.store.get("Candidate", int(parts[2])) is None:
            raise LookupError(f"No such entity: {parts[1]} {parts[2]}")
        attached = st.attachments.get(int(parts[2]), [])
        if parts[0] == "entityFiles" and len(parts) == 3:
            return self._send(200, {"EntityFiles": [a.entity_file() for a in attached]})
        if parts[0] == "entity" and parts[3:] == ["fileAttachments"]:
            data = [a.file_attachment() for a in attached]
            return self._send(200, {"start": 0, "count": len(data), "data": data})
        if parts[0] == "file" and len(parts) in (4, 5) and parts[3].isdigit() and parts[4:] in ([], ["raw"]):
            attachment = files.find(st.attachments, int(parts[2]), int(parts[3]))
            content = attachment.content()
            if parts[4:] == ["raw"]:
                disposition = f'attachment; filename="{attachment.name}"'
                return self._send(200, content, {"Content-Disposition": disposition}, content_type=attachment.content_type)
            encoded = base64.b64encode(content).decode()
            return self._send(200, {"File": {"contentType": attachment.content_type, "fileContent": encoded, "name": attachment.name}})
        raise LookupError(f"Unsupported file resource: {'/'.join(parts)}")

    # -------------------------------------------------------------- admin
    def _admin(self, action: str, params: Dict[str, Any]) -> None:
        st = self.state
        if action == "health":
            return self._send(200, {"ok": True})
        if action == "stats":
            return self._send(200, st.snapshot_stats())
        if action == "records":
            # Ground truth for tests: every id and dateLastModified of an entity.
            entity = str(params.get("entity"))
            if entity not in st.store.records:
                return self._send(404, {"error": f"unknown entity {entity}"})
            with st.lock:
                rows = [{"id": r["id"], "dateLastModified": r["dateLastModified"]} for r in st.store.records[entity]]
            return self._send(200, {"entity": entity, "records": rows})
        if action == "files":
            # Ground truth for tests: every attachment with its size and sha256.
            return self._send(200, {"files": [
                {**a.file_attachment(), "sha256": hashlib.sha256(a.content()).hexdigest()}
                for attached in st.attachments.values() for a in attached
            ]})
        if action == "notes":
            return self._send(200, st.writes.dump())
        if action == "subscriptions":
            return self._send(200, st.subscriptions.dump())
        if action == "issued-secrets":
            # Every credential the emulator knows or issued, so tests can prove none is logged.
            with st.lock:
                issued = sorted(st.issued | set(st.refresh_tokens))
            return self._send(200, {"secrets": issued + [st.settings.client_secret, st.settings.password]})
        if self.command != "POST":
            return self._send(405, {"error": "POST required"})
        if action == "reset-stats":
            st.reset_stats()
            return self._send(200, {"ok": True})
        if action == "touch":
            ids = params.get("ids")
            if ids is not None and not (isinstance(ids, list) and all(is_int(i) for i in ids)):
                raise BadRequest("ids must be a list of integers")
            result = st.touch(str(params.get("entity")), int_param(params, "count", 0), ids or None)
            return self._send(200, result)
        if action == "insert":
            return self._send(200, st.insert(str(params.get("entity")), int_param(params, "count", 1)))
        if action == "delete":
            ids = params.get("ids")
            if not (isinstance(ids, list) and ids and all(is_int(i) for i in ids)):
                raise BadRequest("ids must be a non-empty list of integers")
            return self._send(200, st.delete(str(params.get("entity")), ids, hard=params.get("hard") is True))
        if action == "faults":
            # The next `count` REST calls whose path starts with `route` (query, entity, event, …; * for
            # any) answer `status`, after the session check and the call count.
            route = str(params.get("route") or "*")
            return self._send(200, st.set_call_faults(route, int_param(params, "status", 500), int_param(params, "count", 1)))
        if action == "expire-subscription":
            return self._send(200, st.subscriptions.expire_subscription(params.get("subscription") or None))
        if action == "write-faults":
            try:
                return self._send(200, st.writes.set_faults(int_param(params, "status", 500), int_param(params, "count", 1)))
            except writes.WriteError as exc:
                raise BadRequest(str(exc))
        if action == "expire-sessions":
            with st.lock:
                n = len(st.sessions)
                st.sessions.clear()
            return self._send(200, {"expired": n})
        if action == "expire-access-tokens":
            with st.lock:
                n = len(st.access_tokens)
                st.access_tokens.clear()
            return self._send(200, {"expired": n})
        if action == "refresh-token":
            # What an administrator gets by running the interactive consent once.
            tokens = st.issue_tokens()
            return self._send(200, {"refresh_token": tokens["refresh_token"]})
        if action == "config":
            changes = settings_changes(params)
            with st.lock:
                for key, value in changes.items():
                    setattr(st.settings, key, value)
                current = {k: getattr(st.settings, k) for k in ADMIN_SETTINGS}
            return self._send(200, current)
        return self._send(404, {"error": f"unknown admin action {action}"})
