// The open room's member list, and inviting someone to it.

import { roomPath } from "./api.js";
import { RANK, api, state } from "./state.js";
import { $, describe, handle, memberBadges, showsHandle, toast } from "./dom.js";
import { memberActions, openMemberDialog } from "./member-dialog.js";
import { refreshAuthorBadges } from "./messages.js";

export function setUpInvites() {
  $("invite-form").addEventListener("submit", (event) => {
    event.preventDefault();
    invite();
  });
}

export async function loadMembers(view) {
  if (!view.room.my_role && view.room.visibility !== "public") return renderMembers(view);
  try {
    const { members } = await api.get(roomPath(view.room.name, "/members"));
    if (state.current !== view) return;
    view.members = new Map(members.map((member) => [member.user.username, member]));
  } catch (error) {
    if (state.current !== view) return;
    if (error.status !== 403 && error.status !== 404) toast(describe(error));
  }
  renderMembers(view);
}

export function renderMembers(view) {
  const members = [...view.members.values()].sort((a, b) => RANK[b.role] - RANK[a.role] || a.user.username.localeCompare(b.user.username));
  $("member-count").textContent = String(members.length);
  $("member-list").replaceChildren(...members.map((member) => {
    const item = document.createElement("li");
    const button = document.createElement("button");
    button.type = "button";
    button.className = "member";
    button.dataset.username = member.user.username;
    const name = document.createElement("span");
    name.textContent = member.user.display_name || member.user.username;
    button.append(name);
    if (showsHandle(member.user)) button.append(" ", handle(member.user));
    button.append(...memberBadges(member));
    button.setAttribute("aria-label", `${member.user.display_name} (@${member.user.username}), ${member.role}`);
    const canAct = memberActions(member).any;
    button.disabled = !canAct;
    if (canAct) button.addEventListener("click", () => openMemberDialog(member));
    item.append(button);
    return item;
  }));
  refreshAuthorBadges(view);
}

async function invite() {
  const input = $("invite-username");
  const username = input.value.trim();
  if (!username || !state.current) return;
  try {
    await api.post(roomPath(state.current.room.name, "/invites"), { username });
    input.value = "";
    toast(`Invited ${username}.`);
  } catch (error) {
    toast(describe(error));
  }
}
