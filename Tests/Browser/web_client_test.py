#!/usr/bin/env python3
"""Drives EchoChat's web client in headless Chromium (Debian's chromium and chromium-driver).

Two people register, chat in one room and see each other's messages live, each author shown with
the @username beside the display name and the room role; they react to a message with emoji and
see each other's reactions come and go live; one replies to a message and the other answers in its
thread panel, the quotes and reply counts reaching both live; scroll-back loads the
oldest history; a dropped connection (cut at a TCP relay) catches up on what was said meanwhile;
the voice panel hands the token and url EchoChat minted to the LiveKit client (a stand-in that
records the call; LiveKit's own Python SDK verifies the token). Screenshots of the main screens go
to --artifacts. Exit 0 when every check held.
"""

import argparse
import functools
import http.server
import json
import os
import signal
import socket
import sys
import threading
import time
import urllib.request

from livekit import api as livekit_api
from selenium import webdriver
from selenium.common.exceptions import StaleElementReferenceException, TimeoutException
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.action_chains import ActionChains
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.support.ui import Select, WebDriverWait

HERE = os.path.dirname(os.path.abspath(__file__))
WAIT = 20
ROOM = "Team Room"
HISTORY = 120


class Failure(Exception):
    pass


def check(condition, message):
    if not condition:
        raise Failure(message)


# MARK: Helpers that run beside the browser


class StandInHandler(http.server.SimpleHTTPRequestHandler):
    """Serves the LiveKit stand-in the way a CDN serves a script: with CORS."""

    def end_headers(self):
        self.send_header("Access-Control-Allow-Origin", "*")
        super().end_headers()

    def log_message(self, *args):
        pass


class Relay:
    """A TCP relay in front of EchoChat that can cut every connection and refuse new ones."""

    def __init__(self, target_port):
        self.target_port = target_port
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        self.cut = threading.Event()
        self.lock = threading.Lock()
        self.sockets = set()
        threading.Thread(target=self.accept, daemon=True).start()

    def accept(self):
        while True:
            try:
                client, _ = self.listener.accept()
            except OSError:
                return
            if self.cut.is_set():
                client.close()
                continue
            try:
                upstream = socket.create_connection(("127.0.0.1", self.target_port))
            except OSError:
                client.close()
                continue
            with self.lock:
                self.sockets.update((client, upstream))
            for source, sink in ((client, upstream), (upstream, client)):
                threading.Thread(target=self.pump, args=(source, sink), daemon=True).start()

    def pump(self, source, sink):
        try:
            while True:
                data = source.recv(65536)
                if not data:
                    break
                sink.sendall(data)
        except OSError:
            pass
        finally:
            for end in (source, sink):
                try:
                    end.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass

    def drop_all(self):
        self.cut.set()
        with self.lock:
            for end in self.sockets:
                try:
                    end.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass
            self.sockets.clear()

    def restore(self):
        self.cut.clear()


def http_json(method, url, body=None, token=None):
    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(url, data=data, method=method)
    if data is not None:
        request.add_header("Content-Type", "application/json")
    if token:
        request.add_header("Authorization", f"Bearer {token}")
    with urllib.request.urlopen(request, timeout=10) as response:
        text = response.read()
        return response.status, (json.loads(text) if text else None)


# MARK: The browser


