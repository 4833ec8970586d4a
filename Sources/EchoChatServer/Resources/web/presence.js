// Presence: mine and others'. This tab tells the server it is `idle` once it is hidden or nothing
// was typed, clicked or moved for 5 minutes, and `online` again when the reader is back: only the
// changes, and `idle` again after each (re)connection, since a new socket starts online. Others'
// come from the member lists (`presence` on each member, when the server keeps presence) and the
// `presence` frames, and show as a dot beside member rows and one-to-one conversations, with its
// word for screen readers. Someone whose presence is not known gets no dot; a server without
// presence sends none, so then no dots show at all, and (as GET /api/config's `presence_enabled`
// says) this tab sends none either.

import { services, state } from "./state.js";

const IDLE_AFTER_MS = 5 * 60 * 1000;
const WORDS = { online: "online", idle: "idle", offline: "offline" };

/// What this tab last told the server.
let status = "online";
let lastActivity = Date.now();
let idleTimer = null;

export function setUpPresence() {
  for (const type of ["keydown", "pointerdown", "pointermove", "wheel", "touchstart"]) {
    window.addEventListener(type, noteActivity, { capture: true, passive: true });
  }
  document.addEventListener("visibilitychange", () => {
    if (document.visibilityState === "hidden") setStatus("idle");
    else noteActivity();
  });
  if (document.visibilityState === "hidden") status = "idle";
  scheduleIdleCheck();
}

function noteActivity() {
  if (document.visibilityState === "hidden") return;
  lastActivity = Date.now();
  if (status === "idle") {
    setStatus("online");
    scheduleIdleCheck();
  }
}

function scheduleIdleCheck() {
  clearTimeout(idleTimer);
  idleTimer = setTimeout(checkIdle, Math.max(1000, lastActivity + IDLE_AFTER_MS - Date.now()));
}

function checkIdle() {
  if (Date.now() - lastActivity >= IDLE_AFTER_MS) setStatus("idle");
  else scheduleIdleCheck();
}

function setStatus(next) {
  if (next === status) return;
  status = next;
  if (serverKeepsPresence()) services.realtime?.send({ type: "presence", status });
}

/// After each (re)connection: a new socket is online to the server, so an idle tab says so again.
export function presenceReady() {
  if (document.visibilityState === "hidden") status = "idle";
  if (status === "idle" && serverKeepsPresence()) services.realtime?.send({ type: "presence", status });
}

/// Older servers do not say: they take the frames.
function serverKeepsPresence() {
  return state.config?.presence_enabled !== false;
}

// MARK: Others

/// Records someone's presence (a member list's entry or a frame). Whether it was unknown before,
/// so that the lists draw their dot anew; a known one's dots change in place.
export function setPresence(username, value) {
  if (!username || !(value in WORDS)) return false;
  const known = state.presence.has(username);
  state.presence.set(username, value);
  if (known) updateDots(username);
  return !known;
}

/// The dot for someone whose presence is known, else null.
export function presenceDot(username) {
  if (!state.presence.has(username)) return null;
  const dot = document.createElement("span");
  dot.dataset.username = username;
  dot.setAttribute("role", "img");
  paint(dot, state.presence.get(username));
  return dot;
}

function paint(dot, value) {
  dot.className = `presence-dot presence-${value}`;
  dot.dataset.presence = value;
  dot.setAttribute("aria-label", WORDS[value]);
  dot.title = WORDS[value][0].toUpperCase() + WORDS[value].slice(1);
}

/// ", online": for a label that names someone (a member row's).
export function presenceWords(username) {
  return state.presence.has(username) ? `, ${WORDS[state.presence.get(username)]}` : "";
}

function updateDots(username) {
  const value = state.presence.get(username);
  for (const dot of document.querySelectorAll(".presence-dot")) {
    if (dot.dataset.username === username) paint(dot, value);
  }
  // Member rows carry their words in their label (members.js keeps the rest in data-label).
  for (const row of document.querySelectorAll("#member-list button.member[data-label]")) {
    if (row.dataset.username === username) row.setAttribute("aria-label", row.dataset.label + presenceWords(username));
  }
}
