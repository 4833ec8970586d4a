// "Alice is typing…": while I type in the message box (or the thread's), a `typing` frame goes out
// over the live connection, at most one every 2 s and never for an empty box; the `typing` frames
// of others show as a line under the open conversation's messages, each person for 5 s after their
// last one, or until their message arrives. The line is a polite live region whose text changes only
// when the people typing change, so that a screen reader hears each change once.

import { services, state } from "./state.js";
import { $, personText } from "./dom.js";
import { keyOf, mayPost } from "./conversation.js";

const SEND_EVERY_MS = 2000;
const SHOWN_FOR_MS = 5000;

/// The last frame I sent: the conversation's key and when.
let lastSent = { key: null, at: 0 };
/// Conversation key → username → { user, timer }, in the order they started typing.
const typing = new Map();

export function setUpTyping() {
  for (const id of ["composer-input", "thread-input"]) {
    $(id).addEventListener("input", (event) => noteTyping(event.target));
  }
}

function noteTyping(input) {
  const view = state.current;
  if (!view || !input.value.trim() || !mayPost(view)) return;
  const now = Date.now();
  if (lastSent.key === view.key && now - lastSent.at < SEND_EVERY_MS) return;
  const frame = view.kind === "dm" ? { type: "typing", dm: Number(view.dm.id) } : { type: "typing", room: view.room.name };
  if (services.realtime?.send(frame)) lastSent = { key: view.key, at: now };
}

/// A `typing` frame: someone (not me, not someone I block) types in a room or conversation.
export function typingEvent(frame) {
  const user = frame.user;
  if (!user?.username || user.username === state.me?.username || state.blocked.has(user.username)) return;
  if (frame.room == null && frame.dm == null) return;
  const key = keyOf(frame);
  let people = typing.get(key);
  if (!people) typing.set(key, people = new Map());
  clearTimeout(people.get(user.username)?.timer);
  people.set(user.username, { user, timer: setTimeout(() => stoppedTyping(key, user.username), SHOWN_FOR_MS) });
  renderTyping();
}

/// Someone's line goes: their 5 s are up, or their message arrived.
export function stoppedTyping(key, username) {
  const people = typing.get(key);
  const entry = people?.get(username);
  if (!entry) return;
  clearTimeout(entry.timer);
  people.delete(username);
  if (people.size === 0) typing.delete(key);
  renderTyping();
}

/// Forgets everyone (signing out).
export function clearTyping() {
  for (const people of typing.values()) for (const entry of people.values()) clearTimeout(entry.timer);
  typing.clear();
  renderTyping();
}

/// The line for the open conversation (again when another is opened).
export function renderTyping() {
  const view = state.current;
  const people = view ? [...(typing.get(view.key)?.values() ?? [])] : [];
  const names = people.map((entry) => personText(entry.user));
  const text = names.length === 0 ? ""
    : names.length === 1 ? `${names[0]} is typing…`
    : names.length === 2 ? `${names[0]} and ${names[1]} are typing…`
    : "Several people are typing…";
  const line = $("typing");
  // Untouched while the same people type on: nothing is read out again.
  if (line.textContent !== text) line.textContent = text;
}
