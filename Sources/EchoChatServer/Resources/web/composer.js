// The message box: Enter sends, Shift+Enter starts a new line, Escape drops a reply in the making
// (replies.js keeps what it replies to); a failed send keeps the text and the reply.

import { api, state } from "./state.js";
import { $, autosize, describe, randomID, toast } from "./dom.js";
import { viewPath, viewTitle } from "./conversation.js";
import { renderRoomHeader } from "./room-header.js";
import { insertMessages, isNearBottom, scrollToLatest } from "./messages.js";
import { cancelReply, replyTarget, restoreReply } from "./replies.js";

export function setUpComposer() {
  const input = $("composer-input");
  input.addEventListener("keydown", (event) => {
    if (event.key === "Enter" && !event.shiftKey && !event.isComposing) {
      event.preventDefault();
      $("composer").requestSubmit();
    } else if (event.key === "Escape" && replyTarget()) {
      event.stopPropagation();  // not the drawers' Escape
      cancelReply("Reply cancelled");
    }
  });
  input.addEventListener("input", () => autosize(input));
  $("composer").addEventListener("submit", (event) => {
    event.preventDefault();
    sendMessage();
  });
}

async function sendMessage() {
  const view = state.current;
  const input = $("composer-input");
  const text = input.value;
  if (!view || !text.trim()) return;
  const clientID = randomID();
  const target = replyTarget();
  input.value = "";
  autosize(input);
  cancelReply();
  const stick = isNearBottom();
  const body = { body: text, client_id: clientID };
  if (target) body.reply_to = target.id;
  try {
    const message = await sendWithRetry(viewPath(view, "/messages"), body);
    if (state.current === view) {
      insertMessages(view, [message]);
      if (stick) scrollToLatest();
    }
    renderRoomHeader();
  } catch (error) {
    const gone = target && error.code === "message_not_found";
    const note = gone ? "The message you replied to was deleted: send again to post this without the reply."
      : error.status === 429 ? `Slow down: try again in ${error.retryAfter ?? "a few"} s.`
      : error.code === "dm_refused" ? "This conversation takes no new messages: a block or a disabled account keeps them out." : describe(error);
    if (state.current !== view) {
      toast(`Not sent to ${viewTitle(view)}: ${note}`);
      return;
    }
    if (!input.value) input.value = text;  // nothing typed is lost
    if (!gone) restoreReply(target);
    autosize(input);
    $("composer-note").textContent = note;
  }
}

/// Posts a message to `path` (a conversation's …/messages); a network failure is retried with the
/// same client_id, so the server keeps one copy.
export async function sendWithRetry(path, body) {
  for (let attempt = 0; ; attempt++) {
    try {
      return await api.post(path, body);
    } catch (error) {
      // A storage without threads answers 503 not_supported to a reply: no use trying again.
      if (error.status !== 0 && error.status !== 503 || error.code === "not_supported" || attempt >= 3) throw error;
      await new Promise((resolve) => setTimeout(resolve, 1000 * (attempt + 1)));
    }
  }
}
