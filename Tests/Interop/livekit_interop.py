"""LiveKit's own server SDK (livekit-api) as the judge of EchoChat's LiveKit wire formats.

Two modes:

  livekit_interop.py tool
      Reads a JSON list of operations from stdin and writes a JSON list of results to stdout:
        {"op": "verify", "token", "key", "secret"}        -> TokenVerifier's claims, or its error
        {"op": "webhook", "event", "key", "secret", "ttl_seconds"}
                                                          -> a body and Authorization header built
                                                             and signed by the SDK, as LiveKit sends them

  livekit_interop.py twirp --key K --secret S
      Serves LiveKit's RoomService Twirp JSON API on a free loopback port (printed as
      "listening PORT"): get-or-create rooms, participants, removal and muting, with every call's
      bearer token checked by TokenVerifier for the grant LiveKit requires. Test hooks under /_test/
      add participants, list the calls received and make the server fail.
"""

import base64
import warnings
import dataclasses
import datetime
import hashlib
import json
import os
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from google.protobuf import json_format
from livekit import api
from livekit.protocol import models, room as room_pb, webhook as webhook_pb

warnings.filterwarnings("ignore")  # the dev secret "secret" is shorter than PyJWT recommends; LiveKit accepts it


def verify(op):
    try:
        claims = api.TokenVerifier(op["key"], op["secret"]).verify(op["token"])
    except Exception as error:  # the verifier's refusal is the result
        return {"ok": False, "error": f"{type(error).__name__}: {error}"}
    payload = op["token"].split(".")[1]
    raw = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    header = op["token"].split(".")[0]
    header = json.loads(base64.urlsafe_b64decode(header + "=" * (-len(header) % 4)))
    return {
        "ok": True,
        "identity": claims.identity,
        "name": claims.name,
        "metadata": claims.metadata,
        "video": dataclasses.asdict(claims.video) if claims.video else None,
        "raw": raw,
        "header": header,
    }


def sign_webhook(op):
    event = json_format.ParseDict(op["event"], webhook_pb.WebhookEvent())
    body = json_format.MessageToJson(event, indent=None)
    digest = base64.b64encode(hashlib.sha256(body.encode()).digest()).decode()
    token = (
        api.AccessToken(op["key"], op["secret"])
        .with_ttl(datetime.timedelta(seconds=op.get("ttl_seconds", 300)))
        .with_sha256(digest)
        .to_jwt()
    )
    # LiveKit's own receiver accepts what was built here.
    api.WebhookReceiver(api.TokenVerifier(op["key"], op["secret"])).receive(body, token) if op.get("ttl_seconds", 300) > 0 else None
    return {"body": body, "authorization": token}


def tool():
    results = []
    for op in json.load(sys.stdin):
        if op["op"] == "verify":
            results.append(verify(op))
        elif op["op"] == "webhook":
            results.append(sign_webhook(op))
        else:
            results.append({"ok": False, "error": f"unknown op {op['op']}"})
    json.dump(results, sys.stdout)


# --- The RoomService double -------------------------------------------------------------------

TWIRP_STATUS = {
    "not_found": 404, "bad_route": 404, "unauthenticated": 401, "permission_denied": 403,
    "invalid_argument": 400, "malformed": 400, "failed_precondition": 412, "unavailable": 503,
    "already_exists": 409, "internal": 500,
}

# method -> (request class, the grant it needs: "roomCreate", "roomList" or "roomAdmin")
METHODS = {
    "CreateRoom": (room_pb.CreateRoomRequest, "roomCreate"),
    "DeleteRoom": (room_pb.DeleteRoomRequest, "roomCreate"),
    "ListRooms": (room_pb.ListRoomsRequest, "roomList"),
    "ListParticipants": (room_pb.ListParticipantsRequest, "roomAdmin"),
    "GetParticipant": (room_pb.RoomParticipantIdentity, "roomAdmin"),
    "RemoveParticipant": (room_pb.RoomParticipantIdentity, "roomAdmin"),
    "MutePublishedTrack": (room_pb.MuteRoomTrackRequest, "roomAdmin"),
    "UpdateParticipant": (room_pb.UpdateParticipantRequest, "roomAdmin"),
}

