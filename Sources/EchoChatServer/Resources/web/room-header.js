// The open room's title, topic and buttons, and whether I may write in it.

import { RANK, canPost as mayPost, myRank, state } from "./state.js";
import { $ } from "./dom.js";
import { cancelReply } from "./replies.js";
import { renderThreadComposer } from "./thread.js";

export function renderRoomHeader() {
  const view = state.current;
  if (!view) return;
  const { room } = view;
  const role = room.my_role;
  const rank = myRank(role);
  $("room-title").textContent = room.name;
  $("room-topic").textContent = room.topic || (room.visibility === "private" ? "A private room." : "");
  $("room-join").hidden = Boolean(role);
  $("room-leave").hidden = !role;
  $("room-settings").hidden = rank < RANK.moderator;
  $("invite-form").hidden = rank < RANK.moderator;
  const input = $("composer-input");
  const canPost = mayPost(room);
  input.disabled = !canPost;
  if (!canPost) cancelReply();
  $("composer").querySelector("button[type=submit]").disabled = !canPost;
  input.maxLength = 16000;
  let note = "";
  if (!role && !state.me?.is_admin) note = "Join the room to write here.";
  else if (room.readonly && rank < RANK.moderator) note = "This room is read-only.";
  else if (room.slowmode_seconds > 0 && rank < RANK.moderator) note = `Slow mode: one message every ${room.slowmode_seconds} s.`;
  $("composer-note").textContent = note;
  renderThreadComposer();
  document.title = `${room.name} · EchoChat`;
}
