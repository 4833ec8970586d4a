// Replies: the Reply action, the "Replying to …" bar above the message box, the quote above a
// reply (it shows the original, or opens the thread when that is not loaded) and the "N replies"
// link under a message that opens the thread (thread.js). Quotes follow their original's edits
// and deletion as they are seen here; the server's own quotes replace them at the next read.

import { state } from "./state.js";
import { $, actionButton, announce, formatTime, personText } from "./dom.js";
import { openThread } from "./thread.js";

/// The longest excerpt, in characters, before it is cut with "…" (as the server cuts it).
const EXCERPT_LENGTH = 120;
/// How long a shown original stays highlighted, in ms (the CSS animation's length and a little).
const HIGHLIGHT_MS = 2500;

/// What the message box replies to: `{ id, author, excerpt }`, or null.
let replyingTo = null;

export function setUpReplies() {
  $("reply-cancel").addEventListener("click", () => {
    cancelReply();
    $("composer-input").focus();
  });
}

/// A message's body as a quote shows it: one line, at most 120 characters and "…".
export function excerptOf(body) {
  const flat = body.split(/[\n\r\v\f\u0085\u2028\u2029]+/).filter(Boolean).join(" ");
  const characters = typeof Intl.Segmenter === "function"
    ? [...new Intl.Segmenter().segment(flat)].map((part) => part.segment)
    : Array.from(flat);
  return characters.length > EXCERPT_LENGTH ? `${characters.slice(0, EXCERPT_LENGTH).join("")}…` : flat;
}

// MARK: Replying from the message box

/// The Reply button for a message's actions (for those who may post).
export function replyButton(message, label) {
  const button = actionButton("Reply", label, () => startReply(message));
  button.classList.add("reply-action");
  return button;
}

export function startReply(message) {
  replyingTo = { id: message.id, author: message.author, excerpt: excerptOf(message.body) };
  renderReplyBar();
  $("composer-input").focus();
}

/// What the message box replies to, or null.
export function replyTarget() {
  return replyingTo;
}

/// Puts a reply back after a failed send, unless another was started meanwhile.
export function restoreReply(target) {
  if (replyingTo || !target) return;
  replyingTo = target;
  renderReplyBar();
}

export function cancelReply(reason = "") {
  if (!replyingTo) return;
  replyingTo = null;
  renderReplyBar();
  if (reason) announce(reason);
}

function renderReplyBar() {
  $("reply-bar").hidden = !replyingTo;
  $("reply-bar-text").textContent = replyingTo ? `Replying to ${personText(replyingTo.author)}: ${replyingTo.excerpt}` : "";
}

// MARK: On each message

/// Puts the quote of what `message` replies to above its body, or takes it away; an existing quote
/// is changed in place (the focus stays on it).
export function renderQuote(item, message, view) {
  let quote = item.querySelector(":scope > .reply-quote");
  if (!message.reply_to) {
    quote?.remove();
    return;
  }
  if (!quote) {
    quote = document.createElement("button");
    quote.type = "button";
    quote.className = "reply-quote";
    quote.addEventListener("click", () => {
      const current = view.messages.get(Number(item.dataset.id));
      if (state.current === view && current?.reply_to) showOriginal(view, current.reply_to, quote);
    });
    // Just above the text (or the box editing it), under the author line.
    item.querySelector(":scope > .message-body, :scope > .edit-box").before(quote);
  }
  fillQuote(quote, message.reply_to);
}

/// A quote's contents: the original's author and excerpt, or that it was deleted.
export function fillQuote(element, quote) {
  const text = document.createElement("span");
  text.className = "reply-quote-text";
  element.classList.toggle("deleted", Boolean(quote.deleted));
  if (quote.deleted) {
    text.textContent = "Original message deleted";
    element.replaceChildren(text);
    element.setAttribute("aria-label", "In reply to a message that was deleted; open the thread");
    return;
  }
  const author = document.createElement("span");
  author.className = "reply-quote-author";
  author.textContent = personText(quote.author);
  text.textContent = quote.excerpt;
  element.replaceChildren(author, " ", text);
  element.setAttribute("aria-label", `In reply to ${personText(quote.author)}: ${quote.excerpt}. Show the original`);
}

