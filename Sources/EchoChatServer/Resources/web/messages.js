// The open conversation's messages (a room's or a direct conversation's): the newest page,
// scroll-back, live changes, and keeping the view at the bottom while new ones arrive. How they are
// grouped by author and day is message-group.js's, their toolbar (editing and deleting among its
// actions) message-actions.js's. Their reactions are reactions.js's; their quotes, the Reply action
// and the "N replies" link are replies.js's, and the thread panel is thread.js's; mentions are drawn
// by mentions.js, and the "New messages" line and the read marker are unread.js's.

import { api, state } from "./state.js";
import { $, announce, describe, formatTime, handle, memberBadges, showsHandle, toast } from "./dom.js";
import { isMember, viewPath } from "./conversation.js";
import { mentionsMe, renderBody } from "./mentions.js";
import { markFirstUnread, placeUnreadDivider, scheduleMarkRead } from "./unread.js";
import { reactionRow } from "./reactions.js";
import { followDeletion, followEdits, renderQuote, renderThreadSummary } from "./replies.js";
import { avatar, marginTime, regroup } from "./message-group.js";
import { messageToolbar } from "./message-actions.js";
import { threadMessage, threadRemoved } from "./thread-live.js";

const PAGE_SIZE = 50;
/// Whether the reader was at the newest message when last they scrolled: then a reflow (a turned
/// phone, a wider window, a picker opening) keeps them there.
let pinned = true;

export function setUpMessages() {
  $("load-older").addEventListener("click", () => loadOlder());
  $("jump-latest").addEventListener("click", () => scrollToLatest());
  $("messages").addEventListener("scroll", onMessagesScroll);
  const keepPinned = new ResizeObserver(() => {
    if (pinned && !isNearBottom()) $("messages").scrollTop = $("messages").scrollHeight;
  });
  keepPinned.observe($("messages"));
  keepPinned.observe($("message-list"));
  new IntersectionObserver((entries) => {
    if (entries.some((entry) => entry.isIntersecting)) loadOlder();
  }, { root: $("messages") }).observe($("load-older"));
}

export async function loadLatest(view) {
  try {
    const page = await api.get(`${viewPath(view, "/messages")}?limit=${PAGE_SIZE}`);
    if (state.current !== view) return;
    // Merged, not replaced: live messages that arrived while the page was on its way stay.
    insertMessages(view, page.messages);
    if (!view.ready) {
      view.hasMore = page.next_before != null;
      view.oldest = page.next_before ?? null;
    }
  } catch (error) {
    if (state.current !== view) return;
    if (!view.ready) view.hasMore = false;
    if (error.status !== 403 && error.status !== 404) toast(describe(error));
  }
  if (state.current !== view) return;
  // At the bottom before the scroll-back button shows, so that it does not start loading at once.
  scrollToLatest();
  view.ready = true;
  renderHistoryEdge(view);
  const firstUnread = placeUnreadDivider(view, $("message-list"));
  regroup(view, [firstUnread]);  // the first unread message shows its author
  revealFirstUnread(firstUnread);
  scheduleMarkRead();
}

/// Scrolls up to the first unread message when the newest page does not show it.
function revealFirstUnread(item) {
  if (!item || item.getBoundingClientRect().top >= $("messages").getBoundingClientRect().top) return;
  item.scrollIntoView({ block: "start" });
  pinned = isNearBottom();
  $("jump-latest").hidden = pinned;
}

async function loadOlder() {
  const view = state.current;
  if (!view || !view.ready || !view.hasMore || view.loadingOlder || view.oldest == null) return;
  view.loadingOlder = true;
  const box = $("messages");
  const fromBottom = box.scrollHeight - box.scrollTop;
  const wasAtTop = box.scrollTop < 200;
  try {
    const page = await api.get(`${viewPath(view, "/messages")}?before=${view.oldest}&limit=${PAGE_SIZE}`);
    if (state.current !== view) return;
    insertMessages(view, page.messages);
    view.hasMore = page.next_before != null;
    if (page.next_before != null) view.oldest = page.next_before;
    if (wasAtTop) box.scrollTop = box.scrollHeight - fromBottom;  // keep what the reader was looking at in place
    renderHistoryEdge(view);
    announce(`Loaded ${page.messages.length} older messages`);
  } catch (error) {
    toast(describe(error));
  } finally {
    view.loadingOlder = false;
  }
}

