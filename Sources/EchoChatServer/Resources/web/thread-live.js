// Keeping the thread panel (thread.js) current: the replies sent from its own box (Enter sends,
// Shift+Enter starts a new line; a failed send keeps the text), and the message.created, .updated
// and .deleted of the open conversation that concern the open thread.

import { state } from "./state.js";
import { $, autosize, describe, randomID, toast } from "./dom.js";
import { viewPath } from "./conversation.js";
import { insertMessages, isNearBottom, scrollToLatest } from "./messages.js";
import { sendWithRetry } from "./composer.js";
import { addReplies, focusPanel, markParentDeleted, openedThread, renderCount, renderParent } from "./thread.js";

export function setUpThreadComposer() {
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
}

// MARK: Replying

async function sendReply() {
  const current = openedThread();
  const input = $("thread-input");
  const text = input.value;
  if (!current || !text.trim()) return;
  input.value = "";
  autosize(input);
  try {
    const message = await sendWithRetry(viewPath(current.view, "/messages"), { body: text, client_id: randomID(), reply_to: current.id });
    if (openedThread() === current) {
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
    if (openedThread() !== current) {
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

/// A `message.created` in the open conversation: a reply to the open thread joins it.
export function threadMessageCreated(view, message) {
  const thread = openedThread();
  if (!thread || thread.view !== view || message.reply_to?.id !== thread.id) return;
  const box = $("thread-scroll");
  const stick = box.scrollHeight - box.scrollTop - box.clientHeight < 80;
  addReplies([message]);
  if (stick) box.scrollTop = box.scrollHeight;
}

/// A `message.updated` in the open conversation: the parent (its text, its reply count) or a reply.
export function threadMessageUpdated(view, message) {
  const thread = openedThread();
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
  const thread = openedThread();
  if (!thread || thread.view !== view) return undefined;
  return id === thread.id ? thread.parent ?? undefined : thread.replies.get(id);
}

/// A deleted message: a reply leaves the thread (one fewer); the parent shows as deleted.
export function threadRemoved(view, id) {
  const thread = openedThread();
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
