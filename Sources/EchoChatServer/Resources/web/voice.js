// The voice panel and its connection: a LiveKit token from EchoChat, then LiveKit's own JS client
// (voice-media.js). Every request for a seat may queue: a full room answers with a place in the
// queue, and the seat offered later is taken the same way as one given at once; a moderator's move
// reconnects to the new sub-room (voice-queue.js). Who is in voice is shown before joining
// (voice-roster.js), with a moderator's tools (voice-moderation.js); voice-view.js draws it all.

import { roomPath } from "./api.js";
import { describe } from "./dom.js";
import { RANK, myRank } from "./state.js";
import { seatsIn } from "./voice-roster.js";
import { VoiceModeration } from "./voice-moderation.js";
import { loadLivekitClient, wireRoom } from "./voice-media.js";
import { leaveQueue, moved, seatOffered, updateQueue } from "./voice-queue.js";
import { renderPanel, renderPanelRoster } from "./voice-view.js";

/// Why a request for a seat was refused, in words.
function joinError(error) {
  switch (error.code) {
    case "room_full": return "Voice is full in every sub-room.";
    case "voice_banned": return "You are banned from voice in this room.";
    case "voice_kicked": return "A moderator removed you from voice; try again later.";
    case "livekit_disabled": return "Voice is not set up on this server.";
    default: return describe(error);
  }
}

export class VoicePanel {
  /// `onSeats(roomName, count)`: what GET …/voice says of the seats held, for the room list.
  constructor({ api, config, elements, announce, onSeats }) {
    this.api = api;
    this.config = config;
    this.el = elements;
    this.announce = announce;
    this.onSeats = onSeats ?? (() => {});
    this.room = null;          // EchoChat room shown in the panel
    this.session = null;       // { livekit, client, roomName, subroomName, subroom }
    this.roster = { subrooms: [], queue_length: 0 };
    this.rosterVersion = 0;    // counts live rosters: an older GET must not replace a newer event
    this.rosterSignature = null;
    this.queue = null;         // { roomName, position }: waiting for a seat
    this.asked = null;         // the room this tab queued for: its offer is taken at once
    this.declined = null;      // the room whose queue I left: a late offer from it is not taken
    this.dropped = null;       // { roomName, at, mic }: LiveKit closed the connection (a move may follow)
    this.moderation = new VoiceModeration({
      api,
      elements: elements.moderation,
      setStatus: (text, isError) => this.setStatus(text, isError),
      clearError: () => { if (this.el.status.classList.contains("error")) this.setStatus(""); },
      announce,
      onClose: (username, returnFocus) => {
        this.rosterSignature = null;
        this.renderRoster();
        if (returnFocus) this.el.occupancy.querySelector(`button.voice-moderate[data-username="${CSS.escape(username)}"]`)?.focus();
      },
    });
    this.el.join.addEventListener("click", () => this.join());
    this.el.leave.addEventListener("click", () => this.leave());
    this.el.queueLeave.addEventListener("click", () => this.leaveQueue());
    this.el.mute.addEventListener("click", () => this.toggle("mic"));
    this.el.camera.addEventListener("click", () => this.toggle("camera"));
    this.el.screen.addEventListener("click", () => this.toggle("screen"));
    this.el.audio.addEventListener("click", async () => {
      try { await this.session?.livekit.startAudio(); } catch (error) { this.setStatus(`Sound stays off: ${error.message || error}`, true); }
      this.render();
    });
  }

  get available() {
    return Boolean(this.config.livekit_enabled && this.room?.voice?.enabled);
  }

