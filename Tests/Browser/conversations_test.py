#!/usr/bin/env python3
"""Drives EchoChat's web client in headless Chromium (Debian's chromium and chromium-driver) through
direct conversations, mentions and unread messages.

Alice and Bob register in the browser; Carol and Dave only over the API. Alice starts a direct
conversation from a room's member list (Message beside Bob; Carol, whose policy is "nobody", is
refused with a clear notice); Bob sees it appear live with an unread badge and reads it, which
moves his read marker on the server; they reply and answer in the thread, and react, each seen
live by the other. Alice mentions @bob in a room Bob is not looking at: his room list shows the
mention badge beside the unread count; when he opens the room, "New messages" stands above the
first unread message and the mention is highlighted. A group conversation is started from the New
dialog, Dave is added to it and Alice leaves it, Bob seeing each change live. Bob then changes whom
he takes direct messages from in the Account dialog. While Alice types, Bob sees "… is typing…"
under the messages until it expires or her message arrives. Bob's quick messages read as one group
under one header, with the day's line above, and the toolbar of a message works from the keyboard.
Bob sees Alice's presence beside her name: online, idle once her tab is hidden, offline once her
browser is closed. Screenshots go to --artifacts. Exit 0 when every check held.
"""

import argparse
import json
import os
import signal
import sys
import time
import urllib.error
import urllib.request

from selenium import webdriver
from selenium.common.exceptions import ElementClickInterceptedException, StaleElementReferenceException, TimeoutException
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.action_chains import ActionChains
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.support.ui import Select, WebDriverWait

WAIT = 20
TEAM = "Team Room"
SIDE = "Side Room"


class Failure(Exception):
    pass


def check(condition, message):
    if not condition:
        raise Failure(message)


def http_json(method, url, body=None, token=None):
    """(status, JSON answer); error answers too, so that their codes can be checked."""
    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(url, data=data, method=method)
    if data is not None:
        request.add_header("Content-Type", "application/json")
    if token:
        request.add_header("Authorization", f"Bearer {token}")
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            text = response.read()
            return response.status, (json.loads(text) if text else None)
    except urllib.error.HTTPError as error:
        text = error.read()
        return error.code, (json.loads(text) if text else None)


class Server:
    """The API as a person who never opens the browser uses it."""

    def __init__(self, base_url):
        self.base_url = base_url

    def call(self, method, path, body=None, token=None, expect=(200, 201, 204)):
        status, answer = http_json(method, self.base_url + path, body, token)
        check(status in expect, f"{method} {path} answered {status}: {answer}")
        return answer

    def register(self, username, display_name, password):
        self.call("POST", "/api/auth/register", {"username": username, "password": password, "display_name": display_name})
        return self.call("POST", "/api/auth/login", {"username": username, "password": password})["access_token"]


# MARK: The browser


