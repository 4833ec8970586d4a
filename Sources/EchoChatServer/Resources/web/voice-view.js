// Drawing the voice panel (voice.js): its buttons, where I sit, my place in a queue, the people
// in my LiveKit room, and the roster of who is in voice (voice-roster.js) with a moderator's box
// (voice-moderation.js) beside the person it acts on. Each takes the panel it draws.

import { personText } from "./dom.js";
import { myRank, state } from "./state.js";
import { renderRoster, seatsIn } from "./voice-roster.js";

/// The people in my LiveKit room, as LiveKit has them.
function participants(panel) {
  const livekit = panel.session?.livekit;
  if (!livekit) return [];
  const people = [];
  const describe = (participant, isLocal) => ({
    name: personText({ display_name: participant.name, username: participant.identity }) || "someone",
    isLocal,
    speaking: Boolean(participant.isSpeaking),
    muted: participant.isMicrophoneEnabled === false,
  });
  if (livekit.localParticipant) people.push(describe(livekit.localParticipant, true));
  for (const participant of livekit.remoteParticipants?.values?.() ?? []) people.push(describe(participant, false));
  return people;
}

export function renderPanel(panel) {
  const room = panel.room;
  const available = panel.available;
  const here = panel.session && panel.session.roomName === room?.name;
  const elsewhere = panel.session && !here;
  const queue = panel.queue;
  panel.el.join.hidden = Boolean(panel.session) || !available || Boolean(queue);
  panel.el.join.title = panel.myRole ? "" : "Join the room to use its voice channel";
  panel.el.join.disabled = !panel.myRole || Boolean(panel.joining);
  panel.el.controls.hidden = !panel.session || Boolean(panel.joining);
  const state = panel.localState();
  panel.el.mute.setAttribute("aria-pressed", String(Boolean(panel.session) && !state.mic));
  const voice = panel.session ? (here ? room.voice : null) : null;
  const canPublish = panel.session?.livekit.localParticipant?.permissions?.canPublish !== false;
  panel.el.mute.disabled = !canPublish;
  panel.el.camera.hidden = !(voice?.allow_video) || !canPublish;
  panel.el.camera.setAttribute("aria-pressed", String(state.camera));
  panel.el.screen.hidden = !(voice?.allow_screen_share) || !canPublish;
  panel.el.screen.setAttribute("aria-pressed", String(state.screen));
  panel.el.audio.hidden = !panel.session || panel.session.livekit.canPlaybackAudio !== false;
  // Not a live region: re-rendered on every change of speaker.
  let where = available ? "Not in voice." : "";
  if (panel.session && !panel.joining) {
    const seat = `${panel.session.subroomName} (sub-room ${panel.session.subroom})`;
    where = elsewhere ? `In voice in ${seat}.` : `In voice: ${seat}`;
  }
  setText(panel.el.where, where);
  setText(panel.el.subroom, panel.session ? panel.session.subroomName : "");

  // Waiting for a seat: changes of place are announced by updateQueue, not by this text.
  panel.el.queue.hidden = !queue;
  if (queue) {
    const place = queue.position ? `You are number ${queue.position} in the queue` : "You are in the queue";
    setText(panel.el.queuePosition, queue.roomName === room?.name ? `${place}.` : `${place} for voice in ${queue.roomName}.`);
  }

  const people = participants(panel);
  panel.el.participants.replaceChildren(...people.map((person) => {
    const item = document.createElement("li");
    item.textContent = person.name + (person.isLocal ? " (you)" : "");
    if (person.speaking) item.classList.add("speaking");
    if (person.muted) {
      const badge = document.createElement("span");
      badge.className = "badge";
      badge.textContent = "muted";
      item.append(" ", badge);
    }
    return item;
  }));
  renderPanelRoster(panel);
}

/// The roster, rebuilt only when something it shows changed (render runs on every speaker
/// change); focus stays on the button, or in the moderation box, it was on.
export function renderPanelRoster(panel) {
  const available = panel.available;
  // Nobody in voice: the notice says so, without a list of empty sub-rooms.
  const subrooms = available && seatsIn(panel.roster.subrooms) > 0 ? panel.roster.subrooms : [];
  const rank = myRank(panel.myRole);
  const me = state.me?.username ?? null;
  const canJoinWith = available && Boolean(panel.myRole) && !panel.session && !panel.joining && !panel.queue;
  const current = panel.session && panel.session.roomName === panel.room?.name ? panel.session.subroomName : null;
  const waiting = available ? Number(panel.roster.queue_length) || 0 : 0;
  setText(panel.el.queueLength, waiting === 0 ? "" : waiting === 1 ? "1 person waits for a seat." : `${waiting} people wait for a seat.`);
  panel.el.occupancyEmpty.hidden = !available || subrooms.length > 0;
  const signature = JSON.stringify([subrooms, current, canJoinWith, rank, me, panel.moderation.openFor]);
  if (signature === panel.rosterSignature) return;
  panel.rosterSignature = signature;
  const active = document.activeElement;
  const inRoster = panel.el.occupancy.contains(active) || panel.moderation.el.box.contains(active);
  const key = inRoster ? active.dataset.key : null;
  renderRoster(panel.el.occupancy, subrooms, {
    me,
    currentSubroom: current,
    canJoinWith,
    myRank: rank,
    moderatorOpen: panel.moderation.openFor,
    onJoinWith: (person) => panel.joinWith(person),
    onModerate: (person) => {
      const opening = panel.moderation.openFor !== person.username;
      panel.moderation.open(person, panel.roster.subrooms);
      panel.rosterSignature = null;
      panel.renderRoster();
      if (opening) panel.moderation.el.target.focus();
    },
    onMuteAll: (subroom) => panel.moderation.muteAll(subroom),
  });
  panel.moderation.sync(subrooms);
  panel.moderation.place(panel.el.occupancy);
  if (inRoster && document.activeElement !== active) {
    if (active.isConnected && !active.closest("[hidden]")) active.focus({ preventScroll: true });
    else if (key) panel.el.occupancy.querySelector(`[data-key="${CSS.escape(key)}"]`)?.focus({ preventScroll: true });
  }
}

/// Writes text only when it changes (screen readers and layout notice every write).
function setText(element, text) {
  if (element.textContent !== text) element.textContent = text;
}
