// The sidebar: the rooms I am in and the public ones, with unread and mention counts, how many are
// in voice, and a search that also sifts the direct messages below them (dm-list.js).

import { api, state } from "./state.js";
import { $, badge, describe, toast } from "./dom.js";
import { roomKey } from "./conversation.js";
import { takeCounts, unreadBadges } from "./unread.js";
import { renderDMList } from "./dm-list.js";

export function setUpRoomSearch() {
  let searchTimer = null;
  $("room-search").addEventListener("input", (event) => {
    state.search = event.target.value.trim().toLowerCase();
    renderRoomList();
    // Rooms created since the list was loaded are only found by asking again.
    clearTimeout(searchTimer);
    searchTimer = setTimeout(loadRooms, 250);
  });
}

export async function loadRooms() {
  try {
    const { rooms } = await api.get("/api/rooms");
    state.rooms = new Map(rooms.map((room) => [room.name, room]));
    state.inVoice = new Map(rooms.map((room) => [room.name, Number(room.in_voice) || 0]));
    for (const key of [...state.unread.keys()]) if (key.startsWith("room:")) state.unread.delete(key);
    for (const room of rooms) if (room.my_role) takeCounts(roomKey(room.name), room);
  } catch (error) {
    toast(describe(error));
  }
  renderRoomList();
}

/// How many hold a seat in a room's voice channel (from `voice.roster`, or the open room's GET …/voice).
export function setInVoice(name, count) {
  if ((state.inVoice.get(name) ?? 0) === count) return;
  state.inVoice.set(name, count);
  renderRoomList();
}

/// Draws the sidebar's lists again: the rooms, and the direct messages under them.
export function renderRoomList() {
  const matches = (room) => !state.search || room.name.toLowerCase().includes(state.search) || room.topic.toLowerCase().includes(state.search);
  const rooms = [...state.rooms.values()].filter(matches).sort((a, b) => a.name.localeCompare(b.name));
  const mine = rooms.filter((room) => room.my_role);
  const others = rooms.filter((room) => !room.my_role);
  $("my-rooms").replaceChildren(...mine.map(roomItem));
  $("public-rooms").replaceChildren(...others.map(roomItem));
  $("my-rooms-heading").hidden = mine.length === 0;
  $("public-rooms-heading").hidden = others.length === 0;
  $("no-rooms").hidden = rooms.length > 0;
  $("no-rooms").textContent = state.search ? "No rooms match." : "No rooms yet: create the first one.";
  renderDMList();
}

function roomItem(room) {
  const item = document.createElement("li");
  const link = document.createElement("a");
  link.href = `#/room/${encodeURIComponent(room.name)}`;
  link.className = "room-link";
  link.dataset.room = room.name;
  const name = document.createElement("span");
  name.className = "room-name";
  name.textContent = room.name;
  link.append(name);
  if (room.visibility === "private") link.append(badge("private"));
  const inVoice = state.inVoice.get(room.name) ?? 0;
  if (inVoice > 0) {
    const voice = badge(`${inVoice} in voice`, "in-voice");
    voice.dataset.count = String(inVoice);
    link.append(" ", voice);
  }
  if (room.my_role) link.append(...unreadBadges(roomKey(room.name)));
  if (state.current?.key === roomKey(room.name)) link.setAttribute("aria-current", "page");
  item.append(link);
  return item;
}
