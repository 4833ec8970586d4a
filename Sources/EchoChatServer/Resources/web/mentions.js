// Mentions: the server finds the `@username`s that name someone (`mentions`) and an `@room` from
// those allowed to use it (`mentions_room`). Here a message that mentions me is marked, and the
// mentions in its text are drawn as highlighted spans: text nodes only, never markup from the text.

import { state } from "./state.js";

/// `@` then a username: letters, digits, `.`, `_` and `-`, starting with a letter or digit.
const MENTION = /@([\p{L}\p{N}][\p{L}\p{N}._-]{0,63})/gu;

/// Whether a message (from someone else) mentions me, by name or with `@room`.
export function mentionsMe(message) {
  const me = state.me?.username;
  if (!me || message.author?.username === me) return false;
  return Boolean(message.mentions_room) || (message.mentions ?? []).some((name) => name.toLowerCase() === me);
}

/// Fills `element` with a message's text, each mention the server recognised in a span of its own
/// (`mention`, and `mention-me` for me and `@room`).
export function renderBody(element, message) {
  const body = message.body ?? "";
  const named = new Set((message.mentions ?? []).map((name) => name.toLowerCase()));
  if (message.mentions_room) named.add("room");
  if (named.size === 0) {
    element.textContent = body;
    return;
  }
  const me = state.me?.username;
  const parts = [];
  let from = 0;
  for (const match of body.matchAll(MENTION)) {
    // Not the middle of a word or an address (alice@example.org).
    if (match.index > 0 && /[\p{L}\p{N}._-]/u.test(body[match.index - 1])) continue;
    const name = recognised(match[1], named);
    if (!name) continue;
    const end = match.index + 1 + name.length;
    if (match.index > from) parts.push(document.createTextNode(body.slice(from, match.index)));
    const span = document.createElement("span");
    span.className = "mention";
    const lower = name.toLowerCase();
    if (lower === me || (lower === "room" && message.mentions_room)) span.classList.add("mention-me");
    span.textContent = body.slice(match.index, end);
    parts.push(span);
    from = end;
  }
  if (from < body.length) parts.push(document.createTextNode(body.slice(from)));
  element.replaceChildren(...parts);
}

/// The mentioned name a token starts with: all of it, or without the punctuation that ends a
/// sentence ("@bob." names bob). Null when it names nobody the server recognised.
function recognised(token, named) {
  let name = token;
  while (name) {
    if (named.has(name.toLowerCase())) return name;
    if (!/[._-]$/.test(name)) return null;
    name = name.slice(0, -1);
  }
  return null;
}