function renderHistoryEdge(view) {
  $("load-older").hidden = !view.hasMore;
  $("history-start").hidden = view.hasMore || !isMember(view) && view.messages.size === 0;
}

/// Puts messages in id order, replacing any already shown. A message without `reactions` (from an
/// event, a send or an edit) keeps those already known; one without `reply_count` keeps its thread.
/// When only its quote or reply count changed, it is changed in place (an edit in progress and the
/// focus stay), unless `rebuild` asks for every message drawn again.
export function insertMessages(view, messages, { rebuild = false } = {}) {
  const list = $("message-list");
  // A page at once is not read out message by message.
  const bulk = messages.length > 1;
  if (bulk) $("messages").setAttribute("aria-busy", "true");
  const edited = [];
  const drawn = [];
  for (const incoming of messages) {
    const existing = view.messages.get(incoming.id);
    const message = withKnown(incoming, existing);
    view.messages.set(message.id, message);
    if (existing && existing.body !== message.body) edited.push(message);
    const shown = existing ? list.querySelector(`[data-id="${message.id}"]`) : null;
    if (shown && !rebuild && sameApartFromThread(existing, message)) {
      renderQuote(shown, message, view);
      renderThreadSummary(shown, message, view);
      continue;
    }
    const item = messageItem(message, view);
    drawn.push(item);
    if (shown) {
      const focused = shown.contains(document.activeElement) ? document.activeElement : null;
      shown.replaceWith(item);
      if (focused) keepFocus(item, focused);
      continue;
    }
    const after = [...list.children].find((child) => Number(child.dataset.id) > message.id);
    list.insertBefore(item, after ?? null);
  }
  // Who starts a group, and where a day starts, around what changed.
  regroup(view, drawn);
  // Replies loaded here quote the new text.
  if (edited.length) followEdits(view, edited);
  if (bulk) $("messages").removeAttribute("aria-busy");
}

/// The focus was in a message drawn anew: it goes to the same action of its toolbar (the Edit
/// button from the box that edited it), else to the toolbar's first button.
function keepFocus(item, focused) {
  const action = focused.classList.contains("edit-box") ? "edit" : focused.dataset.action;
  const target = (action && item.querySelector(`.message-actions [data-action="${action}"]`)) ?? item.querySelector(".message-actions button");
  target?.focus({ preventScroll: true });
}

function withKnown(incoming, existing) {
  let message = incoming;
  if (incoming.reactions === undefined && existing?.reactions) message = { ...message, reactions: existing.reactions };
  if (incoming.reply_count === undefined && existing?.reply_count !== undefined) {
    message = { ...message, reply_to: existing.reply_to, reply_count: existing.reply_count, last_reply_at: existing.last_reply_at };
  }
  return message;
}

/// Whether two versions of a message differ at most in their quote and thread.
function sameApartFromThread(before, after) {
  return before.body === after.body && before.edited_at === after.edited_at
    && before.author.username === after.author.username && before.author.display_name === after.author.display_name
    && JSON.stringify(before.reactions ?? []) === JSON.stringify(after.reactions ?? []);
}

export function rerenderMessages(view) {
  insertMessages(view, [...view.messages.values()], { rebuild: true });
}

/// Puts each author's current badges (from the member list) on the messages shown, leaving
/// everything else, an edit in progress included, as it is.
export function refreshAuthorBadges(view) {
  for (const item of $("message-list").children) {
    const message = view.messages.get(Number(item.dataset.id));
    const badges = item.querySelector(".author-badges");
    if (message && badges) badges.replaceChildren(...authorBadges(message, view));
  }
}

