// A moderator's voice tools in the voice panel: for one person in the roster a small box (move to
// another sub-room, mute or unmute, ban from voice), Mute all for a sub-room, and the room's voice
// bans with a Lift button each. The server decides; a refusal is shown in the panel's status line.

import { roomPath } from "./api.js";
import { actionButton, describe, formatTime, personText } from "./dom.js";

/// The refusals a moderator meets most, in words; others as the server words them.
const REFUSALS = {
  subroom_full: "that sub-room is full.",
  not_in_voice: "not in voice any more.",
  not_found: "not banned from voice.",
};

function refusal(error) {
  return REFUSALS[error?.code] ?? describe(error);
}

export class VoiceModeration {
  /// `elements`: box, title, target (select), move, mute, reason, ban, close, bans (details),
  /// banList, banCount, bansEmpty. `setStatus(text, isError)` writes the panel's status line and
  /// `clearError()` takes an error off it; `onClose(username, returnFocus)` follows closing the box.
  constructor({ api, elements, setStatus, clearError, announce, onClose }) {
    this.api = api;
    this.el = elements;
    this.setStatus = setStatus;
    this.clearError = clearError;
    this.announce = announce;
    this.onClose = onClose;
    this.roomName = null;
    this.person = null;        // the roster entry the box acts on
    this.subrooms = [];
    this.el.close.addEventListener("click", () => this.close(true));
    this.el.move.addEventListener("click", () => this.move());
    this.el.mute.addEventListener("click", () => this.toggleMute());
    this.el.ban.addEventListener("click", () => this.ban());
    this.el.box.addEventListener("keydown", (event) => {
      if (event.key === "Escape") {
        event.stopPropagation();
        this.close(true);
      }
    });
    this.el.bans.addEventListener("toggle", () => { if (this.el.bans.open && this.roomName) this.loadBans(this.roomName); });
  }

  get openFor() { return this.person?.username ?? null; }

  /// The room shown and whether I moderate it: the bans list is only a moderator's.
  show(roomName, isModerator) {
    if (roomName !== this.roomName || !isModerator) this.close(false);
    this.roomName = roomName;
    this.el.bans.hidden = !isModerator;
    if (isModerator) this.loadBans(roomName);
    else this.el.banList.replaceChildren();
  }

  /// Opens the box for `person` (closes it when it is already open for them). The panel then
  /// puts it under their roster entry (place) and moves focus into it.
  open(person, subrooms) {
    if (this.person?.username === person.username) {
      this.close(true);
      return;
    }
    this.person = { ...person };
    this.el.reason.value = "";
    this.el.title.textContent = `Moderate ${personText(person)}`;
    this.sync(subrooms);
    this.el.box.hidden = false;
  }

  close(returnFocus) {
    if (!this.person) return;
    const username = this.person.username;
    this.person = null;
    this.el.box.hidden = true;
    this.onClose?.(username, returnFocus);
  }

  /// A new roster: the person's sub-room and mute may have changed, and the sub-rooms too.
  sync(subrooms) {
    this.subrooms = subrooms;
    if (!this.person) return;
    let current = null;
    for (const subroom of subrooms) {
      const found = (subroom.participants ?? []).find((person) => person.username === this.person.username);
      if (found) {
        Object.assign(this.person, found);
        current = subroom.index;
      }
    }
    this.person.subroom = current;
    const targets = subrooms.filter((subroom) => subroom.index !== current)
      .map((subroom) => ({ index: subroom.index, label: subroom.livekit_room }));
    const next = Math.max(0, ...subrooms.map((subroom) => subroom.index)) + 1;
    targets.push({ index: next, label: `Sub-room ${next} (new)` });
    const chosen = this.el.target.value;
    this.el.target.replaceChildren(...targets.map((target) => {
      const option = document.createElement("option");
      option.value = String(target.index);
      option.textContent = target.label;
      return option;
    }));
    if (targets.some((target) => String(target.index) === chosen)) this.el.target.value = chosen;
    const muted = Boolean(this.person.voice_muted);
    this.el.mute.textContent = muted ? "Unmute" : "Mute";
    this.el.mute.setAttribute("aria-label", `${muted ? "Unmute" : "Mute"} ${personText(this.person)} in voice`);
    this.el.mute.dataset.action = muted ? "unmute" : "mute";
  }

