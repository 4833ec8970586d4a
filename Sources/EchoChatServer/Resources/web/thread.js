// The thread panel: a message and its replies, oldest first and paged ("Load more replies"), with a
// box of its own that posts replies to that message. Beside the chat on wide screens, over it on
// phones; Escape or Close shuts it. message.created, .updated and .deleted keep it current.

import { roomPath } from "./api.js";
import { api, canPost, state } from "./state.js";
import { $, announce, autosize, describe, randomID, toast } from "./dom.js";
import { insertMessages, isNearBottom, messageMeta, scrollToLatest } from "./messages.js";
import { sendWithRetry } from "./composer.js";
import { fillQuote, repliesText } from "./replies.js";

const PAGE_SIZE = 50;
const narrow = window.matchMedia("(max-width: 900px)");

/// The open thread, or null: `{ view, id, parent, quote, deleted, replies, nextAfter, loaded, loading, opener }`.
/// `parent` is the message when known; otherwise `quote` ({id, author, excerpt} or {id, deleted}) stands in.
let thread = null;

export function setUpThread() {
  const input = $("thread-input");
  input.addEventListener("keydown", (event) => {
    if (event.key === "Enter" && !event.shiftKey && !event.isComposing) {
      event.preventDefault();
      $("thread-composer").requestSubmit();
    }
  });
  input.addEventListener("input", () => autosize(input));
  $("thread-composer").addEventListener("submit", (event) => {
    event.preventDefault();
    sendReply();
  });
  $("thread-close").addEventListener("click", () => closeThread(true));
  $("thread-more").addEventListener("click", () => loadReplies());
  $("thread-panel").addEventListener("keydown", (event) => {
    if (event.key === "Escape" && !event.isComposing) {
      event.stopPropagation();  // not the drawers' Escape
      closeThread(true);
    }
  });
  narrow.addEventListener("change", syncCover);
}

/// Opens the thread of message `id` of the open room. `opener` gets the focus back on closing;
/// `quote` stands in for a parent that is not loaded.
export function openThread(view, id, { opener = null, quote = null } = {}) {
  if (thread?.view === view && thread.id === id) {
    thread.opener = opener ?? thread.opener;
    focusPanel();
    return;
  }
  const parent = view.messages.get(id) ?? null;
  thread = {
    view, id, parent, quote: parent ? null : quote ?? quoteOf(view, id),
    deleted: !parent && Boolean(quote?.deleted),
    replies: new Map(), nextAfter: null, loaded: false, loading: false, opener,
  };
  $("thread-replies").replaceChildren();
  $("thread-input").value = "";
  autosize($("thread-input"));
  $("thread-note").textContent = "";
  renderParent();
  renderCount();
  renderThreadComposer();
  renderPaging();
  $("thread-panel").hidden = false;
  $("room").classList.add("threaded");
  syncCover();
  focusPanel();
  loadReplies();
}

/// `returnFocus`: back to what opened it (or the message's "N replies", or the message box).
export function closeThread(returnFocus = false) {
  if (!thread) return;
  const { view, id, opener } = thread;
  thread = null;
  $("thread-panel").hidden = true;
  $("room").classList.remove("threaded");
  $("thread-parent").replaceChildren();
  $("thread-replies").replaceChildren();
  $("thread-input").value = "";
  syncCover();
  if (!returnFocus || state.current !== view) return;
  const target = opener?.isConnected ? opener
    : $("message-list").querySelector(`[data-id="${id}"] .thread-link`) ?? $("composer-input");
  target.focus({ preventScroll: true });
}

function focusPanel() {
  const input = $("thread-input");
  (input.disabled ? $("thread-close") : input).focus({ preventScroll: true });
}

/// A quote of `id` from a loaded reply, for a parent that is not loaded itself.
function quoteOf(view, id) {
  for (const message of view.messages.values()) if (message.reply_to?.id === id) return message.reply_to;
  return null;
}

/// On a phone the panel covers the chat: what it covers leaves the tab order while it is open.
function syncCover() {
  const covered = Boolean(thread) && narrow.matches;
  for (const element of $("room").children) {
    if (element.id !== "thread-panel") element.inert = covered;
  }
}

// MARK: Loading

async function loadReplies() {
  const current = thread;
  if (!current || current.loading || (current.loaded && current.nextAfter == null)) return;
  current.loading = true;
  renderPaging();
  const after = current.nextAfter == null ? "" : `after=${current.nextAfter}&`;
  try {
    const page = await api.get(`${roomPath(current.view.room.name, `/messages/${current.id}/replies`)}?${after}limit=${PAGE_SIZE}`);
    if (thread !== current) return;
    const first = !current.loaded;
    current.loaded = true;
    current.nextAfter = page.next_after ?? null;
    addReplies(page.messages);
    if (!first) announce(`Loaded ${page.messages.length} more replies`);
  } catch (error) {
    if (thread !== current) return;
    if (error.code === "message_not_found") {
      current.loaded = true;
      markParentDeleted();
    } else {
      toast(describe(error));
    }
  } finally {
    current.loading = false;
    if (thread === current) renderPaging();
  }
}

/// After a dropped connection: the thread again from its start.
export function reloadThread(view) {
  if (!thread || thread.view !== view) return;
  const parent = view.messages.get(thread.id);
  if (parent) thread.parent = parent;
  thread.replies.clear();
  thread.nextAfter = null;
  thread.loaded = false;
  $("thread-replies").replaceChildren();
  renderParent();
  renderCount();
  loadReplies();
}

