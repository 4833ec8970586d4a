// The open conversation's member list, with each person's presence dot (presence.js) and a Message
// button beside each person that starts (or opens) a direct conversation with them; inviting
// someone to a room, or adding someone to a group conversation.

import { roomPath } from "./api.js";
import { RANK, api, state } from "./state.js";
import { $, describe, handle, memberBadges, personText, showsHandle, toast } from "./dom.js";
import { isDM } from "./conversation.js";
import { memberActions, openMemberDialog } from "./member-dialog.js";
import { refreshAuthorBadges } from "./messages.js";
import { addToGroup, messagePerson } from "./dms.js";
import { presenceDot, presenceWords, setPresence } from "./presence.js";
import { renderDMList } from "./dm-list.js";

export function setUpInvites() {
  $("invite-form").addEventListener("submit", (event) => {
    event.preventDefault();
    invite();
  });
}

export async function loadMembers(view) {
  if (isDM(view)) {
    view.members = new Map((view.dm.members ?? []).map((user) => [user.username, { user, role: "member" }]));
    return renderMembers(view);
  }
  if (!view.room.my_role && view.room.visibility !== "public") return renderMembers(view);
  try {
    const { members } = await api.get(roomPath(view.room.name, "/members"));
    if (state.current !== view) return;
    view.members = new Map(members.map((member) => [member.user.username, member]));
    // With presence on, each member carries theirs: one-to-one conversations in the sidebar may now show a dot.
    const learned = members.filter((member) => member.presence && setPresence(member.user.username, member.presence));
    if (learned.length) renderDMList();
  } catch (error) {
    if (state.current !== view) return;
    if (error.status !== 403 && error.status !== 404) toast(describe(error));
  }
  renderMembers(view);
}

export function renderMembers(view) {
  const members = [...view.members.values()].sort((a, b) => RANK[b.role] - RANK[a.role] || a.user.username.localeCompare(b.user.username));
  // In a one-to-one conversation, Message would open the conversation already open.
  const offersMessage = !(isDM(view) && view.dm.kind === "direct");
  $("member-count").textContent = String(members.length);
  $("member-list").replaceChildren(...members.map((member) => {
    const item = document.createElement("li");
    const button = document.createElement("button");
    button.type = "button";
    button.className = "member";
    button.dataset.username = member.user.username;
    const name = document.createElement("span");
    name.textContent = member.user.display_name || member.user.username;
    const dot = presenceDot(member.user.username);
    if (dot) button.append(dot);
    button.append(name);
    if (showsHandle(member.user)) button.append(" ", handle(member.user));
    button.append(...memberBadges(member));
    button.dataset.label = `${member.user.display_name} (@${member.user.username}), ${member.role}`;
    button.setAttribute("aria-label", button.dataset.label + presenceWords(member.user.username));
    const canAct = memberActions(member).any;
    button.disabled = !canAct;
    if (canAct) button.addEventListener("click", () => openMemberDialog(member));
    item.append(button);
    if (offersMessage && member.user.username !== state.me?.username) item.append(messageButton(member.user));
    return item;
  }));
  refreshAuthorBadges(view);
}

function messageButton(user) {
  const button = document.createElement("button");
  button.type = "button";
  button.className = "small member-message";
  button.dataset.username = user.username;
  button.textContent = "Message";
  button.setAttribute("aria-label", `Send a direct message to ${personText(user)}`);
  button.addEventListener("click", () => messagePerson(user));
  return button;
}

async function invite() {
  const input = $("invite-username");
  const username = input.value.trim().replace(/^@/, "");
  const view = state.current;
  if (!username || !view) return;
  if (isDM(view)) {
    if (await addToGroup(view, username)) input.value = "";
    return;
  }
  try {
    await api.post(roomPath(view.room.name, "/invites"), { username });
    input.value = "";
    toast(`Invited ${username}.`);
  } catch (error) {
    toast(describe(error));
  }
}
