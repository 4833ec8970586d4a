// The open conversation's messages (a room's or a direct conversation's): the newest page,
// scroll-back, editing and deleting, and keeping the view at the bottom while new ones arrive.
// Their reactions are reactions.js's; their quotes, the Reply action and the "N replies" link are
// replies.js's, and the thread panel is thread.js's; mentions are drawn by mentions.js, and the
// "New messages" line and the read marker are unread.js's.

import { api, state } from "./state.js";
import { $, actionButton, announce, autosize, describe, formatTime, handle, memberBadges, showsHandle, toast } from "./dom.js";
import { isMember, mayModerate, mayPost, messagePath, viewPath } from "./conversation.js";
import { mentionsMe, renderBody } from "./mentions.js";
import { markFirstUnread, placeUnreadDivider, scheduleMarkRead } from "./unread.js";
import { addReactionButton, reactionRow } from "./reactions.js";
import { followDeletion, followEdits, renderQuote, renderThreadSummary, replyButton } from "./replies.js";
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
  revealFirstUnread(placeUnreadDivider(view, $("message-list")));
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
    if (shown) {
      shown.replaceWith(item);
      continue;
    }
    const after = [...list.children].find((child) => Number(child.dataset.id) > message.id);
    list.insertBefore(item, after ?? null);
  }
  // Replies loaded here quote the new text.
  if (edited.length) followEdits(view, edited);
  if (bulk) $("messages").removeAttribute("aria-busy");
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

/// The author line: name, @username where it differs, room badges, time and "(edited)".
export function messageMeta(message, view) {
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
  time.textContent = formatTime(message.created_at);
  time.title = new Date(message.created_at).toLocaleString();
  header.append(badges, " ", time);
  if (message.edited_at) {
    const edited = document.createElement("span");
    edited.className = "muted edited";
    edited.textContent = "(edited)";
    header.append(" ", edited);
  }
  return header;
}

function authorName(message) {
  return message.author.display_name || message.author.username;
}

function messageItem(message, view) {
  const item = document.createElement("li");
  item.className = "message";
  item.dataset.id = String(message.id);
  const mine = message.author.username === state.me?.username;
  if (mine) item.classList.add("mine");
  if (mentionsMe(message)) item.classList.add("mentions-me");
  const body = document.createElement("p");
  body.className = "message-body";
  renderBody(body, message);
  item.append(messageMeta(message, view), body, reactionRow(message, view));
  if (message.id === view.firstUnread) markFirstUnread(item);
  renderQuote(item, message, view);
  renderThreadSummary(item, message, view);

  const who = authorName(message);
  const when = formatTime(message.created_at);
  const member = isMember(view);
  const actions = document.createElement("div");
  actions.className = "message-actions";
  if (member) actions.append(addReactionButton(message, `Add a reaction to the message by ${who} from ${when}`));
  if (mayPost(view)) actions.append(replyButton(message, `Reply to the message by ${who} from ${when}`));
  if (mine && member) actions.append(actionButton("Edit", `Edit your message from ${when}`, () => editMessage(message, item)));
  if ((mine && member) || mayModerate(view)) {
    actions.append(actionButton("Delete", `Delete the message by ${who} from ${when}`, () => deleteMessage(message)));
  }
  if (actions.childElementCount) item.append(actions);
  return item;
}

function editMessage(message, item) {
  const view = state.current;
  const body = item.querySelector(".message-body");
  const editor = document.createElement("textarea");
  editor.className = "edit-box";
  editor.value = message.body;
  editor.setAttribute("aria-label", "Edit message; Enter saves, Escape cancels");
  body.replaceWith(editor);
  autosize(editor);
  editor.focus();
  const finish = () => editor.replaceWith(body);
  editor.addEventListener("keydown", async (event) => {
    if (event.key === "Escape") {
      event.stopPropagation();
      finish();
    } else if (event.key === "Enter" && !event.shiftKey && !event.isComposing) {
      event.preventDefault();
      const text = editor.value;
      if (!text.trim() || text === message.body) return finish();
      try {
        const updated = await api.patch(messagePath(message), { body: text });
        if (state.current === view) insertMessages(view, [updated]);
      } catch (error) {
        toast(describe(error));
        finish();
      }
    }
  });
}

async function deleteMessage(message) {
  if (!confirm("Delete this message?")) return;
  const view = state.current;
  try {
    await api.delete(messagePath(message));
    if (view && state.current === view) removeMessage(view, message.id);
  } catch (error) {
    toast(describe(error));
  }
}

/// Takes a deleted message away, with what hangs on it: the quotes of its replies say it was
/// deleted, and as a reply it is counted out of its parent (the server sends no new count then).
/// Safe to call twice (my own deletion, then its event).
export function removeMessage(view, id) {
  const known = view.messages.get(id) ?? threadMessage(view, id);
  view.messages.delete(id);
  $("message-list").querySelector(`[data-id="${id}"]`)?.remove();
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