SOURCES = {"camera": models.TrackSource.CAMERA, "microphone": models.TrackSource.MICROPHONE,
           "screen_share": models.TrackSource.SCREEN_SHARE, "screen_share_audio": models.TrackSource.SCREEN_SHARE_AUDIO}


class Twirp(Exception):
    def __init__(self, code, msg):
        super().__init__(msg)
        self.code, self.msg = code, msg


class State:
    def __init__(self, key, secret):
        self.key, self.secret = key, secret
        self.lock = threading.Lock()
        self.rooms = {}          # name -> models.Room
        self.participants = {}   # room name -> {identity: models.ParticipantInfo}
        self.calls = []          # what arrived: method, request, grants
        self.fail = None         # a Twirp code to answer every call with
        self.delay = 0.0
        self.counter = 0

    def next_sid(self, prefix):
        self.counter += 1
        return f"{prefix}_{self.counter:012d}"


def to_json(message):
    return json_format.MessageToJson(
        message, preserving_proto_field_name=True, always_print_fields_with_no_presence=True, indent=None)


def handle_call(state, method, headers, body):
    if method not in METHODS:
        raise Twirp("bad_route", f'no handler for path "/twirp/livekit.RoomService/{method}"')
    content_type = (headers.get("Content-Type") or "").split(";")[0].strip()
    if content_type != "application/json":
        raise Twirp("bad_route", f'unexpected Content-Type: "{headers.get("Content-Type")}"')
    authorization = headers.get("Authorization") or ""
    if not authorization.startswith("Bearer "):
        raise Twirp("unauthenticated", "permissions denied")
    try:
        claims = api.TokenVerifier(state.key, state.secret).verify(authorization[len("Bearer "):])
    except Exception:
        raise Twirp("unauthenticated", "permissions denied")
    request_class, grant = METHODS[method]
    try:
        request = json_format.Parse(body.decode() or "{}", request_class(), ignore_unknown_fields=True)
    except Exception:
        raise Twirp("malformed", "the json request could not be decoded")
    video = claims.video
    granted = {
        "roomCreate": bool(video and video.room_create),
        "roomList": bool(video and video.room_list),
        "roomAdmin": bool(video and video.room_admin and video.room == getattr(request, "room", None)),
    }
    with state.lock:
        state.calls.append({
            "method": method,
            "request": json.loads(to_json(request)),
            "video": dataclasses.asdict(video) if video else None,
            "identity": claims.identity,
        })
        if state.fail:
            raise Twirp(state.fail, "the test asked for failure")
        if not granted[grant]:
            raise Twirp("unauthenticated", "permissions denied")
        return dispatch(state, method, request)


def dispatch(state, method, request):
    if method == "CreateRoom":
        existing = state.rooms.get(request.name)
        if existing is None:  # get-or-create: an active room is returned unchanged
            now = time.time()
            existing = models.Room(
                sid=state.next_sid("RM"), name=request.name,
                empty_timeout=request.empty_timeout or 300, departure_timeout=request.departure_timeout or 20,
                max_participants=request.max_participants, creation_time=int(now), creation_time_ms=int(now * 1000),
                metadata=request.metadata)
            state.rooms[request.name] = existing
            state.participants.setdefault(request.name, {})
        return to_json(existing)
    if method == "DeleteRoom":
        if request.room not in state.rooms:
            raise Twirp("not_found", "requested room does not exist")
        del state.rooms[request.room]
        state.participants.pop(request.room, None)
        return to_json(room_pb.DeleteRoomResponse())
    if method == "ListRooms":
        rooms = [r for name, r in state.rooms.items() if not request.names or name in request.names]
        for r in rooms:
            r.num_participants = len(state.participants.get(r.name, {}))
        return to_json(room_pb.ListRoomsResponse(rooms=rooms))
    if method == "ListParticipants":
        people = list(state.participants.get(request.room, {}).values())
        return to_json(room_pb.ListParticipantsResponse(participants=people))
    if method == "GetParticipant":
        person = state.participants.get(request.room, {}).get(request.identity)
        if person is None:
            raise Twirp("not_found", "participant does not exist")
        return to_json(person)
    if method == "RemoveParticipant":
        people = state.participants.get(request.room)
        if people is None:
            raise Twirp("not_found", "requested room does not exist")
        if request.identity not in people:
            raise Twirp("not_found", "participant does not exist")
        del people[request.identity]
        return to_json(room_pb.RemoveParticipantResponse())
    if method == "MutePublishedTrack":
        if not request.muted:
            raise Twirp("failed_precondition", "remote unmute not enabled")
        person = state.participants.get(request.room, {}).get(request.identity)
        if person is None:
            raise Twirp("not_found", "participant does not exist")
        for track in person.tracks:
            if track.sid == request.track_sid:
                track.muted = True
                return to_json(room_pb.MuteRoomTrackResponse(track=track))
        return '{"track":null}'
    if method == "UpdateParticipant":
        person = state.participants.get(request.room, {}).get(request.identity)
        if person is None:
            raise Twirp("not_found", "participant does not exist")
        if request.HasField("permission"):
            person.permission.CopyFrom(request.permission)
        if request.name:
            person.name = request.name
        if request.metadata:
            person.metadata = request.metadata
        return to_json(person)
    raise Twirp("unimplemented", method)


