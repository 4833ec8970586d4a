// What I may do to a member of the open conversation, and the dialog that does it: a direct
// message and a block for anyone but me; in a room, as my role allows, a new role, removal, a ban,
// and muting or removing them in voice.

import { roomPath } from "./api.js";
import { RANK, api, myRank, state } from "./state.js";
import { $, describe, personText, toast } from "./dom.js";
import { isDM } from "./conversation.js";
import { messagePerson } from "./dms.js";
import { setBlocked } from "./account.js";

export function setUpMemberDialog() {
  const dialog = $("member-dialog");
  $("member-close").addEventListener("click", () => dialog.close());
  const act = (id, work, done) => $(id).addEventListener("click", async () => {
    const username = dialog.dataset.username;
    const name = state.current?.room?.name;
    if (!username || !name) return;
    try {
      await work(name, username);
      dialog.close();
      toast(done(username));
    } catch (error) {
      $("member-error").textContent = describe(error);
    }
  });
  act("member-role-save", (room, username) => api.put(roomPath(room, `/members/${encodeURIComponent(username)}`), { role: $("member-role").value }),
    (username) => `${username} is now ${$("member-role").value}.`);
  act("member-kick", (room, username) => api.delete(roomPath(room, `/members/${encodeURIComponent(username)}`)), (username) => `${username} was removed.`);
  act("member-ban", (room, username) => {
    const reason = $("member-ban-reason").value.trim();
    return api.post(roomPath(room, "/bans"), reason ? { username, reason } : { username });
  }, (username) => `${username} was banned.`);
  act("member-voice-mute", (room, username) => api.post(roomPath(room, "/voice/mute"), { username }), (username) => `${username} was muted in voice.`);
  act("member-voice-kick", (room, username) => api.post(roomPath(room, "/voice/kick"), { username }), (username) => `${username} was removed from voice.`);
  $("member-message").addEventListener("click", () => {
    const member = state.current?.members.get(dialog.dataset.username);
    dialog.close();
    if (member) messagePerson(member.user);
  });
  $("member-block").addEventListener("click", async () => {
    const username = dialog.dataset.username;
    const blocking = !state.blocked.has(username);
    if (blocking && !confirm(`Block ${username}? You will see nothing they write, and neither of you can message the other.`)) return;
    try {
      await setBlocked(username, blocking);
      dialog.close();
      toast(blocking ? `You block ${username} now.` : `You no longer block ${username}.`);
    } catch (error) {
      $("member-error").textContent = describe(error);
    }
  });
}

/// What I may do to `member`, mirroring the server's rules so that refused buttons are not shown.
export function memberActions(member) {
  const view = state.current;
  const isSelf = member.user.username === state.me?.username;
  if (!view || isDM(view)) return { roles: [], kick: false, ban: false, voice: false, person: !isSelf, any: !isSelf };
  const myRole = view.room.my_role;
  const mine = state.me?.is_admin ? 5 : myRank(myRole);
  const theirs = member.user.is_admin ? 5 : RANK[member.role] ?? 0;
  const outranks = !isSelf && mine > theirs;
  const roles = outranks && mine >= RANK.admin ? ["member", "moderator", "admin"].filter((role) => RANK[role] < mine) : [];
  if (!isSelf && myRole === "owner") roles.push("owner");
  const voiceOn = Boolean(state.config.livekit_enabled && view.room.voice?.enabled);
  const moderate = outranks && mine >= RANK.moderator;
  return { roles, kick: moderate, ban: moderate, voice: moderate && voiceOn, person: !isSelf, any: roles.length > 0 || moderate || !isSelf };
}

export function openMemberDialog(member) {
  const dialog = $("member-dialog");
  const actions = memberActions(member);
  dialog.dataset.username = member.user.username;
  $("member-dialog-title").textContent = personText(member.user);
  $("member-dialog-role").textContent = isDM(state.current) ? "" : `Role: ${member.role}${member.user.is_admin ? ", server admin" : ""}`;
  $("member-person-row").hidden = !actions.person;
  $("member-message").hidden = isDM(state.current) && state.current.dm.kind === "direct";
  $("member-block").textContent = state.blocked.has(member.user.username) ? "Unblock" : "Block";
  const select = $("member-role");
  select.replaceChildren(...actions.roles.map((role) => {
    const option = document.createElement("option");
    option.value = role;
    option.textContent = role === "owner" ? "owner (hand over ownership)" : role;
    option.selected = role === member.role;
    return option;
  }));
  $("member-role-row").hidden = actions.roles.length === 0;
  $("member-kick").hidden = !actions.kick;
  $("member-ban-row").hidden = !actions.ban;
  $("member-ban-reason").value = "";
  $("member-voice-mute").hidden = !actions.voice;
  $("member-voice-kick").hidden = !actions.voice;
  $("member-error").textContent = "";
  dialog.showModal();
}
