// The thread panel: a message and its replies, oldest first and paged ("Load more replies"), with a
// box of its own that posts replies to that message. Beside the chat on wide screens, over it on
// phones; Escape or Close shuts it. Sending from its box, and the message.created, .updated and
// .deleted that keep it current, are thread-live.js's.

import { api, state } from "./state.js";
import { $, announce, autosize, describe, toast } from "./dom.js";
import { isMember, mayPost, viewPath } from "./conversation.js";
import { messageMeta } from "./messages.js";
import { renderBody } from "./mentions.js";
import { fillQuote, repliesText } from "./replies.js";

const PAGE_SIZE = 50;
const narrow = window.matchMedia("(max-width: 900px)");

/// The open thread, or null: `{ view, id, parent, quote, deleted, replies, nextAfter, loaded, loading, opener }`.
/// `parent` is the message when known; otherwise `quote` ({id, author, excerpt} or {id, deleted}) stands in.
let thread = null;

/// The open thread (for thread-live.js), or null.
export function openedThread() {
  return thread;
}

export function setUpThread() {
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

/// Opens the thread of message `id` of the open conversation. `opener` gets the focus back on closing;
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

export function focusPanel() {
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
    const page = await api.get(`${viewPath(current.view, `/messages/${current.id}/replies`)}?${after}limit=${PAGE_SIZE}`);
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
export function addReplies(messages) {
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
  renderBody(body, message);
  item.append(messageMeta(message, thread.view), body);
  return item;
}

export function renderParent() {
  const box = $("thread-parent");
  const { parent, quote } = thread;
  if (parent) {
    const body = document.createElement("p");
    body.className = "message-body";
    renderBody(body, parent);
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

export function renderCount() {
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
  const { view } = thread;
  const allowed = mayPost(view) && !thread.deleted;
  $("thread-input").disabled = !allowed;
  $("thread-composer").querySelector("button[type=submit]").disabled = !allowed;
  let note = "";
  if (thread.deleted) note = "The original message was deleted: the thread takes no more replies.";
  else if (!isMember(view) && !state.me?.is_admin) note = "Join the room to reply.";
  else if (!allowed) note = "This room is read-only.";
  $("thread-note").textContent = note;
}

export function markParentDeleted() {
  thread.parent = null;
  thread.deleted = true;
  renderParent();
  renderCount();
  renderThreadComposer();
}
