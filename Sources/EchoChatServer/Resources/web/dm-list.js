// The sidebar's direct messages: my conversations, the most recently active first, each named by
// the other person (with their presence dot, once known) or the group's name, with its unread and
// mention badges. GET /api/dms fills it; dm.created and each conversation's messages keep it current.

import { api, state } from "./state.js";
import { $, badge, describe, handle, showsHandle, toast } from "./dom.js";
import { dmKey, dmTitle, othersIn } from "./conversation.js";
import { takeCounts, unreadBadges } from "./unread.js";
import { presenceDot } from "./presence.js";

/// The order of activity: a conversation with a higher number was active more recently.
let lastActivity = 0;

export async function loadDMs() {
  try {
    const { dms } = await api.get("/api/dms");
    // Most recently active first, as the server lists them.
    state.dms = new Map(dms.map((dm, index) => [Number(dm.id), { ...dm, id: Number(dm.id), activity: dms.length - index }]));
    lastActivity = dms.length;
    for (const key of [...state.unread.keys()]) if (key.startsWith("dm:")) state.unread.delete(key);
    for (const dm of state.dms.values()) takeCounts(dmKey(dm.id), dm);
  } catch (error) {
    toast(describe(error));
  }
  renderDMList();
}

/// A conversation I am in (dm.created, an answer of POST /api/dms, a new member): listed, at the
/// top when `recent`. Returns what is kept.
export function rememberDM(conversation, { recent = true } = {}) {
  const id = Number(conversation.id);
  const known = state.dms.get(id);
  const dm = { ...known, ...conversation, id, activity: recent || !known ? ++lastActivity : known.activity };
  state.dms.set(id, dm);
  if (!state.unread.has(dmKey(id))) takeCounts(dmKey(id), dm);
  renderDMList();
  return dm;
}

export function forgetDM(id) {
  state.dms.delete(Number(id));
  state.unread.delete(dmKey(id));
  renderDMList();
}

/// A new message in a conversation moves it to the top. False when the conversation is not known.
export function noteDMActivity(id, message) {
  const dm = state.dms.get(Number(id));
  if (!dm) return false;
  dm.last_message = message;
  dm.activity = ++lastActivity;
  return true;
}

export function renderDMList() {
  const matches = (dm) => !state.search || dmTitle(dm).toLowerCase().includes(state.search)
    || othersIn(dm).some((user) => user.username.includes(state.search));
  const dms = [...state.dms.values()].filter(matches).sort((a, b) => b.activity - a.activity);
  $("dm-list").replaceChildren(...dms.map(dmItem));
  $("no-dms").hidden = dms.length > 0;
  $("no-dms").textContent = state.dms.size > 0 ? "No conversations match." : "Nobody yet: pick Message beside someone in a room's member list.";
}

function dmItem(dm) {
  const item = document.createElement("li");
  const link = document.createElement("a");
  link.href = `#/dm/${dm.id}`;
  link.className = "room-link dm-link";
  link.dataset.dm = String(dm.id);
  const name = document.createElement("span");
  name.className = "room-name";
  const other = dm.kind === "direct" ? othersIn(dm)[0] : null;
  if (other) {
    // Their presence, once a member list or a frame has told it.
    const dot = presenceDot(other.username);
    if (dot) link.append(dot);
    // A display name is never shown alone: the @username goes beside it.
    name.textContent = other.display_name || other.username;
    if (showsHandle(other)) name.append(" ", handle(other));
  } else {
    name.textContent = dmTitle(dm);
  }
  link.append(name);
  if (dm.kind === "group") link.append(" ", badge("group"));
  link.append(...unreadBadges(dmKey(dm.id)));
  if (state.current?.key === dmKey(dm.id)) link.setAttribute("aria-current", "page");
  item.append(link);
  return item;
}