function authorBadges(message, view) {
  const member = view.members.get(message.author.username);
  return member ? memberBadges(member) : [];
}

/// The author line: name, @username where it differs, room badges, time, and "(edited)". In the
/// message list (`inList`) the day line above says the date and "(edited)" follows the text.
export function messageMeta(message, view, { inList = false } = {}) {
  const header = document.createElement("div");
  header.className = "message-meta";
  const author = document.createElement("strong");
  author.className = "author";
  author.textContent = authorName(message);
  author.title = `@${message.author.username}`;
  header.append(author);
  if (showsHandle(message.author)) header.append(" ", handle(message.author));
  const badges = document.createElement("span");
  badges.className = "author-badges";
  badges.append(...authorBadges(message, view));
  const time = document.createElement("time");
  time.dateTime = message.created_at;
  time.textContent = inList ? new Date(message.created_at).toLocaleTimeString([], { hour: "2-digit", minute: "2-digit" }) : formatTime(message.created_at);
  time.title = new Date(message.created_at).toLocaleString();
  header.append(badges, " ", time);
  if (message.edited_at && !inList) header.append(" ", editedMark());
  return header;
}

function editedMark() {
  const mark = document.createElement("span");
  mark.className = "muted edited";
  mark.textContent = "(edited)";
  return mark;
}

function authorName(message) {
  return message.author.display_name || message.author.username;
}

/// One message's item: its toolbar, the avatar and author line of a group's first message (for
/// the others, the author line is only for screen readers, and the time shows in the margin), the
/// text, "(edited)", reactions, and the quote and thread link replies.js adds.
function messageItem(message, view) {
  const item = document.createElement("li");
  item.className = "message";
  item.dataset.id = String(message.id);
  item.dataset.author = message.author.username;
  if (message.author.username === state.me?.username) item.classList.add("mine");
  if (mentionsMe(message)) item.classList.add("mentions-me");
  const toolbar = messageToolbar(message, view, item);
  if (toolbar) item.append(toolbar);
  const body = document.createElement("p");
  body.className = "message-body";
  renderBody(body, message);
  item.append(avatar(message.author), messageMeta(message, view, { inList: true }), marginTime(message), body);
  if (message.edited_at) item.append(" ", editedMark());
  item.append(reactionRow(message, view));
  if (message.id === view.firstUnread) markFirstUnread(item);
  renderQuote(item, message, view);
  renderThreadSummary(item, message, view);
  return item;
}

/// Takes a deleted message away, with what hangs on it: the quotes of its replies say it was
/// deleted, and as a reply it is counted out of its parent (the server sends no new count then).
/// Safe to call twice (my own deletion, then its event).
export function removeMessage(view, id) {
  const known = view.messages.get(id) ?? threadMessage(view, id);
  view.messages.delete(id);
  const shown = $("message-list").querySelector(`[data-id="${id}"]`);
  const next = shown?.nextElementSibling;
  const hadFocus = shown?.contains(document.activeElement);
  shown?.remove();
  regroup(view, [next]);
  // Deleted from its toolbar: the keyboard carries on from the next message (or the message box).
  if (hadFocus) (next?.querySelector(".message-actions button") ?? $("composer-input")).focus({ preventScroll: true });
  followDeletion(view, id);
  const parent = known?.reply_to ? view.messages.get(known.reply_to.id) : null;
  if (parent?.reply_count > 0) insertMessages(view, [{ ...parent, reply_count: parent.reply_count - 1 }]);
  threadRemoved(view, id);
}

export function isNearBottom() {
  const box = $("messages");
  return box.scrollHeight - box.scrollTop - box.clientHeight < 80;
}

export function scrollToLatest() {
  const box = $("messages");
  box.scrollTop = box.scrollHeight;
  pinned = true;
  $("jump-latest").hidden = true;
}

function onMessagesScroll() {
  pinned = isNearBottom();
  if (pinned) $("jump-latest").hidden = true;
}
