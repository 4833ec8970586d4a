// Direct conversations: starting one (Message beside a member, or the New dialog for one person or
// a group), opening one in the message view the rooms use, adding someone to a group and leaving
// it, and the live events that change who is in one. The sidebar list is dm-list.js's.

import { api, services, state } from "./state.js";
import { $, announce, describe, personText, toast } from "./dom.js";
import { dmKey, dmPath, dmTitle, isDM, newView } from "./conversation.js";
import { forgetDM, loadDMs, rememberDM } from "./dm-list.js";
import { renderRoomHeader } from "./room-header.js";
import { loadLatest } from "./messages.js";
import { loadMembers } from "./members.js";
import { showConversation } from "./rooms.js";

export function setUpDMs() {
  const dialog = $("dm-dialog");
  $("new-dm").addEventListener("click", () => {
    $("dm-users").value = "";
    $("dm-name").value = "";
    $("dm-error").textContent = "";
    dialog.showModal();
    $("dm-users").focus();
  });
  $("dm-cancel").addEventListener("click", () => dialog.close());
  $("dm-form").addEventListener("submit", async (event) => {
    event.preventDefault();
    const users = $("dm-users").value.split(/[\s,]+/).map((name) => name.replace(/^@/, "")).filter(Boolean);
    const name = $("dm-name").value.trim();
    if (users.length === 0) {
      $("dm-error").textContent = "Name at least one person.";
      return;
    }
    try {
      await startDM(users, name || undefined);
      dialog.close();
    } catch (error) {
      $("dm-error").textContent = refusal(error, users.length === 1 ? users[0] : "someone you named");
    }
  });
}

/// Opens my conversation with `users` (a new one when there is none, or a group), or throws.
export async function startDM(users, name) {
  const body = name === undefined ? { users } : { users, name };
  const dm = rememberDM(await api.post("/api/dms", body));
  location.hash = `#/dm/${dm.id}`;
}

/// The Message button beside a member: the one-to-one conversation with them.
export async function messagePerson(user) {
  try {
    await startDM([user.username]);
  } catch (error) {
    toast(refusal(error, personText(user)));
  }
}

function refusal(error, who) {
  if (error.code === "dm_refused") return `You cannot message ${who}: their settings, or a block, keep direct messages from you out.`;
  if (error.code === "user_not_found") return `There is nobody called ${who}.`;
  if (error.code === "too_many_members") return "That is more people than a conversation may have.";
  return describe(error);
}

export async function openDM(id) {
  const known = state.dms.get(id);
  const view = newView({ dm: known ?? { id, kind: "direct", name: null, members: [] } });
  showConversation(view);
  services.voice.show(null);
  if (known) loadMembers(view);
  try {
    const dm = rememberDM(await api.get(dmPath(id)), { recent: false });
    if (state.current !== view) return;
    view.dm = dm;
    renderRoomHeader();
    loadMembers(view);
  } catch (error) {
    if (state.current !== view) return;
    if (error.status === 404) {
      toast("That conversation is not one of yours.");
      forgetDM(id);
      location.hash = "";
      return;
    }
    toast(describe(error));
  }
  await loadLatest(view);
  if (state.current === view) $("composer-input").focus({ preventScroll: true });
}

/// The form under a group's members: adds someone (their dm_policy and blocks apply).
export async function addToGroup(view, username) {
  try {
    const dm = rememberDM(await api.post(dmPath(view.dm.id, "/members"), { username }), { recent: false });
    if (state.current === view) showMembersOf(view, dm);
    toast(`${username} was added.`);
    return true;
  } catch (error) {
    toast(refusal(error, username));
    return false;
  }
}

export async function leaveGroup(view) {
  if (!confirm(`Leave ${dmTitle(view.dm)}? You will not see it again unless someone adds you back.`)) return;
  try {
    await api.post(dmPath(view.dm.id, "/leave"));
    forgetDM(view.dm.id);
    announce(`You left ${dmTitle(view.dm)}`);
    if (state.current === view) location.hash = "";
  } catch (error) {
    toast(describe(error));
  }
}

// MARK: Live

/// `dm.created`: a new conversation I am in, or one I was added to.
export function dmCreated(frame) {
  rememberDM(frame.conversation ?? { id: frame.dm });
}

/// `member.joined` or `member.left` of a direct conversation.
export function dmMemberEvent(frame) {
  const id = Number(frame.dm);
  const { user } = frame.member;
  const here = state.current?.key === dmKey(id);
  if (frame.type === "member.left" && user.username === state.me?.username) {
    forgetDM(id);
    if (here) {
      announce("You are no longer in this conversation");
      location.hash = "";
    }
    return;
  }
  const dm = state.dms.get(id);
  if (!dm) {
    loadDMs();
    return;
  }
  const members = (dm.members ?? []).filter((member) => member.username !== user.username);
  if (frame.type !== "member.left") members.push(user);
  const updated = rememberDM({ ...dm, members }, { recent: false });
  if (here) showMembersOf(state.current, updated);
}

function showMembersOf(view, dm) {
  if (!isDM(view)) return;
  view.dm = dm;
  renderRoomHeader();
  loadMembers(view);
}
