// The voice roster: who is in each sub-room of the open room, seen before joining voice. Built
// from GET /api/rooms/{name}/voice and kept live from `voice.roster` events (or, from a server
// that sends only those, `voice.occupancy`). Beside each person: a Join button (sit with them)
// and, for a moderator, a Moderate button; beside each sub-room a moderator's Mute all.

import { RANK } from "./state.js";
import { badge, personText } from "./dom.js";

/// The people a sub-room lists (joined, and "reserved": holding a token, not connected yet).
function peopleOf(subroom) {
  return Array.isArray(subroom?.participants) ? subroom.participants : [];
}

/// Tokens held that the list does not name: a server that only counts them (`voice.occupancy`).
function unlistedReserved(subroom) {
  const listed = peopleOf(subroom).filter((person) => person.state === "reserved").length;
  return Math.max(0, (Number(subroom?.reserved) || 0) - listed);
}

/// Seats a sub-room holds: the people it lists, and any reservation it only counts.
export function seatCount(subroom) {
  return peopleOf(subroom).length + unlistedReserved(subroom);
}

/// Seats held in all of a room's sub-rooms: the room list's "N in voice".
export function seatsIn(subrooms) {
  return (subrooms ?? []).reduce((sum, subroom) => sum + seatCount(subroom), 0);
}

/// Whether a role is shown as a badge: moderators and up.
function shownRole(role) {
  return (RANK[role] ?? 0) >= RANK.moderator ? role : null;
}

/// A person's state in words, for the badges and the screen-reader label alike.
export function personNotes(person) {
  const notes = [];
  const role = shownRole(person.role);
  if (role) notes.push(role);
  if (person.state === "reserved") notes.push("joining");
  if (person.voice_muted) notes.push("server-muted");
  else if (person.muted && person.state !== "reserved") notes.push("muted");
  return notes;
}

function button(text, label, className, handler) {
  const element = document.createElement("button");
  element.type = "button";
  element.className = `small ${className}`;
  element.textContent = text;
  element.setAttribute("aria-label", label);
  element.addEventListener("click", handler);
  return element;
}

/// Replaces `list`'s items with the roster. `options`:
///   me: my username; currentSubroom: the LiveKit room I am in (or null);
///   canJoinWith: whether Join buttons are offered; myRank: my rank (RANK, 5 for a server admin);
///   moderatorOpen: the username whose moderation box is open (its button says so);
///   onJoinWith(person), onModerate(person), onMuteAll(subroom).
export function renderRoster(list, subrooms, options) {
  const moderator = options.myRank >= RANK.moderator;
  list.replaceChildren(...subrooms.map((subroom) => {
    const item = document.createElement("li");
    item.className = "subroom";
    item.dataset.subroom = String(subroom.index);
    if (options.currentSubroom && options.currentSubroom === subroom.livekit_room) item.classList.add("current");

    const head = document.createElement("div");
    head.className = "subroom-head";
    const title = document.createElement("span");
    title.className = "subroom-name";
    title.textContent = subroom.livekit_room;
    const count = document.createElement("span");
    count.className = "subroom-count";
    const seats = seatCount(subroom);
    count.textContent = seats === 0 ? "empty" : seats === 1 ? "1 person" : `${seats} people`;
    head.append(title, " ", count);
    if (moderator && seats > 0) {
      const muteAll = button("Mute all", `Mute everyone in ${subroom.livekit_room}`, "voice-mute-all", () => options.onMuteAll(subroom));
      muteAll.dataset.subroom = String(subroom.index);
      muteAll.dataset.key = `mute-all:${subroom.index}`;
      head.append(muteAll);
    }
    item.append(head);

    const people = peopleOf(subroom);
    const extra = unlistedReserved(subroom);
    if (people.length || extra) {
      const names = document.createElement("ul");
      names.className = "subroom-people";
      names.setAttribute("aria-label", `In ${subroom.livekit_room}`);
      names.append(...people.map((person) => personItem(person, subroom, options)));
      if (extra) {
        const more = document.createElement("li");
        more.className = "voice-person muted";
        more.textContent = extra === 1 ? "1 more joining" : `${extra} more joining`;
        names.append(more);
      }
      item.append(names);
    }
    return item;
  }));
}

function personItem(person, subroom, options) {
  const item = document.createElement("li");
  item.className = "voice-person";
  item.dataset.username = person.username;
  if (person.state === "reserved") item.classList.add("reserved");
  const isMe = person.username === options.me;
  const who = personText(person) || "someone";

  const name = document.createElement("span");
  name.className = "voice-person-name";
  name.textContent = who + (isMe ? " (you)" : "");
  item.append(name);
  const notes = personNotes(person);
  for (const note of notes) {
    const extra = note === shownRole(person.role) ? `role role-${note}` : note === "server-muted" ? "server-muted" : "";
    item.append(" ", badge(note, extra));
  }

  const actions = document.createElement("span");
  actions.className = "voice-person-actions";
  if (!isMe && options.canJoinWith) {
    const join = button("Join", `Join voice beside ${who}`, "voice-join-with", () => options.onJoinWith(person));
    join.dataset.username = person.username;
    join.dataset.key = `join:${person.username}`;
    actions.append(join);
  }
  const theirs = RANK[person.role] ?? 0;
  if (!isMe && options.myRank >= RANK.moderator && options.myRank > theirs) {
    const open = options.moderatorOpen === person.username;
    const moderate = button("Moderate", `Moderate ${who} in voice`, "voice-moderate", () => options.onModerate(person));
    moderate.dataset.username = person.username;
    moderate.dataset.key = `moderate:${person.username}`;
    moderate.setAttribute("aria-expanded", String(open));
    moderate.setAttribute("aria-controls", "voice-mod");
    actions.append(moderate);
  }
  if (actions.childElementCount) item.append(" ", actions);
  return item;
}