class Person:
    def __init__(self, name, base_url, args):
        self.name = name
        self.base_url = base_url
        self.artifacts = args.artifacts
        options = webdriver.ChromeOptions()
        options.binary_location = args.chromium
        for flag in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu", "--no-first-run",
                     "--disable-extensions", "--mute-audio", "--window-size=1280,860"):
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

    def finds(self, css):
        return self.driver.find_elements(By.CSS_SELECTOR, css)

    def click(self, css, what=None):
        """Clicks the element, again if the list it is in was drawn anew meanwhile (live events do that)."""
        def attempt():
            try:
                elements = self.finds(css)
                if not elements:
                    return False
                elements[0].click()
                return True
            except (StaleElementReferenceException, ElementClickInterceptedException):
                return False
        self.wait(attempt, what or f"a click on {css}")

    def visible(self, css):
        elements = self.finds(css)
        return bool(elements) and elements[0].is_displayed()

    def text(self, css):
        return self.find(css).text

    def js(self, script, *args):
        return self.driver.execute_script(script, *args)

    def screenshot(self, name):
        os.makedirs(self.artifacts, exist_ok=True)
        self.driver.save_screenshot(os.path.join(self.artifacts, f"{name}.png"))

    def access_token(self):
        return self.js("return JSON.parse(localStorage.getItem('echochat.session')).access_token")

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
        self.wait_online()

    def wait_online(self):
        self.wait(lambda: self.find("#connection-status").get_attribute("data-state") == "online", "the live connection")

    def open_room(self, name):
        self.click(f'#my-rooms .room-link[data-room="{name}"]', f"{name} in the room list")
        self.wait(lambda: self.text("#room-title") == name, f"{name} to open")

    def say(self, text, box="#composer-input"):
        element = self.find(box)
        element.send_keys(text)
        element.send_keys(Keys.ENTER)

    def message_texts(self):
        return self.js("return [...document.querySelectorAll('#message-list > li .message-body')].map((p) => p.textContent)")

    def has_message(self, text):
        return text in self.message_texts()

    def message_item(self, text):
        return self.driver.find_element(
            By.XPATH, f"//ol[@id='message-list']/li[.//p[@class='message-body' and normalize-space()='{text}']]")

    def hover(self, element):
        """Puts the pointer over an element: a message shows its toolbar while the pointer is on it."""
        ActionChains(self.driver).move_to_element(element).perform()
        return element

    def message_button(self, text, label):
        """A button of the toolbar of the message with this text ("Reply", "Edit", …), the pointer on the message."""
        item = self.hover(self.message_item(text))
        button = item.find_element(By.XPATH, f".//div[contains(@class,'message-actions')]/button[@data-action='{label.lower()}']")
        self.wait(button.is_displayed, f"the {label} button over the message")
        return button

    def quote_of(self, text):
        return self.js(
            """
            const item = [...document.querySelectorAll('#message-list > li')]
              .find((li) => li.querySelector('.message-body')?.textContent === arguments[0]);
            const quote = item?.querySelector('.reply-quote');
            if (!quote) return null;
            return { author: quote.querySelector('.reply-quote-author')?.textContent ?? null, text: quote.querySelector('.reply-quote-text').textContent };
            """, text)

    def thread_link(self, text):
        return self.js(
            """
            const item = [...document.querySelectorAll('#message-list > li')]
              .find((li) => li.querySelector('.message-body')?.textContent === arguments[0]);
            return item?.querySelector('.thread-summary .thread-link')?.textContent ?? null;
            """, text)

    def thread_texts(self):
        return self.js("return [...document.querySelectorAll('#thread-replies .message-body')].map((p) => p.textContent)")

    def reactions_of(self, text):
        return [tuple(chip) for chip in self.js(
            """
            const item = [...document.querySelectorAll('#message-list > li')]
              .find((li) => li.querySelector('.message-body')?.textContent === arguments[0]);
            if (!item) return [];
            return [...item.querySelectorAll('.reactions button.reaction')]
              .map((chip) => [chip.textContent, chip.getAttribute('aria-pressed') === 'true']);
            """, text)]

    def badges(self, link_css):
        """The badges beside a sidebar entry: {"unread": "3", "mentions": "@1"}, each None when absent."""
        return self.js(
            """
            const link = document.querySelector(arguments[0]);
            if (!link) return null;
            return {
              unread: link.querySelector('.badge.unread')?.textContent ?? null,
              mentions: link.querySelector('.badge.mention-count')?.textContent ?? null,
              spoken: link.querySelector('.visually-hidden')?.textContent ?? null,
            };
            """, link_css)

    def record_frames(self):
        """From now on, keeps what the page sends over its WebSocket (the typing and presence frames)."""
        self.js(
            """
            if (!window.__sentFrames) {
              window.__sentFrames = [];
              const send = WebSocket.prototype.send;
              WebSocket.prototype.send = function (data) {
                try { window.__sentFrames.push(JSON.parse(data)); } catch {}
                return send.call(this, data);
              };
            }
            window.__sentFrames.length = 0;
            """)

    def sent(self, kind):
        return self.js("return (window.__sentFrames ?? []).filter((frame) => frame.type === arguments[0])", kind)

    def presence(self, css):
        """The presence dot inside the element `css`: its state and its spoken word, or None."""
        return self.js(
            """
            const dot = document.querySelector(arguments[0])?.querySelector('.presence-dot');
            return dot ? dot.dataset.presence + ' ' + dot.getAttribute('aria-label') : null;
            """, css)

    def group_layout(self):
        """Each message of the list: its text, whether it starts a group, whether its header and avatar
        are seen, what a screen reader hears as its author, and the day's line above it."""
        return self.js(
            """
            return [...document.querySelectorAll('#message-list > li')].map((li) => {
              const avatar = li.querySelector(':scope > .avatar');
              return {
                text: li.querySelector(':scope > .message-body')?.textContent ?? null,
                start: li.classList.contains('group-start'),
                header: li.querySelector(':scope > .message-meta').getBoundingClientRect().height > 2,
                spoken: li.querySelector(':scope > .message-meta .author').textContent,
                avatar: avatar && avatar.getClientRects().length ? avatar.textContent : null,
                day: li.querySelector(':scope > .day-divider')?.textContent ?? null,
              };
            });
            """)

    def console_problems(self):
        self.collect_console()
        return [entry["message"] for entry in self.console
                if entry["level"] == "SEVERE" and ("Content Security Policy" in entry["message"] or "Uncaught" in entry["message"])]

    def toast(self):
        return self.text("#toast") if self.visible("#toast") else ""

    def collect_console(self):
        self.console += self.driver.get_log("browser")


