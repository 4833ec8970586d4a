"""Schemathesis hooks for fuzzing EchoChat against its OpenAPI document.

Loaded through SCHEMATHESIS_HOOKS. ECHOCHAT_URL names the server under test, and
LIVEKIT_API_KEY / LIVEKIT_API_SECRET the keys it shares with LiveKit.

- Signing in: one account of its own, registered when the hooks load. Schemathesis asks for a fresh
  access token every minute and again after any 401, which covers the calls in the run that end
  the session in use (POST /api/auth/logout, DELETE /api/auth/sessions/{id}).
- LiveKit's webhook: a generated body sent with this run's own credentials is signed the way
  LiveKit signs it (LiveKit's own SDK builds the token), so the fuzzer reaches past the signature
  check; probes with no or made-up credentials reach the server as generated.
"""

import base64
import hashlib
import json
import os
import secrets

import requests
import schemathesis
from livekit import api as livekit_api

BASE = os.environ["ECHOCHAT_URL"]
LIVEKIT_KEY = os.environ["LIVEKIT_API_KEY"]
LIVEKIT_SECRET = os.environ["LIVEKIT_API_SECRET"]
USERNAME = "fuzz-" + secrets.token_hex(4)
PASSWORD = "pw-" + secrets.token_hex(12)

_registered = requests.post(f"{BASE}/api/auth/register", json={"username": USERNAME, "password": PASSWORD}, timeout=10)
assert _registered.status_code == 201, (_registered.status_code, _registered.text)

ISSUED = set()


@schemathesis.auth(refresh_interval=60)
class EchoChatBearer:
    def get(self, case, context):
        response = requests.post(f"{BASE}/api/auth/login", json={"username": USERNAME, "password": PASSWORD}, timeout=10)
        response.raise_for_status()
        token = response.json()["access_token"]
        ISSUED.add(token)
        return token

    def set(self, case, data, context):
        case.headers = case.headers or {}
        case.headers["Authorization"] = f"Bearer {data}"


@schemathesis.hook
def before_call(context, case, kwargs):
    if case.operation.path != "/api/livekit/webhook" or case.body is None:
        return
    credential = (case.headers or {}).get("Authorization", "")
    if not (credential.startswith("Bearer ") and credential[len("Bearer "):] in ISSUED):
        return
    try:
        body = json.dumps(case.body).encode()  # the bytes schemathesis sends for a JSON body
    except (TypeError, ValueError):
        return
    digest = base64.b64encode(hashlib.sha256(body).digest()).decode()
    case.headers["Authorization"] = livekit_api.AccessToken(LIVEKIT_KEY, LIVEKIT_SECRET).with_sha256(digest).to_jwt()