/// Scrolls to the original and highlights it when it is loaded; otherwise opens its thread.
function showOriginal(view, quote, opener) {
  const original = quote.deleted ? null : $("message-list").querySelector(`[data-id="${quote.id}"]`);
  if (!original) {
    openThread(view, quote.id, { opener, quote });
    return;
  }
  original.classList.remove("highlight");
  void original.offsetWidth;  // restarts the animation when it is shown again at once
  original.classList.add("highlight");
  clearTimeout(original.highlightTimer);
  original.highlightTimer = setTimeout(() => original.classList.remove("highlight"), HIGHLIGHT_MS);
  original.scrollIntoView({ block: "center" });
  // Focused, so that the keyboard carries on from the original.
  original.tabIndex = -1;
  original.focus({ preventScroll: true });
  original.addEventListener("blur", () => original.removeAttribute("tabindex"), { once: true });
  announce(`The original message, by ${personText(view.messages.get(quote.id)?.author ?? quote.author)}`);
}

/// The "N replies" link under a message (and when the last came), or nothing while it has none.
export function renderThreadSummary(item, message, view) {
  let summary = item.querySelector(":scope > .thread-summary");
  const count = message.reply_count ?? 0;
  if (count <= 0) {
    summary?.remove();
    return;
  }
  if (!summary) {
    summary = document.createElement("div");
    summary.className = "thread-summary";
    const link = document.createElement("button");
    link.type = "button";
    link.className = "link-button thread-link";
    link.setAttribute("aria-controls", "thread-panel");
    link.addEventListener("click", () => {
      if (state.current === view) openThread(view, Number(item.dataset.id), { opener: link });
    });
    const last = document.createElement("time");
    last.className = "thread-last muted";
    summary.append(link, " ", last);
    (item.querySelector(":scope > .reactions") ?? item.querySelector(":scope > .message-body")).after(summary);
  }
  const link = summary.querySelector(".thread-link");
  const text = repliesText(count);
  link.textContent = text;
  link.setAttribute("aria-label", `${text} to the message by ${personText(message.author)}; open the thread`);
  const last = summary.querySelector(".thread-last");
  last.hidden = !message.last_reply_at;
  if (message.last_reply_at) {
    last.dateTime = message.last_reply_at;
    last.textContent = `Last reply ${formatTime(message.last_reply_at)}`;
  }
}

export function repliesText(count) {
  return `${count} ${count === 1 ? "reply" : "replies"}`;
}

// MARK: Following the originals

/// Messages whose text changed: the loaded replies quoting them (and the reply bar) show the new text.
export function followEdits(view, edited) {
  for (const original of edited) {
    const quote = { id: original.id, author: original.author, excerpt: excerptOf(original.body) };
    for (const reply of view.messages.values()) {
      if (reply.reply_to?.id === original.id && !reply.reply_to.deleted) updateQuote(view, reply, quote);
    }
    if (replyingTo?.id === original.id) {
      replyingTo = quote;
      renderReplyBar();
    }
  }
}

/// A deleted message: the loaded replies quoting it say so, and a reply to it in the making is dropped.
export function followDeletion(view, id) {
  for (const reply of view.messages.values()) {
    if (reply.reply_to?.id === id && !reply.reply_to.deleted) updateQuote(view, reply, { id, deleted: true });
  }
  if (replyingTo?.id === id) cancelReply("The message you were replying to was deleted");
}

function updateQuote(view, reply, quote) {
  const updated = { ...reply, reply_to: quote };
  view.messages.set(reply.id, updated);
  const item = $("message-list").querySelector(`[data-id="${reply.id}"]`);
  if (item) renderQuote(item, updated, view);
}
