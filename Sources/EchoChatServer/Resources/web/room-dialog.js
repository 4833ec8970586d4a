// The room dialog: creating a room, or a room's settings, its bans and its deletion.

import { roomPath } from "./api.js";
import { RANK, api, myRank, services, state } from "./state.js";
import { $, actionButton, describe, personText, toast } from "./dom.js";
import { renderRoomList } from "./room-list.js";
import { renderRoomHeader } from "./room-header.js";

export function setUpRoomDialog() {
  const dialog = $("room-dialog");
  $("room-cancel").addEventListener("click", () => dialog.close());
  $("room-voice").addEventListener("change", syncVoiceChecks);
  $("room-form").addEventListener("submit", async (event) => {
    event.preventDefault();
    const existing = dialog.dataset.room;
    const body = {
      topic: $("room-topic-input").value,
      visibility: $("room-visibility").value,
      readonly: $("room-readonly").checked,
      slowmode_seconds: Number($("room-slowmode").value) || 0,
      voice: { enabled: $("room-voice").checked, allow_video: $("room-video").checked, allow_screen_share: $("room-screen").checked },
    };
    try {
      let room;
      if (existing) {
        room = await api.patch(roomPath(existing), body);
      } else {
        const name = $("room-name").value.trim();
        if (!name) {
          $("room-error").textContent = "The room needs a name.";
          return;
        }
        room = await api.post("/api/rooms", { name, ...body });
      }
      state.rooms.set(room.name, room);
      dialog.close();
      renderRoomList();
      if (existing && state.current?.room?.name === room.name) {
        state.current.room = room;
        renderRoomHeader();
        services.voice.show(room, room.my_role);
      } else {
        location.hash = `#/room/${encodeURIComponent(room.name)}`;
      }
    } catch (error) {
      $("room-error").textContent = describe(error);
    }
  });
  $("room-delete").addEventListener("click", async () => {
    const name = dialog.dataset.room;
    if (!name || !confirm(`Delete ${name} and all its messages? This cannot be undone.`)) return;
    try {
      await api.delete(roomPath(name));
      dialog.close();
      state.rooms.delete(name);
      location.hash = "";
      renderRoomList();
      toast(`${name} was deleted.`);
    } catch (error) {
      $("room-error").textContent = describe(error);
    }
  });
}

function syncVoiceChecks() {
  const on = $("room-voice").checked && !$("room-voice").disabled;
  $("room-video").disabled = !on;
  $("room-screen").disabled = !on;
}

/// `room` null: a new room.
export async function openRoomDialog(room) {
  const dialog = $("room-dialog");
  const rank = room ? myRank(room.my_role) : RANK.owner;
  const canEdit = !room || rank >= RANK.admin;
  dialog.dataset.room = room?.name ?? "";
  $("room-dialog-title").textContent = room ? `${room.name}: settings` : "New room";
  $("room-name").value = room?.name ?? "";
  $("room-name").disabled = Boolean(room);
  $("room-name").closest("form").querySelector("#room-name-hint").hidden = Boolean(room);
  $("room-topic-input").value = room?.topic ?? "";
  $("room-visibility").value = room?.visibility ?? "public";
  $("room-readonly").checked = room?.readonly ?? false;
  $("room-slowmode").value = String(room?.slowmode_seconds ?? 0);
  $("room-voice").checked = room?.voice?.enabled ?? true;
  $("room-video").checked = room?.voice?.allow_video ?? true;
  $("room-screen").checked = room?.voice?.allow_screen_share ?? true;
  for (const id of ["room-topic-input", "room-visibility", "room-readonly", "room-slowmode", "room-voice"]) $(id).disabled = !canEdit;
  syncVoiceChecks();
  $("room-save").hidden = !canEdit;
  $("room-save").textContent = room ? "Save" : "Create";
  $("room-delete").hidden = !room || (rank < RANK.owner && !state.me?.is_admin);
  $("room-error").textContent = "";
  $("room-bans").hidden = true;
  dialog.showModal();
  (room ? $("room-topic-input") : $("room-name")).focus();
  if (room && rank >= RANK.moderator) loadBans(room.name);
}

async function loadBans(name) {
  try {
    const { bans } = await api.get(roomPath(name, "/bans"));
    $("room-bans").hidden = bans.length === 0;
    $("ban-list").replaceChildren(...bans.map((ban) => {
      const item = document.createElement("li");
      item.textContent = `${personText(ban.user)}${ban.reason ? `: ${ban.reason}` : ""} `;
      item.append(actionButton("Unban", `Unban ${ban.user.username}`, async () => {
        try {
          await api.delete(roomPath(name, `/bans/${encodeURIComponent(ban.user.username)}`));
          item.remove();
          toast(`${ban.user.username} may come back.`);
        } catch (error) {
          $("room-error").textContent = describe(error);
        }
      }));
      return item;
    }));
  } catch {
    $("room-bans").hidden = true;
  }
}