def add_participant(state, spec):
    with state.lock:
        person = models.ParticipantInfo(
            sid=spec.get("sid") or state.next_sid("PA"), identity=spec["identity"], name=spec.get("name", ""),
            state=models.ParticipantInfo.State.ACTIVE, joined_at=int(time.time()))
        for source in spec.get("sources", []):
            kind = models.TrackType.VIDEO if source in ("camera", "screen_share") else models.TrackType.AUDIO
            person.tracks.append(models.TrackInfo(sid=state.next_sid("TR"), type=kind, source=SOURCES[source]))
        state.participants.setdefault(spec["room"], {})[spec["identity"]] = person
        return json.loads(to_json(person))


def twirp(key, secret):
    state = State(key, secret)

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *args):
            pass

        def reply(self, status, text, content_type="application/json"):
            data = text.encode()
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def do_GET(self):
            if self.path == "/_test/calls":
                with state.lock:
                    return self.reply(200, json.dumps(state.calls))
            if self.path == "/_test/rooms":
                with state.lock:
                    return self.reply(200, json.dumps({name: json.loads(to_json(r)) for name, r in state.rooms.items()}))
            self.reply(404, "not found", "text/plain")

        def do_POST(self):
            body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            if self.path == "/_test/participants":
                return self.reply(200, json.dumps(add_participant(state, json.loads(body))))
            if self.path == "/_test/remove":
                spec = json.loads(body)
                with state.lock:
                    state.participants.get(spec["room"], {}).pop(spec["identity"], None)
                return self.reply(200, "{}")
            if self.path == "/_test/fail":
                with state.lock:
                    state.fail = json.loads(body).get("code")
                return self.reply(200, "{}")
            if self.path == "/_test/reset":
                with state.lock:
                    state.calls.clear()
                return self.reply(200, "{}")
            prefix = "/twirp/livekit.RoomService/"
            if not self.path.startswith(prefix):
                return self.reply(404, json.dumps({"code": "bad_route", "msg": f"no handler for path \"{self.path}\""}))
            try:
                self.reply(200, handle_call(state, self.path[len(prefix):], self.headers, body))
            except Twirp as error:
                self.reply(TWIRP_STATUS.get(error.code, 500), json.dumps({"code": error.code, "msg": error.msg}))

        def do_PUT(self):
            self.reply(405, json.dumps({"code": "bad_route", "msg": "unsupported method PUT"}))

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    print(f"listening {server.server_address[1]}", flush=True)
    watch_parent()
    server.serve_forever()


def watch_parent():
    """Exits when the test process that started this double is gone (killed, crashed), so that
    no double outlives its tests."""
    parent = os.getppid()

    def watch():
        while os.getppid() == parent:
            time.sleep(1)
        os._exit(0)

    threading.Thread(target=watch, daemon=True).start()


if __name__ == "__main__":
    if sys.argv[1] == "tool":
        tool()
    elif sys.argv[1] == "twirp":
        args = dict(zip(sys.argv[2::2], sys.argv[3::2]))
        twirp(args["--key"], args["--secret"])
    else:
        sys.exit(f"unknown mode {sys.argv[1]}")