def room_link(name):
    return f'#my-rooms .room-link[data-room="{name}"]'


# MARK: The scenario


def run(args):
    server = Server(args.base_url)
    people = []
    try:
        alice = Person("alice", args.base_url, args)
        people.append(alice)
        bob = Person("bob", args.base_url, args)
        people.append(bob)
        alice.register("alice", "Alice Example", "correct horse battery")
        bob.register("bob", "Bob Example", "another good password")
        check(bob.visible("#dms-heading") and bob.visible("#no-dms"), "an empty Direct messages section in the sidebar")
        alice_token, bob_token = alice.access_token(), bob.access_token()
        carol_token = server.register("carol", "Carol Example", "carol's long password")
        dave_token = server.register("dave", "Dave Example", "dave's long password")
        print("registered alice and bob in the browser, carol and dave over the API")

        # Two rooms everybody is in; carol takes direct messages from nobody. Joining marks what came
        # before read, so the welcome is read for bob.
        for room in (TEAM, SIDE):
            server.call("POST", "/api/rooms", {"name": room}, alice_token)
        team_path = f"/api/rooms/{urllib.request.quote(TEAM)}"
        welcome = "Welcome to the team room, everyone."
        server.call("POST", f"{team_path}/messages", {"body": welcome}, alice_token)
        for token, rooms in ((bob_token, (TEAM, SIDE)), (carol_token, (TEAM,)), (dave_token, (TEAM,))):
            for room in rooms:
                server.call("POST", f"/api/rooms/{urllib.request.quote(room)}/join", token=token)
        server.call("PATCH", "/api/me", {"dm_policy": "nobody"}, carol_token)
        for person in (alice, bob):
            person.driver.refresh()
            person.wait(lambda: person.visible("#app-view"), "the app after a reload")
            person.wait_online()
        alice.open_room(TEAM)
        bob.open_room(SIDE)

        # DM: alice asks carol (refused: her policy), then bob, from the member list.
        alice.wait(lambda: alice.finds('#member-list button.member-message[data-username="carol"]'), "a Message button beside carol")
        check(not alice.finds('#member-list button.member-message[data-username="alice"]'), "no Message button beside alice herself")
        button = alice.find('#member-list button.member-message[data-username="bob"]')
        check(button.get_attribute("aria-label") == "Send a direct message to Bob Example (@bob)", f"the button's label: {button.get_attribute('aria-label')!r}")
        alice.click('#member-list button.member-message[data-username="carol"]')
        alice.wait(lambda: "You cannot message Carol Example (@carol)" in alice.toast(), "the notice that carol takes no direct messages")
        refusal = alice.toast()
        check(alice.text("#room-title") == TEAM, "a refused conversation opens nothing")
        alice.click('#member-list button.member-message[data-username="bob"]')
        alice.wait(lambda: alice.text("#room-title") == "Bob Example (@bob)", "the conversation with bob to open")
        check(alice.driver.current_url.split("#", 1)[1].startswith("/dm/"), f"the address names the conversation: {alice.driver.current_url}")
        check(not alice.visible("#room-join") and not alice.visible("#room-settings") and not alice.visible("#room-leave"), "no room buttons in a one-to-one conversation")
        check(not alice.visible("#voice-panel"), "no voice panel in a direct conversation")
        dm_id = alice.driver.current_url.rsplit("/", 1)[1]
        dm_link = f'#dm-list .dm-link[data-dm="{dm_id}"]'
        alice.wait(lambda: alice.visible(dm_link), "the conversation in alice's sidebar")
        bob.wait(lambda: bob.visible(dm_link), "the new conversation to appear in bob's sidebar live")
        check("Alice Example" in bob.text(dm_link) and "@alice" in bob.text(dm_link), f"bob's entry names alice: {bob.text(dm_link)!r}")
        private = "Hi Bob, a word in private about the release."
        alice.say(private)
        alice.wait(lambda: alice.has_message(private), "alice's message in the conversation")
        bob.wait(lambda: (bob.badges(dm_link) or {}).get("unread") == "1", "an unread badge (1) on the conversation in bob's sidebar")
        check(bob.badges(dm_link)["spoken"] == ", 1 unread", f"what a screen reader hears: {bob.badges(dm_link)}")
        bob.screenshot("01-dm-unread-badge-bob")
        bob.click(dm_link)
        bob.wait(lambda: bob.text("#room-title") == "Alice Example (@alice)", "the conversation to open for bob")
        bob.wait(lambda: bob.has_message(private), "alice's message in bob's view")
        check(bob.badges(dm_link)["unread"] is None, "no badge on the open conversation")
        bob.wait(lambda: http_json("GET", f"{args.base_url}/api/dms/{dm_id}", token=bob_token)[1]["unread_count"] == 0,
                 "bob's read marker to reach the server")
        _, listed = http_json("GET", f"{args.base_url}/api/dms", token=bob_token)
        check([dm["id"] for dm in listed["dms"]] == [int(dm_id)] and listed["dms"][0]["kind"] == "direct", f"bob's conversations: {listed}")
        alice.screenshot("02-dm-alice")
        print(f"dm: alice started conversation {dm_id} from bob's Message button; bob saw it live with an unread badge (1) and read it (unread_count 0 on the server); carol's policy refused alice: {refusal!r}")

        # Reply: bob replies to alice's message; alice sees the quote and "1 reply" live and answers in the thread.
        reply = "Sure, what do you need?"
        answer = "The notes by Friday, if you can."
        bob.message_button(private, "Reply").click()
        bob.wait(lambda: bob.visible("#reply-bar"), "the reply bar")
        bob.say(reply)
        bob.wait(lambda: bob.quote_of(reply) == {"author": "Alice Example (@alice)", "text": private}, "bob's reply quoting alice")
        alice.wait(lambda: alice.quote_of(reply) == {"author": "Alice Example (@alice)", "text": private}, "bob's reply to reach alice with its quote")
        alice.wait(lambda: alice.thread_link(private) == "1 reply", "'1 reply' under alice's message live")
        alice.click("#message-list > li:first-child .thread-link", "the '1 reply' link")
        alice.wait(lambda: alice.visible("#thread-panel") and alice.thread_texts() == [reply], "the thread panel with bob's reply")
        alice.say(answer, "#thread-input")
        alice.wait(lambda: alice.thread_texts() == [reply, answer], "alice's answer in the thread")
        bob.wait(lambda: bob.thread_link(private) == "2 replies", "'2 replies' to reach bob live")
        bob.wait(lambda: bob.has_message(answer), "alice's answer in bob's conversation")
        parent = alice.message_item(private).get_attribute("data-id")
        _, thread = http_json("GET", f"{args.base_url}/api/dms/{dm_id}/messages/{parent}/replies", token=bob_token)
        check([message["body"] for message in thread["messages"]] == [reply, answer], f"the server's thread: {thread}")
        check(all(message["dm"] == int(dm_id) and message["room"] is None for message in thread["messages"]), "the replies belong to the conversation")
        alice.screenshot("03-dm-thread-alice")
        alice.find("#thread-close").click()
        print("reply: bob replied in the conversation, alice saw the quote and '1 reply' live and answered in the thread ('2 replies' for bob)")

        # Reaction: bob reacts to alice's message from the picker; alice sees it live.
        bob.message_button(private, "React").click()
        bob.wait(lambda: bob.finds("#message-list .reaction-picker"), "the reaction picker")
        bob.find('#message-list .reaction-picker button[aria-label="React with 🎉"]').click()
        bob.wait(lambda: bob.reactions_of(private) == [("🎉 1", True)], "bob's 🎉 on alice's message")
        alice.wait(lambda: alice.reactions_of(private) == [("🎉 1", False)], "bob's 🎉 to reach alice live")
        alice.screenshot("04-dm-reaction-alice")
        print("reaction: bob's 🎉 on alice's direct message reached alice live")

        # Mention: alice writes to @bob in Team Room while bob stays in the conversation.
        alice.open_room(TEAM)
        mention = "@bob could you look at the release notes?"
        alice.say(mention)
        alice.wait(lambda: alice.has_message(mention), "alice's mention in Team Room")
        spans = alice.message_item(mention).find_elements(By.CSS_SELECTOR, ".message-body span.mention")
        check([span.text for span in spans] == ["@bob"], f"the mention drawn as one span for alice: {[span.text for span in spans]}")
        bob.wait(lambda: (bob.badges(room_link(TEAM)) or {}).get("mentions") == "@1", "a mention badge on Team Room in bob's room list")
        badges = bob.badges(room_link(TEAM))
        check(badges["unread"] == "1" and badges["spoken"] == ", 1 unread, 1 mention of you", f"Team Room's badges for bob: {badges}")
        check(bob.badges(room_link(SIDE))["mentions"] is None, "no mention badge on Side Room")
        bob.screenshot("05-mention-badge-bob")
        print(f"mention: alice's @bob in {TEAM} gave bob's room list a mention badge ({badges['mentions']}) beside the unread count ({badges['unread']})")

        # Unread divider: two more messages, then bob opens Team Room.
        later = ["Second thing: the changelog.", "Third: the release date."]
        for text in later:
            alice.say(text)
            alice.wait(lambda: alice.has_message(text), "alice's own message")
        bob.wait(lambda: (bob.badges(room_link(TEAM)) or {}).get("unread") == "3", "3 unread in Team Room for bob")
        bob.open_room(TEAM)
        bob.wait(lambda: bob.visible("#message-list .unread-divider"), "the New messages line")
        dividers = bob.finds("#message-list .unread-divider")
        check(len(dividers) == 1 and dividers[0].text == "New messages", f"one line: {[d.text for d in dividers]}")
        marked = bob.js("return [...document.querySelectorAll('#message-list > li')].map((li) => [li.querySelector('.message-body').textContent, Boolean(li.querySelector('.unread-divider'))])")
        texts = [text for text, _ in marked]
        first = texts.index(mention)
        check(marked[first][1] and not any(has for _, has in marked[:first] + marked[first + 1:]), f"the line above the first unread message only: {marked}")
        check(texts[first - 1] == welcome and texts[first:] == [mention] + later, f"read before it, the three unread after: {texts}")
        item = bob.message_item(mention)
        check("mentions-me" in item.get_attribute("class"), "the message mentioning bob is marked")
        check([span.text for span in item.find_elements(By.CSS_SELECTOR, ".message-body span.mention.mention-me")] == ["@bob"], "@bob highlighted as bob's own mention")
        check(bob.badges(room_link(TEAM))["unread"] is None, "no badge on the room bob opened")
        bob.wait(lambda: next(room for room in http_json("GET", f"{args.base_url}/api/rooms", token=bob_token)[1]["rooms"] if room["name"] == TEAM)["unread_count"] == 0,
                 "bob's read marker in Team Room to reach the server")
        bob.screenshot("06-unread-divider-bob")
        print(f"unread divider: 'New messages' above the first of 3 unread in {TEAM} (after {welcome!r}); the mention highlighted; read on the server")

        # Typing: alice types in Team Room, where bob is too; he sees the line under the messages.
        typing_line = "Alice Example (@alice) is typing…"
        alice.record_frames()
        box = alice.find("#composer-input")
        box.send_keys("   ")
        box.send_keys(Keys.BACKSPACE * 3)
        # Over 2 s since her last message (and its typing frame): the next key may send another.
        time.sleep(2.1)
        check(alice.sent("typing") == [], f"no typing frame for a blank box: {alice.sent('typing')}")
        check(bob.text("#typing") == "", f"nothing typing for bob yet: {bob.text('#typing')!r}")
        draft = "Writing up the release summary now"
        box.send_keys(draft)
        bob.wait(lambda: bob.text("#typing") == typing_line, "alice's typing line for bob")
        seen = time.monotonic()
        check(bob.find("#typing").get_attribute("aria-live") == "polite", "the typing line is a polite live region")
        check(alice.text("#typing") == "", f"alice does not see herself typing: {alice.text('#typing')!r}")
        frames = alice.sent("typing")
        check(frames == [{"type": "typing", "room": TEAM}], f"one typing frame for a burst of keys: {frames}")
        bob.wait(lambda: bob.text("#typing") == "", "the typing line to expire", timeout=12)
        lasted = time.monotonic() - seen
        check(3.5 <= lasted <= 7.5, f"the line lasted {lasted:.1f} s, about 5 expected")
        box.send_keys(", done")
        bob.wait(lambda: bob.text("#typing") == typing_line, "the line again when alice types on")
        box.send_keys(Keys.ENTER)
        bob.wait(lambda: bob.has_message(draft + ", done"), "alice's message for bob")
        check(bob.text("#typing") == "", f"the line gone as her message arrived: {bob.text('#typing')!r}")
        check(len(alice.sent("typing")) == 2, f"two frames in all: {alice.sent('typing')}")
        print(f"typing: bob saw {typing_line!r} under Team Room's messages while alice typed (one frame per burst, none for a blank box); it expired after {lasted:.1f} s and went at once when her message arrived")

        # Grouping: three quick messages from bob in Side Room read as one group with one header.
        bob.open_room(SIDE)
        quick = ["Three quick notes:", "the build is green,", "and the docs are merged."]
        for text in quick:
            bob.say(text)
            bob.wait(lambda: bob.has_message(text), "bob's quick message")
        layout = bob.group_layout()
        check([item["text"] for item in layout] == quick, f"the messages: {layout}")
        check([item["start"] for item in layout] == [True, False, False], f"one group: {layout}")
        check([item["header"] for item in layout] == [True, False, False], f"one header seen: {layout}")
        check([item["avatar"] for item in layout] == ["BE", None, None], f"one avatar: {layout}")
        check([item["spoken"] for item in layout] == ["Bob Example"] * 3, f"each message still names its author to a screen reader: {layout}")
        check([item["day"] for item in layout] == ["Today", None, None], f"the day's line above the first: {layout}")
        second = bob.hover(bob.message_item(quick[1]))
        check(second.find_element(By.CSS_SELECTOR, ".margin-time").is_displayed(), "the time in the margin of a later message on hover")
        # The toolbar from the keyboard: out of sight until the focus comes into the message.
        ActionChains(bob.driver).move_to_element(bob.find("#room-title")).perform()
        last = bob.message_item(quick[2])
        react = last.find_element(By.CSS_SELECTOR, ".message-actions button[data-action='react']")
        check(not react.is_displayed(), "the toolbar hidden while neither the pointer nor the focus is on the message")
        bob.js("arguments[0].focus()", react)
        check(react.is_displayed(), "the toolbar shown once the focus is in it")
        labels = bob.js("return [...arguments[0].querySelectorAll('.message-actions button')].map((b) => [b.dataset.action, b.getAttribute('aria-label')])", last)
        prefixes = ["Add a reaction to the message by Bob Example from ", "Reply to the message by Bob Example from ",
                    "Edit your message from ", "Delete the message by Bob Example from "]
        check([action for action, _ in labels] == ["react", "reply", "edit", "delete"]
              and all(label.startswith(prefix) for (_, label), prefix in zip(labels, prefixes)), f"the toolbar's buttons and labels: {labels}")
        bob.driver.switch_to.active_element.send_keys(Keys.TAB)
        bob.driver.switch_to.active_element.send_keys(Keys.TAB)
        check(bob.js("return document.activeElement.dataset.action") == "edit", "Tab reaches the Edit button")
        check(bob.driver.switch_to.active_element.is_displayed(), "the Edit button seen while it has the focus")
        bob.driver.switch_to.active_element.send_keys(Keys.ENTER)
        editor = bob.wait(lambda: bob.finds("#message-list textarea.edit-box"), "the edit box")[0]
        check(bob.js("return document.activeElement.classList.contains('edit-box')"), "the focus in the edit box")
        editor.send_keys(Keys.CONTROL, "a")
        editor.send_keys("and the docs are merged, finally.")
        editor.send_keys(Keys.ENTER)
        bob.wait(lambda: bob.has_message("and the docs are merged, finally."), "bob's edit")
        check("(edited)" in bob.message_item("and the docs are merged, finally.").text, "the edit is marked")
        check(bob.js("return document.activeElement.dataset.action") == "edit", "the focus back on the Edit button after saving")
        check([item["start"] for item in bob.group_layout()] == [True, False, False], "still one group after the edit")
        # Deleting the group's first message: the next one takes the header and the day's line.
        bob.message_button(quick[0], "Delete").click()
        bob.driver.switch_to.alert.accept()
        bob.wait(lambda: not bob.has_message(quick[0]), "the deletion")
        layout = bob.group_layout()
        check([(item["start"], item["header"], item["avatar"], item["day"]) for item in layout] == [(True, True, "BE", "Today"), (False, False, None, None)],
              f"the group after its first message went: {layout}")
        bob.screenshot("06b-grouping-bob")
        print("grouping: bob's three quick messages showed one header and avatar under the 'Today' line; Tab reached the toolbar's Edit button and the edit kept the group; deleting the first moved the header to the next")

        # Group: alice starts one with bob from the New dialog, adds dave, and leaves; bob sees it all live.
        alice.find("#new-dm").click()
        alice.wait(lambda: alice.visible("#dm-dialog"), "the New conversation dialog")
        alice.find("#dm-users").send_keys("bob")
        alice.find("#dm-name").send_keys("Release crew")
        alice.find("#dm-form button[type=submit]").click()
        alice.wait(lambda: alice.text("#room-title") == "Release crew", "the group to open")
        check(alice.visible("#room-leave") and alice.visible("#invite-form"), "Leave and Add a person in a group")
        check(alice.text("#invite-label") == "Add a person", f"the form's label: {alice.text('#invite-label')!r}")
        group_id = alice.driver.current_url.rsplit("/", 1)[1]
        group_link = f'#dm-list .dm-link[data-dm="{group_id}"]'
        bob.wait(lambda: bob.visible(group_link) and "Release crew" in bob.text(group_link), "the group in bob's sidebar live")
        alice.find("#invite-username").send_keys("carol")
        alice.find("#invite-username").send_keys(Keys.ENTER)
        alice.wait(lambda: "You cannot message carol" in alice.toast(), "carol refused in the group too")
        alice.find("#invite-username").clear()
        alice.find("#invite-username").send_keys("dave")
        alice.find("#invite-username").send_keys(Keys.ENTER)
        alice.wait(lambda: alice.finds('#member-list button.member[data-username="dave"]'), "dave among the group's members")
        alice.say("Welcome to the crew, Dave.")
        bob.click(group_link)
        bob.wait(lambda: bob.text("#room-title") == "Release crew", "the group to open for bob")
        bob.wait(lambda: bob.has_message("Welcome to the crew, Dave."), "alice's message in the group")
        check(len(bob.finds("#member-list li")) == 3, "three members listed for bob")
        alice.screenshot("07-group-alice")
        alice.find("#room-leave").click()
        alice.driver.switch_to.alert.accept()
        alice.wait(lambda: not alice.finds(group_link), "the group to leave alice's sidebar")
        alice.wait(lambda: alice.visible("#no-room"), "alice back on the welcome screen")
        bob.wait(lambda: not bob.finds('#member-list button.member[data-username="alice"]'), "alice to leave bob's member list live")
        print("group: alice started 'Release crew' from the New dialog, carol was refused, dave added, alice left; bob saw each change live")

        # Account: bob now takes direct messages from nobody.
        bob.find("#account-open").click()
        bob.wait(lambda: bob.visible("#account-dialog"), "the Account dialog")
        bob.wait(lambda: Select(bob.find("#dm-policy")).first_selected_option.get_attribute("value") == "shared_rooms", "bob's policy shown")
        Select(bob.find("#dm-policy")).select_by_value("nobody")
        bob.screenshot("08-account-bob")
        bob.find("#account-save").click()
        bob.wait(lambda: not bob.visible("#account-dialog"), "the dialog to close")
        _, me = http_json("GET", f"{args.base_url}/api/me", token=bob_token)
        check(me["dm_policy"] == "nobody", f"bob's policy on the server: {me}")
        status, refused = http_json("POST", f"{args.base_url}/api/dms", {"users": ["bob"]}, dave_token)
        check(status == 403 and refused["error"]["code"] == "dm_refused", f"dave's request refused: {status} {refused}")
        print("settings: bob chose 'nobody' in the Account dialog and the server refuses dave")

        # Block: bob blocks dave from Team Room's member list; dave's message leaves bob's view.
        bob.open_room(TEAM)
        dave_says = "Dave here, hello all."
        server.call("POST", f"{team_path}/messages", {"body": dave_says}, dave_token)
        bob.wait(lambda: bob.has_message(dave_says), "dave's message in Team Room")
        bob.wait(lambda: bob.finds('#member-list button.member[data-username="dave"]:enabled'), "dave in bob's member list")
        bob.click('#member-list button.member[data-username="dave"]')
        bob.wait(lambda: bob.visible("#member-dialog"), "the member dialog for dave")
        check(bob.visible("#member-message") and bob.text("#member-block") == "Block", "Send a message and Block in the dialog")
        bob.find("#member-block").click()
        bob.driver.switch_to.alert.accept()
        bob.wait(lambda: not bob.has_message(dave_says), "dave's message to leave bob's view")
        _, blocks = http_json("GET", f"{args.base_url}/api/me/blocks", token=bob_token)
        check([block["user"]["username"] for block in blocks["blocks"]] == ["dave"], f"bob's blocks on the server: {blocks}")
        bob.find("#account-open").click()
        bob.wait(lambda: "Dave Example (@dave)" in bob.text("#block-list"), "dave in the Account dialog's blocked people")
        bob.find("#account-close").click()
        print("block: bob blocked dave from the member dialog; dave's message left his view and the Account dialog lists him")

        # Presence: alice online in Team Room's member list and beside their conversation; idle once
        # her tab is hidden, online again when it is back; offline once her browser is closed.
        alice_row = '#member-list button.member[data-username="alice"]'
        bob.wait(lambda: bob.presence(alice_row) == "online online", "alice online in bob's member list")
        check(bob.find(alice_row).get_attribute("aria-label").endswith(", owner, online"), f"her row's label: {bob.find(alice_row).get_attribute('aria-label')!r}")
        bob.wait(lambda: bob.presence(dm_link) == "online online", "alice online beside bob's conversation with her")
        check(bob.presence('#member-list button.member[data-username="carol"]') == "offline offline", "carol, never connected, offline")
        alice.record_frames()
        alice.js(
            """
            Object.defineProperty(document, 'visibilityState', { configurable: true, get: () => 'hidden' });
            Object.defineProperty(document, 'hidden', { configurable: true, get: () => true });
            document.dispatchEvent(new Event('visibilitychange'));
            document.dispatchEvent(new Event('visibilitychange'));
            """)
        bob.wait(lambda: bob.presence(alice_row) == "idle idle", "alice idle once her tab is hidden", timeout=10)
        check(bob.presence(dm_link) == "idle idle", "idle beside the conversation too")
        check(bob.find(alice_row).get_attribute("aria-label").endswith(", idle"), "her row's label says idle")
        bob.screenshot("10-presence-idle-bob")
        alice.js(
            """
            delete document.visibilityState;
            delete document.hidden;
            document.dispatchEvent(new Event('visibilitychange'));
            """)
        bob.wait(lambda: bob.presence(alice_row) == "online online", "alice online again with her tab back", timeout=10)
        frames = alice.sent("presence")
        check(frames == [{"type": "presence", "status": "idle"}, {"type": "presence", "status": "online"}], f"only the changes sent: {frames}")
        problems = alice.console_problems()
        check(not problems, f"alice's browser reported: {problems}")
        people.remove(alice)
        alice.quit()
        closed = time.monotonic()
        bob.wait(lambda: bob.presence(alice_row) == "offline offline", "alice offline once her browser closed", timeout=15)
        gone = time.monotonic() - closed
        check(gone <= 10, f"offline after {gone:.1f} s")
        check(bob.presence(dm_link) == "offline offline", "offline beside the conversation too")
        print(f"presence: bob saw alice online in the member list and beside their conversation, idle when her tab was hidden (only the changes sent), online again, and offline {gone:.1f} s after her browser closed")

        # The sidebar on a phone, and a tap on a message to show its toolbar.
        bob.driver.set_window_size(390, 844)
        time.sleep(0.3)
        tapped = later[0]
        bob.message_item(tapped).find_element(By.CSS_SELECTOR, ".message-body").click()
        bob.wait(lambda: "show-actions" in bob.message_item(tapped).get_attribute("class"), "a tap to show the toolbar on a phone")
        check(bob.message_item(tapped).find_element(By.CSS_SELECTOR, "button[data-action='reply']").is_displayed(), "the toolbar's buttons within reach")
        bob.screenshot("09a-phone-toolbar-bob")
        bob.find("#room-title").click()
        bob.wait(lambda: "show-actions" not in bob.message_item(tapped).get_attribute("class"), "a tap elsewhere to hide it")
        bob.find("#menu-toggle").click()
        bob.wait(lambda: bob.find("#sidebar").rect["x"] >= 0, "the drawer to open")
        time.sleep(0.3)
        bob.screenshot("09-phone-sidebar-bob")

        for person in people:
            problems = person.console_problems()
            check(not problems, f"{person.name}'s browser reported: {problems}")
        print(f"screenshots in {args.artifacts}")
    finally:
        for person in people:
            person.quit()


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--base-url", required=True)
    parser.add_argument("--artifacts", required=True)
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
    print("conversations: every check passed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