  /// Puts the box under the person's roster entry (or after the roster when they are not in it).
  place(roster) {
    if (!this.person) return;
    const item = [...roster.querySelectorAll("li.voice-person")].find((li) => li.dataset.username === this.person.username);
    if (item) item.append(this.el.box);
    else roster.after(this.el.box);
  }

  async act(work, done) {
    const roomName = this.roomName;
    const person = this.person;
    if (!roomName || !person) return;
    try {
      await work(roomName, person);
      // Success shows in the roster itself; said aloud, and the status line keeps only errors.
      this.clearError();
      this.announce(done(person));
    } catch (error) {
      this.setStatus(`${personText(person)}: ${refusal(error)}`, true);
    }
  }

  move() {
    const subroom = Number(this.el.target.value);
    if (!subroom) return;
    const label = this.el.target.selectedOptions[0]?.textContent ?? `sub-room ${subroom}`;
    return this.act(
      (room, person) => this.api.post(roomPath(room, "/voice/move"), { username: person.username, subroom }),
      (person) => {
        this.close(true);
        return `Moved ${personText(person)} to ${label.replace(/ \(new\)$/, "")}.`;
      });
  }

  toggleMute() {
    const unmute = Boolean(this.person?.voice_muted);
    return this.act(
      (room, person) => unmute
        ? this.api.delete(roomPath(room, `/voice/mutes/${encodeURIComponent(person.username)}`))
        : this.api.post(roomPath(room, "/voice/mute"), { username: person.username }),
      (person) => {
        person.voice_muted = !unmute;
        this.sync(this.subrooms.map((subroom) => ({
          ...subroom,
          participants: (subroom.participants ?? []).map((entry) => entry.username === person.username ? { ...entry, voice_muted: !unmute } : entry),
        })));
        return unmute ? `${personText(person)} may speak again.` : `${personText(person)} is muted in voice.`;
      });
  }

  ban() {
    const reason = this.el.reason.value.trim();
    return this.act(
      (room, person) => this.api.post(roomPath(room, "/voice/bans"), reason ? { username: person.username, reason } : { username: person.username }),
      (person) => {
        this.close(true);
        if (this.roomName) this.loadBans(this.roomName);
        return `${personText(person)} is banned from voice.`;
      });
  }

  async muteAll(subroom) {
    const roomName = this.roomName;
    if (!roomName) return;
    try {
      const result = await this.api.post(roomPath(roomName, "/voice/mute_all"), { subroom: subroom.index });
      const count = Number(result?.muted) || 0;
      this.clearError();
      this.announce(`Muted ${count === 1 ? "1 person" : `${count} people`} in ${subroom.livekit_room}.`);
    } catch (error) {
      this.setStatus(`Mute all in ${subroom.livekit_room}: ${describe(error)}`, true);
    }
  }

  async loadBans(roomName) {
    let bans;
    try {
      ({ bans } = await this.api.get(roomPath(roomName, "/voice/bans")));
    } catch (error) {
      if (this.roomName === roomName && error.status !== 403) this.setStatus(`Voice bans: ${describe(error)}`, true);
      return;
    }
    if (this.roomName !== roomName) return;
    this.el.banCount.textContent = bans.length ? String(bans.length) : "";
    this.el.bansEmpty.hidden = bans.length > 0;
    this.el.banList.replaceChildren(...bans.map((ban) => {
      const item = document.createElement("li");
      item.dataset.username = ban.username;
      const parts = [personText(ban)];
      if (ban.reason) parts.push(ban.reason);
      if (ban.expires_at) parts.push(`until ${formatTime(ban.expires_at)}`);
      item.append(parts.join(" · "), " ");
      item.append(actionButton("Lift", `Lift the voice ban on ${ban.username}`, async (event) => {
        const lift = event.currentTarget;
        lift.disabled = true;
        try {
          await this.api.delete(roomPath(roomName, `/voice/bans/${encodeURIComponent(ban.username)}`));
          this.clearError();
          this.announce(`${personText(ban)} may use voice again.`);
          this.loadBans(roomName);
        } catch (error) {
          lift.disabled = false;
          this.setStatus(`Lifting the ban on ${ban.username}: ${refusal(error)}`, true);
        }
      }));
      return item;
    }));
  }
}