class Person:
    def __init__(self, name, base_url, args):
        self.name = name
        self.base_url = base_url
        self.artifacts = args.artifacts
        options = webdriver.ChromeOptions()
        options.binary_location = args.chromium
        for flag in (
            "--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu", "--no-first-run",
            "--disable-extensions", "--mute-audio", "--window-size=1280,860",
            "--use-fake-ui-for-media-stream", "--use-fake-device-for-media-stream",
        ):
            options.add_argument(flag)
        options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
        self.driver = webdriver.Chrome(service=Service(args.chromedriver), options=options)
        self.driver.set_page_load_timeout(30)
        self.console = []

    def quit(self):
        try:
            self.driver.quit()
        except Exception:
            pass

    def wait(self, condition, what, timeout=WAIT):
        try:
            # The page re-renders lists as events arrive: an element found a moment ago may be gone.
            return WebDriverWait(self.driver, timeout, poll_frequency=0.1, ignored_exceptions=(StaleElementReferenceException,)).until(
                lambda _: condition())
        except TimeoutException:
            self.screenshot(f"failed-{self.name}")
            raise Failure(f"{self.name}: timed out waiting for {what}")

    def find(self, css):
        return self.driver.find_element(By.CSS_SELECTOR, css)

    def visible(self, css):
        elements = self.driver.find_elements(By.CSS_SELECTOR, css)
        return bool(elements) and elements[0].is_displayed()

    def text(self, css):
        return self.find(css).text

    def js(self, script, *args):
        return self.driver.execute_script(script, *args)

    def screenshot(self, name):
        os.makedirs(self.artifacts, exist_ok=True)
        self.driver.save_screenshot(os.path.join(self.artifacts, f"{name}.png"))

    def message_ids(self):
        return self.js("return [...document.querySelectorAll('#message-list > li')].map((li) => Number(li.dataset.id))")

    def message_texts(self):
        return self.js("return [...document.querySelectorAll('#message-list .message-body')].map((p) => p.textContent)")

    def has_message(self, text):
        return text in self.message_texts()

    def author_of(self, text):
        """The author line seen above the message with this text: name, the @username beside it,
        badges. A message that continues its author's group shows it at the group's head."""
        return self.js(
            """
            const item = [...document.querySelectorAll('#message-list > li')]
              .find((li) => li.querySelector('.message-body')?.textContent === arguments[0]);
            if (!item) return null;
            const wrong = (error) => ({ name: null, handle: null, badges: [], error });
            let head = item;
            while (head.classList.contains('continued')) {
              head = head.previousElementSibling;
              if (!head || head.dataset.author !== item.dataset.author) return wrong('a continued message under someone else');
            }
            const meta = head.querySelector(':scope > .message-meta');
            if (!head.classList.contains('group-start') || meta.getBoundingClientRect().height <= 2) return wrong('no header seen');
            const author = meta.querySelector('.author');
            const next = author.nextElementSibling;
            return {
              name: author.textContent,
              handle: next && next.classList.contains('handle') ? next.textContent : null,
              badges: [...meta.querySelectorAll('.author-badges .badge')].map((badge) => badge.textContent),
            };
            """, text)

    def message_item(self, text):
        return self.driver.find_element(
            By.XPATH, f"//li[contains(@class,'message')][.//p[@class='message-body' and text()='{text}']]")

    def reactions_of(self, text):
        """The reaction chips under the message with this text: [("👍 2", pressed)], in order."""
        return [tuple(chip) for chip in self.js(
            """
            const item = [...document.querySelectorAll('#message-list > li')]
              .find((li) => li.querySelector('.message-body')?.textContent === arguments[0]);
            if (!item) return [];
            return [...item.querySelectorAll('.reactions button.reaction')]
              .map((chip) => [chip.textContent, chip.getAttribute('aria-pressed') === 'true']);
            """, text)]

    def reaction_chip(self, text, emoji):
        return self.message_item(text).find_element(By.CSS_SELECTOR, f'.reactions button.reaction[data-emoji="{emoji}"]')

    def picker_open(self):
        return bool(self.driver.find_elements(By.CSS_SELECTOR, "#message-list .reaction-picker"))

    def quote_of(self, text):
        """The quote above the message with this text: {"author", "text"} (author None when deleted), or None."""
        return self.js(
            """
            const item = [...document.querySelectorAll('#message-list > li')]
              .find((li) => li.querySelector('.message-body')?.textContent === arguments[0]);
            const quote = item?.querySelector('.reply-quote');
            if (!quote) return null;
            return {
              author: quote.querySelector('.reply-quote-author')?.textContent ?? null,
              text: quote.querySelector('.reply-quote-text').textContent,
            };
            """, text)

    def thread_link(self, text):
        """The "N replies" link under the message with this text, as text, or None."""
        return self.js(
            """
            const item = [...document.querySelectorAll('#message-list > li')]
              .find((li) => li.querySelector('.message-body')?.textContent === arguments[0]);
            return item?.querySelector('.thread-summary .thread-link')?.textContent ?? null;
            """, text)

    def thread_texts(self):
        return self.js("return [...document.querySelectorAll('#thread-replies .message-body')].map((p) => p.textContent)")

    def access_token(self):
        return self.js("return JSON.parse(localStorage.getItem('echochat.session')).access_token")

    def collect_console(self):
        self.console += self.driver.get_log("browser")

    def register(self, username, display_name, password):
        self.driver.get(self.base_url + "/")
        self.wait(lambda: self.visible("#auth-view"), "the sign-in screen")
        self.find("#tab-register").click()
        self.find("#register-username").send_keys(username)
        self.find("#register-display-name").send_keys(display_name)
        self.find("#register-password").send_keys(password)
        self.find("#register-confirm").send_keys(password)
        self.find("#register-form button[type=submit]").click()
        self.wait(lambda: self.visible("#app-view"), "the app after registering")
        self.wait(lambda: self.find("#connection-status").get_attribute("data-state") == "online", "the live connection")

    def open_room(self, name):
        self.find("#room-search").clear()
        self.find("#room-search").send_keys(name.split()[0])
        link = self.wait(lambda: self.driver.find_elements(By.CSS_SELECTOR, f'.room-link[data-room="{name}"]'), f"{name} in the room list")
        link[0].click()
        self.wait(lambda: self.text("#room-title") == name, f"{name} to open")

    def message_button(self, text, label):
        """A button of the message's toolbar ("Reply", "Edit", "Delete"), with the pointer over the
        message: the toolbar shows while it is there (or the focus is in the message)."""
        item = self.message_item(text)
        ActionChains(self.driver).move_to_element(item).perform()
        button = item.find_element(By.XPATH, f".//div[contains(@class,'message-actions')]/button[@data-action='{label.lower()}']")
        self.wait(button.is_displayed, f"the {label} button over the message")
        return button

    def open_member(self, username):
        self.find(f'#member-list button.member[data-username="{username}"]').click()
        self.wait(lambda: self.visible("#member-dialog"), f"the dialog for {username}")

    def say(self, text):
        box = self.find("#composer-input")
        box.send_keys(text)
        box.send_keys(Keys.ENTER)


