#!/usr/bin/env python3
"""Drives EchoChat's voice channel in headless Chromium (Debian's chromium and chromium-driver).

The server runs with LiveKit enabled, the capacity strategy (2 seats per sub-room, at most 2
sub-rooms), no moderator headroom, 6 s reservations, and LiveKit's RoomService pointed at a test
double. No LiveKit server runs: people "join" LiveKit through signed webhooks, made with LiveKit's
own Python SDK, and the browsers load a stand-in of LiveKit's JS client that records connect(url,
token); the same SDK's TokenVerifier reads the tokens it got.

  a. alice creates "Voice Room"; bob, carol, dave, erin and frank join it (HTTP).
  b. bob and carol take seats (HTTP tokens, joins by webhook): alice's browser shows them in the
     roster before she joins voice, and the room list says "2 in voice".
  c. dave sits in "Voice Room(2)"; alice clicks Join beside him and her token is for Voice Room(2).
  d. Every seat taken: erin asks in her browser and is number 1 in the queue; bob leaves and her
     browser takes the offered seat by itself.
  e. carol leaves; alice moves dave to sub-room 1 with the moderator tools; erin, moved to sub-room
     2 by alice over HTTP, reconnects by herself and shows the new sub-room.
  f. alice mutes and unmutes erin, bans her from voice and lifts the ban, all in the voice panel.

Screenshots go to --artifacts. Exit 0 when every check held, 1 on a failed check.
"""

import argparse
import base64
import functools
import hashlib
import http.server
import json
import os
import signal
import sys
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid
import warnings

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

from google.protobuf import json_format  # noqa: E402
from livekit import api as livekit_api  # noqa: E402
from livekit.protocol import webhook as webhook_pb  # noqa: E402
from selenium.common.exceptions import StaleElementReferenceException  # noqa: E402
from selenium.webdriver.common.by import By  # noqa: E402
from selenium.webdriver.support.ui import Select  # noqa: E402

from web_client_test import Failure, Person, StandInHandler, check  # noqa: E402

warnings.filterwarnings("ignore")  # a short test secret makes PyJWT warn; LiveKit accepts it

ROOM = "Voice Room"
ROOM_2 = "Voice Room(2)"
PASSWORD = "voice channel password"
PEOPLE = {
    "alice": "Alice Example", "bob": "Bob Example", "carol": "Carol Example",
    "dave": "Dave Example", "erin": "Erin Example", "frank": "Frank Example",
}


# MARK: The HTTP API and LiveKit's side, beside the browsers