  /// Shows `room` (or nothing); a live voice session, or a place in a queue, stays while browsing
  /// other rooms. Fetches who is in voice: members see it before they join.
  async show(room, myRole) {
    const changed = room?.name !== this.room?.name;
    this.room = room;
    this.myRole = myRole;
    const available = this.available;
    this.el.panel.hidden = !room;
    if (changed) {
      this.roster = { subrooms: [], queue_length: 0 };
      this.rosterSignature = null;
    }
    this.moderation.show(available ? room.name : null, available && myRank(myRole) >= RANK.moderator);
    if (!room) return;
    this.el.unavailable.hidden = available;
    this.el.unavailable.textContent = !this.config.livekit_enabled
      ? "Voice is not set up on this server."
      : "This room has no voice channel.";
    this.render();
    if (available && (myRole || room.visibility === "public")) {
      const seen = this.rosterVersion;
      try {
        const data = await this.api.get(roomPath(room.name, "/voice"));
        this.onSeats(room.name, seatsIn(data.subrooms));
        if (this.room?.name !== room.name) return;
        if (this.rosterVersion === seen) {
          this.roster = { subrooms: data.subrooms ?? [], queue_length: data.queue_length ?? 0 };
        }
        const position = data.my_queue_position;
        if (typeof position === "number" && !this.session && !this.joining) this.queue = { roomName: room.name, position };
        else if (position === null && this.queue?.roomName === room.name) this.queue = null;
      } catch { /* shown as empty */ }
      this.render();
    }
  }

  /// `voice.roster` (or, from a server that sends only that, `voice.occupancy`): the whole list.
  updateRoster(roomName, subrooms, queueLength) {
    if (this.room?.name !== roomName) return;
    this.rosterVersion += 1;
    this.roster = { subrooms: subrooms ?? [], queue_length: queueLength ?? this.roster.queue_length ?? 0 };
    this.render();
  }

  updateOccupancy(roomName, subrooms) {
    this.updateRoster(roomName, subrooms, null);
  }

  /// `voice.queue`: my place in a room's queue, or null (voice-queue.js).
  updateQueue(roomName, position) {
    updateQueue(this, roomName, position);
  }

  /// Asks for a seat (beside `companions`, usernames) in the room shown; a full room queues.
  async join(companions = []) {
    if (!this.room || this.session || this.joining || this.queue) return;
    const roomName = this.room.name;
    const attempt = (this.joining = {});  // cancelled by leave() while it is under way
    this.declined = null;
    this.render();
    this.setStatus(companions.length ? `Asking for a seat beside ${companions.join(", ")}…` : `Asking for a seat in ${roomName}…`);
    let grant;
    try {
      const body = { room: roomName, queue: true };
      if (companions.length) body.with = companions;
      grant = await this.api.post("/api/livekit/token", body);
    } catch (error) {
      if (this.joining === attempt) {
        this.joining = null;
        this.setStatus(`Could not join voice: ${joinError(error)}`, true);
        this.render();
      }
      return;
    }
    if (this.joining !== attempt) {
      // Given up while asking: a place in the queue is handed back.
      if (grant?.queued) this.api.delete(roomPath(roomName, "/voice/queue")).catch(() => {});
      return;
    }
    if (grant?.queued) {
      this.joining = null;
      this.asked = roomName;
      this.queue = { roomName, position: grant.position ?? null };
      this.setStatus("");
      this.announce(grant.position
        ? `Voice is full: you are number ${grant.position} in the queue. You join by yourself when a seat is free.`
        : "Voice is full: you are in the queue. You join by yourself when a seat is free.");
      this.render();
      return;
    }
    await this.connect(grant, roomName, attempt);
  }

  /// Sits beside `person` of the roster: the strategy is asked for their sub-room.
  joinWith(person) {
    return this.join([person.username]);
  }

  /// Leaves the queue (DELETE …/voice/queue); quiet: on the way out, without a word.
  leaveQueue(quiet = false) {
    return leaveQueue(this, quiet);
  }

  /// `voice.seat_offered`: a seat is held for me; taken at once, as a seat given without waiting.
  seatOffered(offer) {
    return seatOffered(this, offer);
  }

