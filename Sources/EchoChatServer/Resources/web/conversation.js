// The open conversation, whichever its kind: a room (by name) or a direct conversation (by id).
// The message view, the message box, replies, threads, reactions and read markers work on either
// through what is here; only the header, the side panel and the lists tell the two apart.

import { roomPath } from "./api.js";
import { RANK, canPost, myRank, state } from "./state.js";
import { personText } from "./dom.js";

export function dmPath(id, suffix = "") {
  return `/api/dms/${encodeURIComponent(id)}${suffix}`;
}

/// Keys name a conversation in the unread counts and match events to the open one.
export const roomKey = (name) => `room:${name}`;
export const dmKey = (id) => `dm:${Number(id)}`;

/// The key of the conversation a frame or a message belongs to (a direct one carries `dm`).
export function keyOf(item) {
  return item.dm != null ? dmKey(item.dm) : roomKey(item.room);
}

/// A conversation's view state; `room` for a room, `dm` (the conversation) for a direct one.
export function newView({ room = null, dm = null }) {
  return {
    kind: dm ? "dm" : "room",
    key: dm ? dmKey(dm.id) : roomKey(room.name),
    room,
    dm,
    messages: new Map(),
    oldest: null,
    hasMore: true,
    loadingOlder: false,
    /// Set once the newest page is shown: scroll-back waits for it.
    ready: false,
    members: new Map(),
    /// The unread count when it was opened, and messages from others since: where "New messages" goes.
    unreadAtOpen: 0,
    othersSinceOpen: 0,
    firstUnread: null,
    /// The newest message id my read marker is known to have reached.
    readUpTo: 0,
  };
}

/// The API path of the view's conversation, and of what is under it.
export function viewPath(view, suffix = "") {
  return view.kind === "dm" ? dmPath(view.dm.id, suffix) : roomPath(view.room.name, suffix);
}

/// The API path of a message (or of what is under it), in whichever conversation it is.
export function messagePath(message, suffix = "") {
  const path = `/messages/${message.id}${suffix}`;
  return message.dm != null ? dmPath(message.dm, path) : roomPath(message.room, path);
}

/// Whether a frame is about the open conversation.
export function isHere(view, frame) {
  return Boolean(view) && (frame.dm != null || frame.room != null) && keyOf(frame) === view.key;
}

export function isDM(view) {
  return view?.kind === "dm";
}

/// Whether I belong to it: every member of a direct conversation does; in a room, members.
export function isMember(view) {
  return isDM(view) || Boolean(view.room.my_role);
}

/// Whether I may write (and so reply) in it.
export function mayPost(view) {
  return isDM(view) || canPost(view.room);
}

/// Whether I may delete others' messages: moderators and up in a room; nobody in a direct conversation.
export function mayModerate(view) {
  return !isDM(view) && myRank(view.room.my_role) >= RANK.moderator;
}

export function isMine(message) {
  return message.author?.username === state.me?.username;
}

/// The members of a direct conversation other than me.
export function othersIn(dm) {
  return (dm.members ?? []).filter((user) => user.username !== state.me?.username);
}

/// A direct conversation as the lists and the header name it: the other person, or the group's
/// name, or its members' names.
export function dmTitle(dm) {
  const others = othersIn(dm);
  if (dm.kind === "group") {
    return dm.name || others.map((user) => user.display_name || user.username).join(", ") || "Only you";
  }
  const other = others[0] ?? dm.members?.[0];
  return other ? personText(other) : "Direct conversation";
}

export function viewTitle(view) {
  return isDM(view) ? dmTitle(view.dm) : view.room.name;
}