class Server:
    """EchoChat's HTTP API as each person uses it, and LiveKit's signed webhooks."""

    def __init__(self, args):
        self.base = args.base_url.rstrip("/")
        self.key = args.livekit_key
        self.secret = args.livekit_secret
        self.tokens = {}

    def call(self, method, path, body=None, who=None):
        """(status, JSON body or None); an error status is an answer here, not an exception."""
        data = None if body is None else json.dumps(body).encode()
        request = urllib.request.Request(self.base + path, data=data, method=method)
        request.add_header("Accept", "application/json")
        if data is not None:
            request.add_header("Content-Type", "application/json")
        if who:
            request.add_header("Authorization", f"Bearer {self.tokens[who]}")
        try:
            with urllib.request.urlopen(request, timeout=10) as response:
                text = response.read()
                return response.status, (json.loads(text) if text else None)
        except urllib.error.HTTPError as error:
            text = error.read()
            try:
                return error.code, (json.loads(text) if text else None)
            except ValueError:
                return error.code, {"raw": text.decode(errors="replace")}

    def expect(self, statuses, method, path, body=None, who=None):
        status, answer = self.call(method, path, body, who)
        check(status in statuses, f"{who or 'anyone'}: {method} {path} {json.dumps(body) if body else ''} answered {status} {answer}")
        return answer

    def room(self, suffix="", name=ROOM):
        return f"/api/rooms/{urllib.parse.quote(name, safe='')}{suffix}"

    def sign_up(self, username, display_name):
        self.expect({200, 201}, "POST", "/api/auth/register", {"username": username, "password": PASSWORD, "display_name": display_name})
        tokens = self.expect({200}, "POST", "/api/auth/login", {"username": username, "password": PASSWORD})
        self.tokens[username] = tokens["access_token"]

    def seat(self, who, room):
        """A LiveKit token, without queueing: the seat must be free."""
        grant = self.expect({200}, "POST", "/api/livekit/token", {"room": room}, who)
        check(grant.get("room") and grant.get("token") and grant.get("identity"), f"{who}'s grant: {grant}")
        return grant

    def voice(self, who="alice"):
        return self.expect({200}, "GET", self.room("/voice"), who=who)

    def webhook(self, kind, livekit_room, identity, sid):
        """What LiveKit posts when a participant joins or leaves, signed as LiveKit signs it."""
        clock = time.time()
        now = int(clock)
        participant = {"sid": sid, "identity": identity, "state": "ACTIVE" if kind == "participant_joined" else "DISCONNECTED", "tracks": []}
        if kind == "participant_joined":
            # Milliseconds matter: a join no newer than the seat's current one is taken for a late duplicate.
            participant.update(joinedAt=str(now), joinedAtMs=str(int(clock * 1000)))
        event = {
            "event": kind, "id": f"EV_{uuid.uuid4().hex[:12]}", "createdAt": str(now),
            "room": {"name": livekit_room, "sid": "RM_" + hashlib.sha1(livekit_room.encode()).hexdigest()[:10]},
            "participant": participant,
        }
        body = json_format.MessageToJson(json_format.ParseDict(event, webhook_pb.WebhookEvent()), indent=None)
        digest = base64.b64encode(hashlib.sha256(body.encode()).digest()).decode()
        token = livekit_api.AccessToken(self.key, self.secret).with_sha256(digest).to_jwt()
        # LiveKit's own receiver accepts what is sent.
        livekit_api.WebhookReceiver(livekit_api.TokenVerifier(self.key, self.secret)).receive(body, token)
        request = urllib.request.Request(self.base + "/api/livekit/webhook", data=body.encode(), method="POST")
        request.add_header("Content-Type", "application/webhook+json")
        request.add_header("Authorization", token)
        try:
            with urllib.request.urlopen(request, timeout=10) as response:
                status = response.status
        except urllib.error.HTTPError as error:
            status = error.code
        check(status == 200, f"the {kind} webhook for {identity} in {livekit_room} answered {status}")

    def claims(self, token):
        return livekit_api.TokenVerifier(self.key, self.secret).verify(token)


def seat_of(voice, username):
    """(sub-room index, participant entry) of a username in GET …/voice, or (None, None)."""
    for subroom in voice.get("subrooms", []):
        for person in subroom.get("participants", []):
            if person.get("username") == username:
                return subroom["index"], person
    return None, None


def poll(condition, what, timeout=5.0, interval=0.1):
    """Polls an HTTP condition; the last value is kept for the failure message."""
    deadline = time.monotonic() + timeout
    last = None
    while True:
        last = condition()
        if last:
            return last
        if time.monotonic() > deadline:
            raise Failure(f"timed out waiting for {what}")
        time.sleep(interval)


# MARK: The browser


