// Opening a conversation from the address (#/room/NAME for a room, #/dm/ID for a direct
// conversation, which dms.js opens), what every opening shares, and joining and leaving a room.

import { roomPath } from "./api.js";
import { api, services, state } from "./state.js";
import { $, announce, describe, safeDecode, toast } from "./dom.js";
import { dmKey, isDM, isMember, newView, roomKey } from "./conversation.js";
import { closeDrawer } from "./layout.js";
import { loadRooms, renderRoomList } from "./room-list.js";
import { renderRoomHeader } from "./room-header.js";
import { loadLatest } from "./messages.js";
import { loadMembers } from "./members.js";
import { cancelReply } from "./replies.js";
import { closeThread } from "./thread.js";
import { countsOf } from "./unread.js";
import { leaveGroup, openDM } from "./dms.js";
import { renderTyping } from "./typing.js";

export function setUpRooms() {
  window.addEventListener("hashchange", routeFromHash);
  $("room-join").addEventListener("click", () => joinCurrentRoom());
  $("room-leave").addEventListener("click", () => {
    if (isDM(state.current)) leaveGroup(state.current);
    else leaveCurrentRoom();
  });
}

export function routeFromHash() {
  // In-page links (the skip link) are not routes.
  if (location.hash && !location.hash.startsWith("#/")) return;
  const room = location.hash.match(/^#\/room\/(.+)$/);
  const dm = location.hash.match(/^#\/dm\/(\d+)$/);
  const name = room ? safeDecode(room[1]) : null;
  const key = room ? roomKey(name) : dm ? dmKey(dm[1]) : null;
  if (key && key !== state.current?.key) {
    if (room) openRoom(name);
    else openDM(Number(dm[1]));
  }
  if (!key && state.current) closeConversation();
  closeDrawer("sidebar", "menu-toggle");
  closeDrawer("room-panel", "details-toggle");
}

function closeConversation() {
  closeThread();
  cancelReply();
  state.current = null;
  $("room").hidden = true;
  $("no-room").hidden = false;
  $("room-panel").hidden = true;
  document.title = "EchoChat";
  services.voice.show(null);
  renderRoomList();
  renderTyping();
}

/// Makes `view` the open conversation with an empty message list: what opening a room and a
/// direct conversation share. Remembers how many were unread, for the "New messages" line.
export function showConversation(view) {
  closeThread();
  cancelReply();
  if (isMember(view)) view.unreadAtOpen = countsOf(view.key).unread;
  state.current = view;
  $("message-list").replaceChildren();
  $("history-start").hidden = true;
  $("load-older").hidden = true;
  $("no-room").hidden = true;
  $("room").hidden = false;
  $("room-panel").hidden = false;
  renderRoomHeader();
  renderRoomList();
  renderTyping();
}

async function openRoom(name) {
  const known = state.rooms.get(name) ?? { name, topic: "", visibility: "public", readonly: false, slowmode_seconds: 0, voice: { enabled: false }, my_role: null };
  const view = newView({ room: known });
  showConversation(view);
  try {
    const room = await api.get(roomPath(name));
    if (state.current !== view) return;
    view.room = room;
    state.rooms.set(room.name, room);
    renderRoomHeader();
  } catch (error) {
    if (state.current !== view) return;
    if (error.status === 404) {
      toast(`There is no room called ${name}.`);
      location.hash = "";
      return;
    }
    toast(describe(error));
  }
  await Promise.all([loadLatest(view), loadMembers(view), services.voice.show(view.room, view.room.my_role)]);
  if (state.current === view && view.room.my_role) $("composer-input").focus({ preventScroll: true });
}

async function joinCurrentRoom() {
  const view = state.current;
  if (!view || isDM(view)) return;
  try {
    const { membership } = await api.post(roomPath(view.room.name, "/join"));
    view.room = { ...view.room, my_role: membership.role };
    state.rooms.set(view.room.name, view.room);
    renderRoomList();
    if (state.current !== view) return;
    announce(`You joined ${view.room.name}`);
    renderRoomHeader();
    await Promise.all([loadLatest(view), loadMembers(view), services.voice.show(view.room, view.room.my_role)]);
    if (state.current === view) $("composer-input").focus();
  } catch (error) {
    toast(describe(error));
  }
}

async function leaveCurrentRoom() {
  const view = state.current;
  if (!view) return;
  if (!confirm(`Leave ${view.room.name}?`)) return;
  try {
    await api.post(roomPath(view.room.name, "/leave"));
    if (services.voice.session?.roomName === view.room.name) await services.voice.leave();
    announce(`You left ${view.room.name}`);
    await loadRooms();
    if (state.current !== view) return;
    if (state.rooms.has(view.room.name)) {
      state.current = null;  // reopen as a visitor
      openRoom(view.room.name);
    } else {
      location.hash = "";
    }
  } catch (error) {
    toast(describe(error));
  }
}