# MARK: The scenario


def run(args):
    stand_in = http.server.ThreadingHTTPServer(("127.0.0.1", args.standin_port), functools.partial(StandInHandler, directory=HERE))
    threading.Thread(target=stand_in.serve_forever, daemon=True).start()
    relay = Relay(int(args.base_url.rsplit(":", 1)[1]))
    people = []
    try:
        alice = Person("alice", args.base_url, args)
        people.append(alice)
        bob = Person("bob", f"http://127.0.0.1:{relay.port}", args)
        people.append(bob)

        # Signing up, and the first screens.
        alice.driver.get(args.base_url + "/")
        alice.wait(lambda: alice.visible("#auth-view"), "the sign-in screen")
        alice.screenshot("01-sign-in")
        alice.register("alice", "Alice Example", "correct horse battery")
        check(alice.text("#me") == "Alice Example (@alice)", f"alice's name in the top bar: {alice.text('#me')!r}")
        bob.register("bob", "Bob Example", "another good password")
        print("registered alice and bob in the browser")

        # Alice creates the room in the dialog.
        alice.find("#new-room").click()
        alice.wait(lambda: alice.visible("#room-dialog"), "the new-room dialog")
        alice.find("#room-name").send_keys(ROOM)
        alice.find("#room-topic-input").send_keys("Where the team talks")
        alice.screenshot("02-new-room-dialog")
        alice.find("#room-save").click()
        alice.wait(lambda: alice.text("#room-title") == ROOM, "the new room to open")
        alice.wait(lambda: "owner" in alice.text("#member-list"), "alice listed as owner")

        # History to scroll back through, posted over the API with alice's own session.
        token = alice.access_token()
        room_url = f"{args.base_url}/api/rooms/{urllib.request.quote(ROOM)}"
        for number in range(1, HISTORY + 1):
            status, _ = http_json("POST", f"{room_url}/messages", {"body": f"history {number:03d}"}, token)
            check(status == 201, f"posting history answered {status}")
        alice.wait(lambda: alice.has_message(f"history {HISTORY:03d}"), "alice to see her posts arrive live")

        # Bob finds the room by searching, joins, and scrolls back to the start.
        bob.open_room(ROOM)
        check(bob.visible("#room-join"), "a join button for a room bob is not in")
        bob.screenshot("03-room-before-joining")
        bob.find("#room-join").click()
        bob.wait(lambda: bob.find("#composer-input").is_enabled(), "bob's message box after joining")
        bob.wait(lambda: bob.has_message(f"history {HISTORY:03d}"), "the newest history")
        check(not bob.has_message("history 001"), "the first page should not reach the oldest message")
        for _ in range(10):
            if bob.has_message("history 001"):
                break
            bob.js("document.getElementById('messages').scrollTop = 0")
            time.sleep(0.4)
        bob.wait(lambda: bob.has_message("history 001"), "scroll-back to reach the first message")
        bob.wait(lambda: bob.visible("#history-start"), "the start-of-history marker")
        texts = [text for text in bob.message_texts() if text.startswith("history ")]
        check(texts == [f"history {n:03d}" for n in range(1, HISTORY + 1)], f"scroll-back shows every message once, in order ({len(texts)} shown)")
        ids = bob.message_ids()
        check(ids == sorted(set(ids)), "message ids in the list increase and never repeat")
        # Alice's 120 posts within a few minutes read as one group, its header on the oldest, across
        # the pages loaded one before the other (unless the day changed meanwhile).
        starts = bob.js("return [...document.querySelectorAll('#message-list > li.group-start')].map((li) => li.querySelector('.message-body').textContent)")
        days = bob.js("return [...document.querySelectorAll('#message-list .day-divider')].map((line) => line.textContent)")
        check(starts == ["history 001"] and days == ["Today"] or len(days) > 1, f"one group under one day's line: {starts}, {days}")
        bob.screenshot("04-scroll-back")
        print(f"scroll-back: {len(texts)} history messages, in order")

        # Live chat both ways.
        alice.wait(lambda: "bob" in alice.text("#member-list").lower(), "bob in alice's member list")
        alice.say("Hello Bob, welcome to the team room!")
        bob.wait(lambda: bob.has_message("Hello Bob, welcome to the team room!"), "alice's message to reach bob live")
        bob.say("Thanks Alice, glad to be here.")
        alice.wait(lambda: alice.has_message("Thanks Alice, glad to be here."), "bob's reply to reach alice live")
        check(alice.message_texts().count("Hello Bob, welcome to the team room!") == 1, "alice sees her own message once")
        # A display name is never shown alone: the @username goes beside it, and the room role too.
        author = bob.wait(lambda: (lambda a: a if a and a["badges"] else None)(bob.author_of("Hello Bob, welcome to the team room!")), "alice's author line")
        check(author == {"name": "Alice Example", "handle": "@alice", "badges": ["owner"]}, f"alice's message as bob sees it: {author}")
        author = alice.author_of("Thanks Alice, glad to be here.")
        check(author == {"name": "Bob Example", "handle": "@bob", "badges": []}, f"bob's message as alice sees it: {author}")
        members = alice.text("#member-list")
        check("Bob Example @bob" in members and "Alice Example @alice" in members, f"names with @username in the member list: {members!r}")
        alice.screenshot("05-chat-alice")
        bob.screenshot("06-chat-bob")
        print("live chat: both saw each other's messages")

        # Reactions: alice picks 👍 from the picker, bob sees it live and adds his, alice takes hers back.
        greeting = "Hello Bob, welcome to the team room!"
        add = alice.message_item(greeting).find_element(By.CSS_SELECTOR, "button.add-reaction")
        check(add.get_attribute("aria-label").startswith("Add a reaction to the message by Alice Example"), f"the add button's label: {add.get_attribute('aria-label')!r}")
        alice.js("arguments[0].focus()", add)
        alice.driver.switch_to.active_element.send_keys(Keys.ENTER)  # reachable from the keyboard
        alice.wait(alice.picker_open, "the reaction picker to open from the keyboard")
        check(add.get_attribute("aria-expanded") == "true", "the add button says the picker is open")
        choices = alice.js("return [...document.querySelectorAll('#message-list .reaction-picker button')].map((b) => b.getAttribute('aria-label'))")
        check(len(choices) == 12 and "React with 👍" in choices, f"the picker's choices: {choices}")
        check(alice.js("return document.activeElement.getAttribute('aria-label')") == "React with 👍", "the focus is on the first emoji")
        alice.driver.switch_to.active_element.send_keys(Keys.ESCAPE)
        alice.wait(lambda: not alice.picker_open(), "Escape to close the picker")
        check(alice.js("return document.activeElement.classList.contains('add-reaction')"), "the focus is back on the add button")
        add.click()
        alice.wait(alice.picker_open, "the reaction picker to open")
        alice.find('#message-list .reaction-picker button[aria-label="React with 👍"]').click()
        alice.wait(lambda: not alice.picker_open(), "the picker to close on a choice")
        alice.wait(lambda: alice.reactions_of(greeting) == [("👍 1", True)], "alice's 👍 on her message")
        bob.wait(lambda: bob.reactions_of(greeting) == [("👍 1", False)], "alice's 👍 to reach bob live")
        check(bob.reaction_chip(greeting, "👍").get_attribute("aria-label") == "React with 👍 (1 reaction)", "the chip's label")
        bob.reaction_chip(greeting, "👍").click()
        bob.wait(lambda: bob.reactions_of(greeting) == [("👍 2", True)], "bob's own 👍 counted once")
        alice.wait(lambda: alice.reactions_of(greeting) == [("👍 2", True)], "bob's 👍 to reach alice live")
        alice.reaction_chip(greeting, "👍").click()
        alice.wait(lambda: alice.reactions_of(greeting) == [("👍 1", False)], "alice's 👍 taken back")
        bob.wait(lambda: bob.reactions_of(greeting) == [("👍 1", True)], "alice taking hers back to reach bob live")
        time.sleep(0.5)  # nothing counted twice once the events have settled
        check(alice.reactions_of(greeting) == [("👍 1", False)] and bob.reactions_of(greeting) == [("👍 1", True)],
              f"after settling: alice {alice.reactions_of(greeting)}, bob {bob.reactions_of(greeting)}")
        _, page = http_json("GET", f"{room_url}/messages?limit=5", token=bob.access_token())
        stored = next(message for message in page["messages"] if message["body"] == greeting)["reactions"]
        check(stored == [{"emoji": "👍", "count": 1, "me": True}], f"the server agrees: {stored}")
        alice.screenshot("05b-reactions-alice")
        bob.screenshot("06b-reactions-bob")
        print("reactions: alice and bob reacted live")

        # Replies: bob replies to alice's greeting from his message box; alice sees the quote and
        # "1 reply" live, follows the quote to the original, opens the thread and answers there.
        reply = "Count me in for the release notes."
        answer = "Great, the notes are yours Bob."
        bob.message_button(greeting, "Reply").click()
        bob.wait(lambda: bob.visible("#reply-bar"), "the reply bar above bob's message box")
        check(bob.text("#reply-bar-text") == f"Replying to Alice Example (@alice): {greeting}", f"the reply bar: {bob.text('#reply-bar-text')!r}")
        check(bob.js("return document.activeElement.id") == "composer-input", "the focus goes to the message box")
        bob.driver.switch_to.active_element.send_keys(Keys.ESCAPE)
        bob.wait(lambda: not bob.visible("#reply-bar"), "Escape to cancel the reply")
        bob.message_button(greeting, "Reply").click()
        bob.wait(lambda: bob.visible("#reply-bar"), "the reply bar again")
        bob.find("#reply-cancel").click()
        bob.wait(lambda: not bob.visible("#reply-bar"), "the × button to cancel the reply")
        bob.message_button(greeting, "Reply").click()
        bob.wait(lambda: bob.visible("#reply-bar"), "the reply bar once more")
        bob.say(reply)
        bob.wait(lambda: bob.has_message(reply), "bob's reply in his chat")
        check(not bob.visible("#reply-bar"), "the reply bar goes once the reply is sent")
        quoted = {"author": "Alice Example (@alice)", "text": greeting}
        check(bob.quote_of(reply) == quoted, f"the quote on bob's reply: {bob.quote_of(reply)}")
        alice.wait(lambda: alice.quote_of(reply) == quoted, "the quote on bob's reply to reach alice live")
        alice.wait(lambda: alice.thread_link(greeting) == "1 reply", "'1 reply' under alice's message live")
        check(alice.reactions_of(greeting) == [("👍 1", False)], "the reactions stay when the reply count changes")
        alice.message_item(reply).find_element(By.CSS_SELECTOR, "button.reply-quote").click()
        alice.wait(lambda: "highlight" in alice.message_item(greeting).get_attribute("class"), "the quote to lead to the original")
        check(alice.js("return document.activeElement.dataset.id") == alice.message_item(greeting).get_attribute("data-id"), "the focus on the original")
        link = alice.message_item(greeting).find_element(By.CSS_SELECTOR, ".thread-link")
        check(link.get_attribute("aria-label").startswith("1 reply to the message by Alice Example"), f"the link's label: {link.get_attribute('aria-label')!r}")
        link.click()
        alice.wait(lambda: alice.visible("#thread-panel"), "the thread panel")
        alice.wait(lambda: alice.thread_texts() == [reply], "bob's reply in the thread")
        check(alice.text("#thread-parent .message-body") == greeting, f"the thread's parent: {alice.text('#thread-parent .message-body')!r}")
        check(alice.text("#thread-count") == "1 reply", f"the thread's count: {alice.text('#thread-count')!r}")
        check(alice.js("return document.activeElement.id") == "thread-input", "the focus in the thread's message box")
        alice.driver.switch_to.active_element.send_keys(answer)
        alice.driver.switch_to.active_element.send_keys(Keys.ENTER)
        alice.wait(lambda: alice.thread_texts() == [reply, answer], "alice's answer in the thread")
        alice.wait(lambda: alice.text("#thread-count") == "2 replies", "the thread's count after alice's answer")
        alice.wait(lambda: alice.thread_link(greeting) == "2 replies", "'2 replies' under alice's message")
        check(alice.message_texts().count(answer) == 1 and alice.quote_of(answer) == quoted, "alice's answer once in her chat, quoting her message")
        bob.wait(lambda: bob.thread_link(greeting) == "2 replies", "'2 replies' to reach bob live")
        bob.wait(lambda: bob.quote_of(answer) == quoted, "alice's answer in bob's chat with its quote")
        alice.screenshot("05c-thread-alice")
        bob.screenshot("06c-replies-bob")
        alice.driver.switch_to.active_element.send_keys(Keys.ESCAPE)
        alice.wait(lambda: not alice.visible("#thread-panel"), "Escape to close the thread panel")
        check(alice.js("return document.activeElement.classList.contains('thread-link')"), "the focus back on the '2 replies' link")
        parent_id = alice.message_item(greeting).get_attribute("data-id")
        _, thread = http_json("GET", f"{room_url}/messages/{parent_id}/replies", token=bob.access_token())
        check([message["body"] for message in thread["messages"]] == [reply, answer], f"the server's thread: {thread}")
        print("replies: bob replied, alice answered in the thread")

        # Moderation through the dialogs, seen live by the other side.
        alice.open_member("bob")
        Select(alice.find("#member-role")).select_by_value("moderator")
        alice.find("#member-role-save").click()
        alice.wait(lambda: not alice.visible("#member-dialog"), "the member dialog to close")
        bob.wait(lambda: bob.visible("#room-settings"), "bob's moderator tools after his promotion")
        alice.wait(lambda: "moderator" in alice.text("#member-list"), "bob's new role in alice's member list")
        alice.wait(lambda: alice.author_of("Thanks Alice, glad to be here.")["badges"] == ["moderator"], "bob's new role on his message")
        alice.message_button("Hello Bob, welcome to the team room!", "Edit").click()
        editor = alice.wait(lambda: alice.driver.find_elements(By.CSS_SELECTOR, "textarea.edit-box"), "the edit box")[0]
        editor.clear()
        editor.send_keys("Hello Bob, welcome to Team Room!")
        editor.send_keys(Keys.ENTER)
        bob.wait(lambda: bob.has_message("Hello Bob, welcome to Team Room!"), "alice's edit to reach bob live")
        check(not bob.has_message("Hello Bob, welcome to the team room!"), "the old text is gone")
        check("(edited)" in bob.driver.find_element(
            By.XPATH, "//li[contains(@class,'message')][.//p[text()='Hello Bob, welcome to Team Room!']]").text, "the edit is marked")
        check(bob.reactions_of("Hello Bob, welcome to Team Room!") == [("👍 1", True)], "the reactions stay through an edit")
        bob.wait(lambda: bob.quote_of(reply) == {"author": "Alice Example (@alice)", "text": "Hello Bob, welcome to Team Room!"}, "the quote to follow the edit")
        check(bob.thread_link("Hello Bob, welcome to Team Room!") == "2 replies", "the reply count stays through an edit")
        alice.message_button("history 120", "Delete").click()
        alice.driver.switch_to.alert.accept()
        bob.wait(lambda: not bob.has_message("history 120"), "alice's deletion to reach bob live")
        alice.find("#room-settings").click()
        alice.wait(lambda: alice.visible("#room-dialog"), "the room settings")
        alice.find("#room-topic-input").clear()
        alice.find("#room-topic-input").send_keys("Release planning")
        alice.find("#room-save").click()
        bob.wait(lambda: bob.text("#room-topic") == "Release planning", "the new topic to reach bob live")
        print("moderation: a role change, an edit, a deletion and a new topic reached the other side live")

        # A dropped connection: what is said meanwhile arrives after the reconnect.
        relay.drop_all()
        bob.wait(lambda: bob.find("#connection-status").get_attribute("data-state") == "reconnecting", "bob to notice the drop")
        missed = [f"said while bob was away #{n}" for n in range(1, 4)]
        for text in missed:
            alice.say(text)
            alice.wait(lambda: alice.has_message(text), "alice's own message")
        bob.screenshot("07-reconnecting")
        check(not any(bob.has_message(text) for text in missed), "bob cannot have received anything while cut off")
        relay.restore()
        bob.wait(lambda: bob.find("#connection-status").get_attribute("data-state") == "online", "bob to reconnect", timeout=40)
        bob.wait(lambda: all(bob.has_message(text) for text in missed), "bob to catch up on the missed messages")
        texts = bob.message_texts()
        check(all(texts.count(text) == 1 for text in missed), "each missed message shown once")
        check(texts[-3:] == missed, f"the missed messages come last, in order: {texts[-3:]}")
        ids = bob.message_ids()
        check(ids == sorted(set(ids)), "ids still increase after the catch-up")
        check(bob.reactions_of("Hello Bob, welcome to Team Room!") == [("👍 1", True)], "the reactions after the catch-up")
        alice.say("and this one arrives live again")
        bob.wait(lambda: bob.has_message("and this one arrives live again"), "live delivery after the reconnect")
        print("reconnect: bob caught up on 3 missed messages and is live again")

        # Voice: the real token and url reach the LiveKit client's connect call.
        alice.wait(lambda: alice.visible("#voice-join"), "the join-voice button")
        alice.find("#voice-join").click()
        alice.wait(lambda: alice.js("return (window.__livekitStandIn?.calls ?? []).some((c) => c.call === 'connect')"), "the LiveKit connect call")
        calls = alice.js("return window.__livekitStandIn.calls")
        connect = next(call for call in calls if call["call"] == "connect")
        check(connect["url"] == args.livekit_url, f"connect got url {connect['url']!r}, expected {args.livekit_url!r}")
        claims = livekit_api.TokenVerifier(args.livekit_key, args.livekit_secret).verify(connect["token"])
        check(claims.identity, "the token names an identity")
        check(claims.video.room == ROOM and claims.video.room_join, f"the token grants joining {ROOM}: {claims.video}")
        check(claims.video.can_publish and claims.video.can_subscribe, "an owner may speak and listen")
        alice.wait(lambda: "In voice: Team Room (sub-room 1)" in alice.text("#voice-where"), "the sub-room shown in the panel")
        check(any(call["call"] == "setMicrophoneEnabled" and call["enabled"] for call in calls), "the microphone is switched on after joining")
        alice.find("#voice-mute").click()
        alice.wait(lambda: any(call["call"] == "setMicrophoneEnabled" and not call["enabled"] for call in alice.js("return window.__livekitStandIn.calls")), "mute")
        check(alice.find("#voice-mute").get_attribute("aria-pressed") == "true", "the mute button reports its state")
        check(alice.visible("#voice-camera") and alice.visible("#voice-screen"), "camera and screen share offered where the room allows them")
        _, voice = http_json("GET", f"{room_url}/voice", token=alice.access_token())
        seats = sum(len(subroom["participants"]) for subroom in voice["subrooms"])  # joined and joining
        check(seats == 1, f"EchoChat holds alice's seat: {voice}")
        alice.wait(lambda: "Team Room" in alice.text("#voice-occupancy"), "the sub-room list")
        alice.screenshot("08-voice-panel")
        print(f"voice: connect(url={connect['url']}, token for {claims.identity} in {claims.video.room}) verified by livekit-api")

        # The same screens on a phone, and dark.
        bob.driver.set_window_size(390, 844)
        time.sleep(0.3)
        bob.screenshot("09-phone-chat")
        check(not bob.visible("#sidebar") or bob.find("#sidebar").rect["x"] < 0, "the room list is tucked away on a phone")
        bob.find("#menu-toggle").click()
        bob.wait(lambda: bob.find("#sidebar").rect["x"] >= 0, "the room drawer to open")
        time.sleep(0.3)
        bob.screenshot("10-phone-rooms")
        bob.find("#room-search").send_keys(Keys.ESCAPE)
        bob.find("#details-toggle").click()
        time.sleep(0.4)
        bob.screenshot("11-phone-members")
        alice.find("#theme-toggle").click()
        alice.find("#theme-toggle").click()
        check(alice.js("return document.documentElement.dataset.theme") == "dark", "the theme toggle reaches dark")
        alice.screenshot("12-dark")

        # A ban takes bob out at once; unbanned from the settings, he can join again.
        bob.driver.set_window_size(1280, 860)
        alice.open_member("bob")
        alice.find("#member-ban-reason").send_keys("testing bans")
        alice.find("#member-ban").click()
        bob.wait(lambda: bob.visible("#room-join"), "bob to be out of the room at once")
        check(not bob.find("#composer-input").is_enabled(), "a banned user cannot write")
        check(not bob.driver.find_elements(By.CSS_SELECTOR, "#message-list button.add-reaction"), "no add-reaction button outside the room")
        check(not bob.driver.find_elements(By.CSS_SELECTOR, "#message-list button.reply-action"), "no Reply button outside the room")
        check(not bob.reaction_chip("Hello Bob, welcome to Team Room!", "👍").is_enabled(), "reaction chips shown but not pressable outside the room")
        alice.find("#room-settings").click()
        alice.wait(lambda: "testing bans" in alice.text("#ban-list"), "the ban in the settings")
        alice.screenshot("13-room-settings-bans")
        alice.find('#ban-list button[aria-label="Unban bob"]').click()
        alice.wait(lambda: not alice.driver.find_elements(By.CSS_SELECTOR, "#ban-list li"), "the ban to be lifted")
        alice.find("#room-cancel").click()
        bob.find("#room-join").click()
        bob.wait(lambda: bob.find("#composer-input").is_enabled(), "bob back in the room")
        print("moderation: bob banned and out at once; unbanned, he joined again")

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
    print("web client: every check passed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