class Voicer(Person):
    """A person in a browser, signed in with an account made over HTTP."""

    def sign_in(self, username):
        self.driver.get(self.base_url + "/")
        self.wait(lambda: self.visible("#auth-view"), "the sign-in screen")
        self.find("#login-username").send_keys(username)
        self.find("#login-password").send_keys(PASSWORD)
        self.find("#login-form button[type=submit]").click()
        self.wait(lambda: self.visible("#app-view"), f"the app after {username} signed in")
        self.wait(lambda: self.find("#connection-status").get_attribute("data-state") == "online", "the live connection")

    def connects(self):
        """The stand-in's connect calls: {call, url, token}."""
        return [call for call in self.js("return window.__livekitStandIn?.calls ?? []") if call["call"] == "connect"]

    def calls(self):
        return self.js("return window.__livekitStandIn?.calls ?? []")

    def roster(self):
        """The voice panel's roster: {sub-room name: {username: [badges], ...}}, with the index too."""
        return self.js(
            """
            const out = {};
            for (const subroom of document.querySelectorAll('#voice-occupancy > li.subroom')) {
              const people = {};
              for (const person of subroom.querySelectorAll('li.voice-person[data-username]')) {
                people[person.dataset.username] = [...person.querySelectorAll(':scope > .badge')].map((b) => b.textContent);
              }
              out[subroom.querySelector('.subroom-name').textContent] = { index: Number(subroom.dataset.subroom), people };
            }
            return out;
            """)

    def people_in_voice(self):
        return {name for subroom in self.roster().values() for name in subroom["people"]}

    def in_voice_badge(self, room=ROOM):
        return self.js(
            "const b = document.querySelector(`.room-link[data-room=\"${arguments[0]}\"] .badge.in-voice`); return b ? b.textContent : null", room)

    def button(self, css):
        try:
            elements = self.driver.find_elements(By.CSS_SELECTOR, css)
            return elements[0] if elements and elements[0].is_displayed() and elements[0].is_enabled() else None
        except StaleElementReferenceException:
            return None  # re-rendered by a roster event meanwhile: looked for again

    def press(self, css, what):
        """Clicks the button `css` once it is there, looking again when a re-render replaced it."""
        for _ in range(5):
            try:
                self.wait(lambda: self.button(css), what).click()
                return
            except StaleElementReferenceException:
                continue
        raise Failure(f"{self.name}: {what} kept being replaced before it could be clicked")

    def announced(self):
        return self.text("#announcer")


# MARK: The scenario


