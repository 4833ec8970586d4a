// The open conversation's title, topic and buttons, and whether I may write in it. A room shows
// Join, Leave, Settings and the invite form as my role allows; a group conversation Leave and the
// form that adds someone; a one-to-one conversation neither.

import { RANK, canPost as mayPostInRoom, myRank, state } from "./state.js";
import { $, personText } from "./dom.js";
import { isDM, othersIn, viewTitle } from "./conversation.js";
import { cancelReply } from "./replies.js";
import { renderThreadComposer } from "./thread.js";

export function renderRoomHeader() {
  const view = state.current;
  if (!view) return;
  const dm = isDM(view);
  const title = viewTitle(view);
  $("room-title").textContent = title;
  $("history-start").textContent = dm ? "This is the beginning of the conversation." : "This is the beginning of the room.";
  $("details-toggle").textContent = dm ? "Members" : "Members & voice";
  $("room-panel").setAttribute("aria-label", dm ? "Conversation details" : "Room details");
  const note = dm ? renderConversationActions(view.dm) : renderRoomActions(view.room);
  const canPost = dm || mayPostInRoom(view.room);
  const input = $("composer-input");
  input.disabled = !canPost;
  if (!canPost) cancelReply();
  $("composer").querySelector("button[type=submit]").disabled = !canPost;
  input.maxLength = 16000;
  $("composer-note").textContent = note;
  renderThreadComposer();
  document.title = `${title} · EchoChat`;
}

/// A room's topic and buttons; what the message box says of my rights there.
function renderRoomActions(room) {
  const role = room.my_role;
  const rank = myRank(role);
  $("room-topic").textContent = room.topic || (room.visibility === "private" ? "A private room." : "");
  $("room-join").hidden = Boolean(role);
  $("room-leave").hidden = !role;
  $("room-settings").hidden = rank < RANK.moderator;
  $("invite-form").hidden = rank < RANK.moderator;
  $("invite-label").textContent = "Invite someone";
  $("invite-submit").textContent = "Invite";
  if (!role && !state.me?.is_admin) return "Join the room to write here.";
  if (room.readonly && rank < RANK.moderator) return "This room is read-only.";
  if (room.slowmode_seconds > 0 && rank < RANK.moderator) return `Slow mode: one message every ${room.slowmode_seconds} s.`;
  return "";
}

/// A direct conversation's line under the title and its buttons: Leave and "Add a person" for a group.
function renderConversationActions(dm) {
  const group = dm.kind === "group";
  const others = othersIn(dm);
  $("room-topic").textContent = group
    ? `A group conversation with ${others.map(personText).join(", ") || "nobody else"}.`
    : "A direct conversation: only the two of you see it.";
  $("room-join").hidden = true;
  $("room-leave").hidden = !group;
  $("room-settings").hidden = true;
  $("invite-form").hidden = !group;
  $("invite-label").textContent = "Add a person";
  $("invite-submit").textContent = "Add";
  const blocked = !group && others.find((user) => state.blocked.has(user.username));
  return blocked ? `You block ${personText(blocked)}: unblock them in Account to write here.` : "";
}
