// Unread messages: the counts per conversation (rooms I belong to and direct conversations), as
// the server's lists give them, counted up by messages from others in a conversation that is not
// open, and set again by `read.updated`; the badges the sidebar shows; moving my read marker while
// a conversation is open and the page is seen; and the "New messages" line above the first unread
// message of a conversation opened with some.

import { api, state } from "./state.js";
import { announce, badge } from "./dom.js";
import { isMember, isMine, viewPath } from "./conversation.js";
import { mentionsMe } from "./mentions.js";

/// How long the reading settles before the marker moves, in ms: a burst of messages costs one request.
const READ_DELAY_MS = 400;
let readTimer = null;

export function setUpReadMarkers() {
  document.addEventListener("visibilitychange", () => {
    if (document.visibilityState === "visible") scheduleMarkRead();
  });
  window.addEventListener("focus", scheduleMarkRead);
}

// MARK: Counts

export function countsOf(key) {
  return state.unread.get(key) ?? { unread: 0, mentions: 0 };
}

export function setCounts(key, unread, mentions) {
  state.unread.set(key, { unread: Math.max(0, Number(unread) || 0), mentions: Math.max(0, Number(mentions) || 0) });
}

/// Counts from a list entry (`GET /api/rooms`, `GET /api/dms`) or a read answer.
export function takeCounts(key, entry) {
  setCounts(key, entry.unread_count, entry.mention_count);
}

/// A message someone else wrote in a conversation that is not open: one more unread, and one more
/// mention when it names me or the room.
export function countMessage(key, message) {
  if (isMine(message)) return;
  const { unread, mentions } = countsOf(key);
  setCounts(key, unread + 1, mentions + (mentionsMe(message) ? 1 : 0));
}

/// The badges beside a conversation in the sidebar ("@2" for mentions, then the unread count) and
/// what a screen reader says instead. None for the open conversation.
export function unreadBadges(key) {
  if (state.current?.key === key) return [];
  const { unread, mentions } = countsOf(key);
  if (unread <= 0 && mentions <= 0) return [];
  const shown = [];
  if (mentions > 0) shown.push(badge(`@${capped(mentions)}`, "mention-count"));
  if (unread > 0) shown.push(badge(capped(unread), "unread"));
  for (const element of shown) element.setAttribute("aria-hidden", "true");
  const spoken = document.createElement("span");
  spoken.className = "visually-hidden";
  spoken.textContent = `, ${unread} unread${mentions > 0 ? `, ${mentions} ${mentions === 1 ? "mention" : "mentions"} of you` : ""}`;
  return [...shown, spoken];
}

function capped(count) {
  return count > 99 ? "99+" : String(count);
}

// MARK: My read marker

/// Moves my read marker to the newest message of the open conversation, soon (debounced), when the
/// page is seen and the marker would move forward.
export function scheduleMarkRead() {
  clearTimeout(readTimer);
  readTimer = setTimeout(markRead, READ_DELAY_MS);
}

async function markRead() {
  const view = state.current;
  if (!view?.ready || document.visibilityState !== "visible" || !isMember(view) || view.messages.size === 0) return;
  const newest = Math.max(...view.messages.keys());
  if (newest <= view.readUpTo) return;
  const before = view.readUpTo;
  view.readUpTo = newest;
  // My own message moved the marker when it was posted.
  if (isMine(view.messages.get(newest))) return;
  try {
    const answer = await api.post(viewPath(view, "/read"), { message_id: newest });
    takeCounts(view.key, answer);
    view.readUpTo = Math.max(view.readUpTo, Number(answer.message_id) || 0);
  } catch {
    // Tried again with the next message or visit (the message may have been deleted meanwhile).
    if (view.readUpTo === newest) view.readUpTo = before;
  }
}

// MARK: The "New messages" line

/// Once the newest page of a conversation opened with unread messages is shown: which message is
/// the first unread one (counting back from the newest, over others' messages only, since my own
/// move my marker), marked with the line. Returns its element, or null.
export function placeUnreadDivider(view, list) {
  if (view.firstUnread != null || view.unreadAtOpen <= 0) return null;
  const unread = view.unreadAtOpen + view.othersSinceOpen;
  const fromOthers = [...view.messages.values()].filter((message) => !isMine(message)).map((message) => message.id).sort((a, b) => b - a);
  if (fromOthers.length === 0) return null;
  view.firstUnread = fromOthers[Math.min(unread, fromOthers.length) - 1];
  const item = list.querySelector(`[data-id="${view.firstUnread}"]`);
  if (!item) return null;
  markFirstUnread(item);
  announce(`${unread} new ${unread === 1 ? "message" : "messages"}`);
  return item;
}

/// Puts the line at the top of a message's item (again when the item is drawn anew).
export function markFirstUnread(item) {
  if (item.querySelector(":scope > .unread-divider")) return;
  const line = document.createElement("div");
  line.className = "unread-divider";
  line.setAttribute("role", "separator");
  line.setAttribute("aria-label", "New messages");
  const text = document.createElement("span");
  text.textContent = "New messages";
  line.append(text);
  item.classList.add("first-unread");
  // Under the day's line when the message has one (message-group.js).
  const day = item.querySelector(":scope > .day-divider");
  if (day) day.after(line);
  else item.prepend(line);
}