def run(args):
    stand_in = http.server.ThreadingHTTPServer(("127.0.0.1", args.standin_port), functools.partial(StandInHandler, directory=HERE))
    threading.Thread(target=stand_in.serve_forever, daemon=True).start()
    server = Server(args)
    people = []
    try:
        # a. Accounts and the room, over HTTP.
        for username, display_name in PEOPLE.items():
            server.sign_up(username, display_name)
        room = server.expect({200, 201}, "POST", "/api/rooms", {"name": ROOM, "topic": "Talk here"}, "alice")
        check(room["name"] == ROOM and room.get("voice", {}).get("enabled"), f"a new room has voice: {room}")
        for username in ("bob", "carol", "dave", "erin", "frank"):
            server.expect({200, 201}, "POST", server.room("/join"), who=username)
        listed = {entry["name"]: entry for entry in server.expect({200}, "GET", "/api/rooms", who="alice")["rooms"]}
        check(listed[ROOM].get("in_voice", 0) == 0, f"nobody in voice yet: {listed[ROOM]}")
        print(f"setup: alice created {ROOM}; bob, carol, dave, erin and frank joined it")

        # b. alice watches the roster, not in voice herself, while bob and carol take seats.
        alice = Voicer("alice", args.base_url, args)
        people.append(alice)
        alice.sign_in("alice")
        alice.open_room(ROOM)
        alice.wait(lambda: alice.visible("#voice-join"), "alice's join-voice button")
        alice.wait(lambda: alice.visible("#voice-occupancy-empty"), "'nobody is in voice' before anyone joined")
        check(alice.in_voice_badge() is None, "no 'in voice' count beside an empty voice channel")
        bob_grant = server.seat("bob", ROOM)
        check(bob_grant["room"] == ROOM and bob_grant["subroom"] == 1, f"bob's seat: {bob_grant}")
        server.webhook("participant_joined", ROOM, bob_grant["identity"], "PA_bob")
        carol_grant = server.seat("carol", ROOM)
        check(carol_grant["room"] == ROOM, f"carol's seat: {carol_grant}")
        # Holding a token, not connected yet: "joining" (the reservation lasts 6 s).
        alice.wait(lambda: "joining" in alice.roster().get(ROOM, {}).get("people", {}).get("carol", []), "carol shown as joining", timeout=5)
        server.webhook("participant_joined", ROOM, carol_grant["identity"], "PA_carol")
        alice.wait(lambda: (lambda r: set(r.get(ROOM, {}).get("people", {})) == {"bob", "carol"}
                            and "joining" not in r[ROOM]["people"]["carol"])(alice.roster()), "bob and carol in alice's roster")
        alice.wait(lambda: alice.in_voice_badge() == "2 in voice", "'2 in voice' in alice's room list")
        check(not alice.connects(), "alice has not connected to LiveKit")
        check(alice.visible("#voice-join") and "Not in voice" in alice.text("#voice-where"), "alice is not in voice")
        roster_text = alice.text("#voice-occupancy")
        check("Bob Example" in roster_text and "Carol Example" in roster_text, f"display names in the roster: {roster_text!r}")
        check(alice.button('#voice-occupancy button.voice-join-with[data-username="bob"]'), "a Join button beside bob")
        check(alice.button('#voice-occupancy button.voice-moderate[data-username="bob"]'), "the owner's Moderate button beside bob")
        check(alice.visible("#voice-bans"), "the owner sees the voice bans")
        alice.screenshot("01-roster-before-joining")
        print("roster: bob and carol shown before joining; the room list says 2 in voice")

        # c. dave sits in sub-room 2; alice joins him from the roster.
        dave_grant = server.seat("dave", ROOM_2)
        check(dave_grant["room"] == ROOM_2 and dave_grant["subroom"] == 2, f"dave asked for {ROOM_2}: {dave_grant}")
        server.webhook("participant_joined", ROOM_2, dave_grant["identity"], "PA_dave")
        alice.wait(lambda: "dave" in alice.roster().get(ROOM_2, {}).get("people", {}), "dave in Voice Room(2) in alice's roster")
        alice.press('#voice-occupancy button.voice-join-with[data-username="dave"]', "the Join button beside dave")
        alice.wait(lambda: alice.connects(), "alice's LiveKit connect call")
        connect = alice.connects()[0]
        claims = server.claims(connect["token"])
        check(connect["url"] == args.livekit_url, f"connect got url {connect['url']!r}, expected {args.livekit_url!r}")
        check(claims.video.room == ROOM_2 and claims.video.room_join, f"alice's token is for {ROOM_2}: {claims.video}")
        server.webhook("participant_joined", ROOM_2, claims.identity, "PA_alice")
        alice.wait(lambda: f"In voice: {ROOM_2}" in alice.text("#voice-where"), "alice's sub-room in the panel")
        alice.wait(lambda: set(alice.roster().get(ROOM_2, {}).get("people", {})) == {"alice", "dave"}, "alice beside dave in the roster")
        check(not alice.driver.find_elements(By.CSS_SELECTOR, "#voice-occupancy button.voice-join-with"), "no Join buttons once in voice")
        alice.wait(lambda: alice.in_voice_badge() == "4 in voice", "'4 in voice' in alice's room list")
        alice.screenshot("02-joined-beside-dave")
        print(f"friends: alice joined dave in {ROOM_2}")

        # d. Every seat taken: erin queues, and takes the seat bob leaves.
        voice = server.voice()
        check(sum(len(subroom["participants"]) for subroom in voice["subrooms"]) == 4, f"4 seats held: {voice}")
        erin = Voicer("erin", args.base_url, args)
        people.append(erin)
        erin.sign_in("erin")
        erin.wait(lambda: erin.in_voice_badge() == "4 in voice", "'4 in voice' in erin's room list (GET /api/rooms)")
        erin.open_room(ROOM)
        erin.wait(lambda: erin.people_in_voice() == {"bob", "carol", "dave", "alice"}, "the four in erin's roster")
        check(not erin.driver.find_elements(By.CSS_SELECTOR, "#voice-occupancy button.voice-moderate"), "no moderator tools for a member")
        check(not erin.visible("#voice-bans"), "no voice bans for a member")
        erin.find("#voice-join").click()
        erin.wait(lambda: erin.visible("#voice-queue") and "You are number 1 in the queue" in erin.text("#voice-queue-position"), "erin's place in the queue")
        check(erin.visible("#voice-queue-leave"), "a Leave queue button")
        check(not erin.visible("#voice-join"), "no join button while queued")
        check(not erin.connects(), "erin did not connect while queued")
        queued = server.voice("erin")
        check(queued.get("my_queue_position") == 1 and queued.get("queue_length") == 1, f"the server has erin first in the queue: {queued}")
        erin.screenshot("03-queued")
        server.webhook("participant_left", ROOM, bob_grant["identity"], "PA_bob")
        erin.wait(lambda: erin.connects(), "erin's browser to take the offered seat")
        connect = erin.connects()[0]
        claims = server.claims(connect["token"])
        check(connect["url"] == args.livekit_url, f"the offered seat's url: {connect['url']!r}")
        check(claims.video.room == ROOM and claims.video.room_join, f"erin's offered token is for {ROOM}: {claims.video}")
        server.webhook("participant_joined", ROOM, claims.identity, "PA_erin")
        erin.wait(lambda: f"In voice: {ROOM} (sub-room 1)" in erin.text("#voice-where"), "erin's sub-room in the panel")
        erin.wait(lambda: not erin.visible("#voice-queue"), "the queue notice to go")
        erin.wait(lambda: "erin" in erin.roster().get(ROOM, {}).get("people", {}) and "bob" not in erin.people_in_voice(), "erin in bob's place")
        print("queue: erin was number 1 and joined when offered")

        # e. carol leaves; alice moves dave into sub-room 1 with the moderator tools.
        server.webhook("participant_left", ROOM, carol_grant["identity"], "PA_carol")
        alice.wait(lambda: "carol" not in alice.people_in_voice(), "carol gone from alice's roster")
        alice.press('#voice-occupancy button.voice-moderate[data-username="dave"]', "the Moderate button beside dave")
        alice.wait(lambda: alice.visible("#voice-mod"), "the moderation tools for dave")
        check("dave" in alice.text("#voice-mod-title"), f"the tools name dave: {alice.text('#voice-mod-title')!r}")
        check(alice.find("#voice-occupancy").find_elements(By.CSS_SELECTOR, '#voice-mod'), "the tools open beside dave's entry")
        targets = {option.get_attribute("value"): option.text for option in Select(alice.find("#voice-move-target")).options}
        check(targets.get("1") == ROOM and "2" not in targets, f"move targets: {targets}")
        alice.screenshot("04-moderator-tools")
        Select(alice.find("#voice-move-target")).select_by_value("1")
        alice.find("#voice-move").click()
        moved = poll(lambda: (lambda v: v if seat_of(v, "dave")[0] == 1 else None)(server.voice()), "dave's seat in sub-room 1")
        check(seat_of(moved, "dave")[1].get("state") == "reserved", f"dave holds a reserved seat in sub-room 1: {moved}")
        alice.wait(lambda: not alice.visible("#voice-mod"), "the tools to close after the move")
        check("error" not in (alice.find("#voice-status").get_attribute("class") or ""), f"no error: {alice.text('#voice-status')!r}")
        # LiveKit reports the old connection gone (the RoomService double removed it).
        server.webhook("participant_left", ROOM_2, dave_grant["identity"], "PA_dave")
        print("move: alice moved dave to sub-room 1 with the moderator tools")

        # ... and erin, in a browser, moved to sub-room 2 over HTTP, reconnects by herself.
        server.expect({204}, "POST", server.room("/voice/move"), {"username": "erin", "subroom": 2}, "alice")
        erin.wait(lambda: len(erin.connects()) >= 2, "erin's browser to reconnect after the move")
        connect = erin.connects()[1]
        claims = server.claims(connect["token"])
        check(claims.video.room == ROOM_2 and claims.video.room_join, f"erin's new token is for {ROOM_2}: {claims.video}")
        calls = [call["call"] for call in erin.calls()]
        check("disconnect" in calls[calls.index("connect") + 1:], f"the old LiveKit room was left first: {calls}")
        server.webhook("participant_left", ROOM, claims.identity, "PA_erin")
        server.webhook("participant_joined", ROOM_2, claims.identity, "PA_erin_2")
        erin.wait(lambda: f"In voice: {ROOM_2} (sub-room 2)" in erin.text("#voice-where"), "erin's new sub-room in the panel")
        erin.wait(lambda: erin.text("#voice-subroom") == ROOM_2, "the new sub-room beside the heading")
        erin.wait(lambda: erin.announced() == f"A moderator moved you to {ROOM_2}", "the move announced")
        erin.wait(lambda: "erin" in erin.roster().get(ROOM_2, {}).get("people", {}), "erin in Voice Room(2) in her roster")
        erin.screenshot("05-moved")
        print(f"move: erin moved to {ROOM_2}")

        # f. Mute, unmute, a voice ban and its lifting, in alice's voice panel.
        alice.press('#voice-occupancy button.voice-moderate[data-username="erin"]', "the Moderate button beside erin")
        alice.wait(lambda: alice.visible("#voice-mod") and alice.text("#voice-mod-mute") == "Mute", "the Mute button for erin")
        alice.find("#voice-mod-mute").click()
        poll(lambda: (seat_of(server.voice(), "erin")[1] or {}).get("voice_muted"), "erin's voice mute on the server")
        erin.wait(lambda: "server-muted" in erin.roster().get(ROOM_2, {}).get("people", {}).get("erin", []), "erin shown server-muted")
        alice.wait(lambda: alice.text("#voice-mod-mute") == "Unmute", "the Unmute button")
        alice.find("#voice-mod-mute").click()
        poll(lambda: not (seat_of(server.voice(), "erin")[1] or {"voice_muted": True}).get("voice_muted"), "erin's mute lifted")
        alice.wait(lambda: "server-muted" not in alice.roster().get(ROOM_2, {}).get("people", {}).get("erin", ["server-muted"]), "erin no longer server-muted")
        alice.find("#voice-ban-reason").send_keys("testing voice bans")
        alice.find("#voice-ban").click()
        bans = poll(lambda: server.expect({200}, "GET", server.room("/voice/bans"), who="alice")["bans"], "erin's voice ban")
        check([ban["username"] for ban in bans] == ["erin"] and bans[0].get("reason") == "testing voice bans", f"the voice bans: {bans}")
        if not alice.find("#voice-bans").get_attribute("open"):
            alice.find("#voice-bans summary").click()
        alice.wait(lambda: "testing voice bans" in alice.text("#voice-ban-list"), "the ban in alice's voice bans")
        alice.screenshot("06-voice-bans")
        status, refused = server.call("POST", "/api/livekit/token", {"room": ROOM, "queue": True}, "erin")
        check(status == 403 and (refused or {}).get("error", {}).get("code") == "voice_banned", f"a banned token request: {status} {refused}")
        alice.find('#voice-ban-list button[aria-label="Lift the voice ban on erin"]').click()
        alice.wait(lambda: not alice.driver.find_elements(By.CSS_SELECTOR, "#voice-ban-list li"), "the voice ban to be lifted")
        check(server.expect({200}, "GET", server.room("/voice/bans"), who="alice")["bans"] == [], "no voice bans left")
        print("moderation: alice muted, unmuted, banned from voice and lifted the ban on erin in the voice panel")

        # The roster on a phone: the details drawer holds it, within the screen.
        erin.driver.set_window_size(390, 844)
        time.sleep(0.3)
        erin.find("#details-toggle").click()
        erin.wait(lambda: erin.find("#room-panel").rect["x"] >= 0, "the details drawer to open")
        time.sleep(0.4)
        box = erin.find("#voice-occupancy").rect
        check(box["x"] >= 0 and box["x"] + box["width"] <= 390 + 1, f"the roster fits a phone's width: {box}")
        erin.screenshot("07-phone-roster")

        # Nothing the browser reported as an error: no CSP violation, no script error.
        for person in people:
            person.collect_console()
            problems = [entry["message"] for entry in person.console
                        if entry["level"] == "SEVERE" and ("Content Security Policy" in entry["message"] or "Uncaught" in entry["message"])]
            check(not problems, f"{person.name}'s browser reported: {problems}")
        print(f"screenshots in {args.artifacts}")
    finally:
        for person in people:
            person.quit()
        stand_in.shutdown()


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--base-url", required=True)
    parser.add_argument("--standin-port", type=int, required=True)
    parser.add_argument("--artifacts", required=True)
    parser.add_argument("--livekit-url", required=True)
    parser.add_argument("--livekit-key", required=True)
    parser.add_argument("--livekit-secret", required=True)
    parser.add_argument("--chromium", default="/usr/bin/chromium")
    parser.add_argument("--chromedriver", default="/usr/bin/chromedriver")
    args = parser.parse_args()
    # A test runner's timeout sends SIGTERM: quit the browsers on the way out.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    for path in (args.chromium, args.chromedriver):
        if not os.access(path, os.X_OK):
            print(f"{path} is missing: scripts/test installs Debian's chromium and chromium-driver", file=sys.stderr)
            return 2
    try:
        run(args)
    except Failure as failure:
        print(f"FAILED: {failure}", file=sys.stderr)
        return 1
    print("voice channel: every check passed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