/// Puts replies in id order, replacing any already shown.
function addReplies(messages) {
  const list = $("thread-replies");
  for (const message of messages) {
    const existing = thread.replies.has(message.id);
    thread.replies.set(message.id, message);
    const item = replyItem(message);
    if (existing) {
      list.querySelector(`[data-id="${message.id}"]`)?.replaceWith(item);
      continue;
    }
    const after = [...list.children].find((child) => Number(child.dataset.id) > message.id);
    list.insertBefore(item, after ?? null);
  }
  renderCount();
  renderPaging();
}

// MARK: What is shown

function replyItem(message) {
  const item = document.createElement("li");
  item.className = "message thread-reply";
  item.dataset.id = String(message.id);
  if (message.author.username === state.me?.username) item.classList.add("mine");
  const body = document.createElement("p");
  body.className = "message-body";
  body.textContent = message.body;
  item.append(messageMeta(message, thread.view), body);
  return item;
}

function renderParent() {
  const box = $("thread-parent");
  const { parent, quote } = thread;
  if (parent) {
    const body = document.createElement("p");
    body.className = "message-body";
    body.textContent = parent.body;
    box.replaceChildren(messageMeta(parent, thread.view), body);
    box.setAttribute("aria-label", "The message replied to");
    return;
  }
  // Not loaded here: the quote from a reply stands in (or that the message was deleted).
  const stand = document.createElement("p");
  stand.className = "reply-quote thread-quote";
  fillQuote(stand, thread.deleted || !quote ? { id: thread.id, deleted: true } : quote);
  stand.removeAttribute("aria-label");
  box.replaceChildren(stand);
  box.setAttribute("aria-label", thread.deleted ? "The message replied to was deleted" : "The message replied to");
}

function renderCount() {
  const count = thread.parent?.reply_count ?? thread.replies.size;
  $("thread-count").textContent = repliesText(count);
  $("thread-empty").hidden = !thread.loaded || thread.replies.size > 0;
}

function renderPaging() {
  const more = $("thread-more");
  more.hidden = !thread?.loaded || thread.nextAfter == null;
  more.disabled = Boolean(thread?.loading);
}

/// Whether I may reply here; called with the room header, which says so for the message box.
export function renderThreadComposer() {
  if (!thread) return;
  const room = thread.view.room;
  const allowed = canPost(room) && !thread.deleted;
  $("thread-input").disabled = !allowed;
  $("thread-composer").querySelector("button[type=submit]").disabled = !allowed;
  let note = "";
  if (thread.deleted) note = "The original message was deleted: the thread takes no more replies.";
  else if (!room.my_role && !state.me?.is_admin) note = "Join the room to reply.";
  else if (!allowed) note = "This room is read-only.";
  $("thread-note").textContent = note;
}

function markParentDeleted() {
  thread.parent = null;
  thread.deleted = true;
  renderParent();
  renderCount();
  renderThreadComposer();
}

// MARK: Replying

async function sendReply() {
  const current = thread;
  const input = $("thread-input");
  const text = input.value;
  if (!current || !text.trim()) return;
  input.value = "";
  autosize(input);
  try {
    const message = await sendWithRetry(current.view.room.name, { body: text, client_id: randomID(), reply_to: current.id });
    if (thread === current) {
      addReplies([message]);
      $("thread-note").textContent = "";
      $("thread-scroll").scrollTop = $("thread-scroll").scrollHeight;
    }
    if (state.current === current.view) {
      const stick = isNearBottom();
      insertMessages(current.view, [message]);
      if (stick) scrollToLatest();
    }
  } catch (error) {
    const note = error.code === "message_not_found" ? "The original message was deleted: the thread takes no more replies."
      : error.status === 429 ? `Slow down: try again in ${error.retryAfter ?? "a few"} s.` : describe(error);
    if (thread !== current) {
      toast(`Reply not sent: ${note}`);
      return;
    }
    if (!input.value) input.value = text;  // nothing typed is lost
    autosize(input);
    if (error.code === "message_not_found") markParentDeleted();
    $("thread-note").textContent = note;
  }
}

// MARK: Live

/// A `message.created` in the open room: a reply to the open thread joins it.
export function threadMessageCreated(view, message) {
  if (!thread || thread.view !== view || message.reply_to?.id !== thread.id) return;
  const box = $("thread-scroll");
  const stick = box.scrollHeight - box.scrollTop - box.clientHeight < 80;
  addReplies([message]);
  if (stick) box.scrollTop = box.scrollHeight;
}

/// A `message.updated` in the open room: the parent (its text, its reply count) or a reply.
export function threadMessageUpdated(view, message) {
  if (!thread || thread.view !== view) return;
  if (message.id === thread.id) {
    thread.parent = { ...thread.parent, ...message };
    thread.quote = null;
    thread.deleted = false;
    renderParent();
    renderCount();
  } else if (thread.replies.has(message.id)) {
    addReplies([{ ...thread.replies.get(message.id), ...message }]);
  }
}

/// A message of the open thread, if it is one (for what a deletion takes with it).
export function threadMessage(view, id) {
  if (!thread || thread.view !== view) return undefined;
  return id === thread.id ? thread.parent ?? undefined : thread.replies.get(id);
}

/// A deleted message: a reply leaves the thread (one fewer); the parent shows as deleted.
export function threadRemoved(view, id) {
  if (!thread || thread.view !== view) return;
  if (id === thread.id) {
    if (!thread.deleted) markParentDeleted();
    return;
  }
  if (!thread.replies.delete(id)) return;
  const item = $("thread-replies").querySelector(`[data-id="${id}"]`);
  const hadFocus = item?.contains(document.activeElement);
  item?.remove();
  // The server sends no new count when a reply goes: it is counted down here.
  if (thread.parent?.reply_count > 0) thread.parent = { ...thread.parent, reply_count: thread.parent.reply_count - 1 };
  renderCount();
  if (hadFocus) focusPanel();
}