  /// `voice.moved`: a moderator moved me; the old connection goes, the new token joins the new sub-room.
  moved(move) {
    return moved(this, move);
  }

  /// Connects with a seat's `grant` ({url, room, token, subroom}): the end of a join, an offered
  /// seat and a move alike. `attempt` is this.joining for this try.
  async connect(grant, roomName, attempt, { joined, microphone = true } = {}) {
    this.render();
    let livekit = null;
    try {
      const client = await loadLivekitClient(this.config.livekit_client_url);
      if (this.joining !== attempt) return;
      livekit = new client.Room({ adaptiveStream: true, dynacast: true });
      this.session = { livekit, client, roomName, subroomName: grant.room, subroom: grant.subroom };
      wireRoom(this, livekit, client);
      this.setStatus(`Connecting to ${grant.room}…`);
      await livekit.connect(grant.url, grant.token);
      if (this.joining !== attempt) {
        await livekit.disconnect();
        return;
      }
      this.joining = null;
      this.queue = null;
      this.setStatus("");
      this.announce(joined ?? `Joined voice in ${grant.room}`);
      const participant = livekit.localParticipant;
      // A listen-only token (a read-only room, a voice mute) may not publish: no microphone prompt then.
      if (participant?.permissions?.canPublish !== false) {
        try {
          await participant?.setMicrophoneEnabled?.(microphone);
        } catch (error) {
          this.setStatus(`Listening only: ${error.message || "the microphone is not available"}`);
        }
      } else {
        this.setStatus("Listening only: you may not speak here.");
      }
      // Browsers may block sound until a click; the panel then offers to enable it.
      try { await livekit.startAudio?.(); } catch { /* offered by the audio button */ }
    } catch (error) {
      if (this.joining === attempt) {
        this.joining = null;
        this.teardown();
        try { await livekit?.disconnect(); } catch { /* never connected */ }
        this.setStatus(`Could not join voice: ${joinError(error)}`, true);
      }
    }
    this.render();
  }

  /// Leaves voice (and a queue I wait in): signing out, leaving the room, or the Leave button.
  async leave() {
    this.joining = null;
    this.dropped = null;
    this.asked = null;
    if (this.queue) await this.leaveQueue(true);
    if (!this.session) {
      this.render();
      return;
    }
    const { livekit } = this.session;
    this.teardown();
    this.setStatus("");
    try { await livekit.disconnect(); } catch { /* gone either way */ }
    this.announce("Left voice");
    this.render();
  }

  async toggle(kind) {
    const session = this.session;
    if (!session) return;
    const participant = session.livekit.localParticipant;
    const state = this.localState();
    try {
      if (kind === "mic") await participant.setMicrophoneEnabled(!state.mic);
      else if (kind === "camera") await participant.setCameraEnabled(!state.camera);
      else await participant.setScreenShareEnabled(!state.screen);
      this.setStatus("");
    } catch (error) {
      this.setStatus(`That did not work: ${error.message || error}`, true);
    }
    this.render();
  }

  /// What LiveKit says is on: the truth after a moderator's mute or a share stopped from the browser's bar.
  localState() {
    const participant = this.session?.livekit.localParticipant;
    return {
      mic: Boolean(participant?.isMicrophoneEnabled),
      camera: Boolean(participant?.isCameraEnabled),
      screen: Boolean(participant?.isScreenShareEnabled),
    };
  }

  teardown() {
    this.el.media.replaceChildren();
    this.session = null;
  }

  /// A notice for screen readers and eyes: written only when it changes.
  setStatus(text, isError = false) {
    if (this.el.status.textContent !== text) this.el.status.textContent = text;
    this.el.status.classList.toggle("error", isError);
  }

  /// Draws the panel from what it knows (voice-view.js).
  render() {
    renderPanel(this);
  }

  /// Draws the roster again if something it shows changed (voice-view.js).
  renderRoster() {
    renderPanelRoster(this);
  }
}
