// The message box: Enter sends, Shift+Enter starts a new line; a failed send keeps the text.

import { roomPath } from "./api.js";
import { api, state } from "./state.js";
import { $, autosize, describe, randomID, toast } from "./dom.js";
import { renderRoomHeader } from "./room-header.js";
import { insertMessages, isNearBottom, scrollToLatest } from "./messages.js";

export function setUpComposer() {
  const input = $("composer-input");
  input.addEventListener("keydown", (event) => {
    if (event.key === "Enter" && !event.shiftKey && !event.isComposing) {
      event.preventDefault();
      $("composer").requestSubmit();
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
  input.value = "";
  autosize(input);
  const stick = isNearBottom();
  try {
    const message = await sendWithRetry(view.room.name, { body: text, client_id: clientID });
    if (state.current === view) {
      insertMessages(view, [message]);
      if (stick) scrollToLatest();
    }
    renderRoomHeader();
  } catch (error) {
    const note = error.status === 429 ? `Slow down: try again in ${error.retryAfter ?? "a few"} s.` : describe(error);
    if (state.current !== view) {
      toast(`Not sent to ${view.room.name}: ${note}`);
      return;
    }
    if (!input.value) input.value = text;  // nothing typed is lost
    autosize(input);
    $("composer-note").textContent = note;
  }
}

/// A network failure is retried with the same client_id, so the server keeps one copy.
async function sendWithRetry(roomName, body) {
  for (let attempt = 0; ; attempt++) {
    try {
      return await api.post(roomPath(roomName, "/messages"), body);
    } catch (error) {
      if (error.status !== 0 && error.status !== 503 || attempt >= 3) throw error;
      await new Promise((resolve) => setTimeout(resolve, 1000 * (attempt + 1)));
    }
  }
}
