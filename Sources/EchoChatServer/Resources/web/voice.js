// The voice panel: a LiveKit token from EchoChat, then LiveKit's own JS client, loaded on first use
// from the URL the server names (GET /api/config). Every request for a seat may queue: a full room
// answers with a place in the queue, and the seat offered later (`voice.seat_offered`) is taken
// the same way as one given at once. A moderator's move (`voice.moved`) reconnects to the new
// sub-room. Who is in voice is shown before joining (voice-roster.js), with a moderator's tools
// (voice-moderation.js).

import { roomPath } from "./api.js";
import { describe, personText } from "./dom.js";
import { RANK, myRank, state } from "./state.js";
import { renderRoster, seatsIn } from "./voice-roster.js";
import { VoiceModeration } from "./voice-moderation.js";

let clientLoading = null;

/// Loads LiveKit's UMD build once; it defines window.LivekitClient.
function loadLivekitClient(url) {
  if (window.LivekitClient) return Promise.resolve(window.LivekitClient);
  if (!clientLoading) {
    clientLoading = new Promise((resolve, reject) => {
      const script = document.createElement("script");
      script.src = url;
      script.async = true;
      script.crossOrigin = "anonymous";
      script.onload = () => (window.LivekitClient ? resolve(window.LivekitClient) : reject(new Error("the LiveKit client did not load")));
      script.onerror = () => { clientLoading = null; reject(new Error(`cannot load the LiveKit client from ${url}`)); };
      document.head.append(script);
    });
  }
  return clientLoading;
}

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

/// How long after LiveKit dropped us a moderator's move still reconnects (the move's event may
/// arrive after LiveKit closed the old connection).
const MOVE_GRACE_MS = 30_000;

/// An offered seat reaches every tab of its user: the tab that asked takes it at once and says
/// so here; another tab (or one reloaded meanwhile) takes it only if none did within this long.
const OFFER_CLAIM_KEY = "echochat.voice-offer";
const OFFER_WAIT_MS = 1_500;

function offerClaimed(offer) {
  try { return localStorage.getItem(OFFER_CLAIM_KEY) === offer.token.slice(-32); } catch { return false; }
}

function claimOffer(offer) {
  try { localStorage.setItem(OFFER_CLAIM_KEY, offer.token.slice(-32)); } catch { /* storage off: one tab anyway */ }
}

/// Claims the offer for this tab, once among every tab of this origin: under a Web Lock where the
/// browser has them, so two tabs cannot both see it unclaimed and both connect.
async function tryClaimOffer(offer) {
  const claim = () => {
    if (offerClaimed(offer)) return false;
    claimOffer(offer);
    return true;
  };
  if (!navigator.locks?.request) return claim();
  try {
    return await navigator.locks.request(OFFER_CLAIM_KEY, claim);
  } catch {
    return claim();
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

  /// `voice.queue`: my place in a room's queue; null when I no longer wait (a seat was offered,
  /// or the queue was cleared).
  updateQueue(roomName, position) {
    if (position == null) {
      if (this.queue?.roomName === roomName) {
        this.queue = null;
        this.render();
      }
      return;
    }
    if (this.session || this.joining || this.declined === roomName) return;
    const moved = this.queue?.roomName === roomName && this.queue.position !== position;
    this.queue = { roomName, position };
    if (moved) this.announce(`You are now number ${position} in the queue for voice in ${roomName}`);
    this.render();
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
  async leaveQueue(quiet = false) {
    const queue = this.queue;
    if (!queue) return;
    try {
      await this.api.delete(roomPath(queue.roomName, "/voice/queue"));
    } catch (error) {
      if (!quiet) this.setStatus(`Could not leave the queue: ${describe(error)}`, true);
      return;
    }
    if (this.queue === queue) this.queue = null;
    this.asked = null;
    this.declined = queue.roomName;
    if (!quiet) {
      this.setStatus("");
      this.announce(`You left the queue for voice in ${queue.roomName}`);
    }
    this.render();
  }

  /// `voice.seat_offered`: a seat is held for me; taken at once, as a seat given without waiting.
  async seatOffered(offer) {
    // Offered a seat, I no longer wait in the queue, whichever tab takes it.
    if (this.queue?.roomName === offer.channel) {
      this.queue = null;
      this.render();
    }
    if (this.session || this.joining || this.declined === offer.channel) return;
    if (this.asked !== offer.channel) {
      await new Promise((resolve) => setTimeout(resolve, OFFER_WAIT_MS));
      if (this.session || this.joining || this.declined === offer.channel) return;
    }
    if (!(await tryClaimOffer(offer))) return;
    this.asked = null;
    this.queue = null;
    this.announce(`A seat is free in ${offer.channel}: joining voice`);
    await this.connect(offer, offer.channel, (this.joining = {}), { joined: `A seat came free: you joined voice in ${offer.room}` });
  }

  /// `voice.moved`: a moderator moved me; the old connection goes, the new token joins the new sub-room.
  async moved(move) {
    const session = this.session?.roomName === move.channel ? this.session : null;
    const recent = this.dropped?.roomName === move.channel && Date.now() - this.dropped.at < MOVE_GRACE_MS;
    if (!session && !recent) return;
    const mic = session ? this.localState().mic : this.dropped.mic;
    this.dropped = null;
    const attempt = (this.joining = {});
    if (session) {
      this.teardown();  // first: the old room's Disconnected is then not taken for a drop
      try { await session.livekit.disconnect(); } catch { /* LiveKit closes it anyway */ }
    }
    this.announce(`A moderator moved you to ${move.room}`);
    await this.connect(move, move.channel, attempt, { joined: `A moderator moved you to ${move.room}`, microphone: mic });
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
      this.wire(livekit, client);
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

  wire(livekit, client) {
    const events = client.RoomEvent ?? {};
    const on = (name, handler) => { if (name && livekit.on) livekit.on(name, handler); };
    const rerender = () => this.render();
    on(events.ParticipantConnected, rerender);
    on(events.ParticipantDisconnected, rerender);
    on(events.ActiveSpeakersChanged, rerender);
    on(events.TrackMuted, rerender);
    on(events.TrackUnmuted, rerender);
    on(events.ParticipantPermissionsChanged, rerender);
    on(events.AudioPlaybackStatusChanged, rerender);
    on(events.LocalTrackUnpublished, rerender);
    on(events.TrackSubscribed, (track) => this.attach(track));
    on(events.TrackUnsubscribed, (track) => { track.detach?.().forEach((element) => element.remove()); rerender(); });
    on(events.LocalTrackPublished, (publication) => { if (publication.track?.kind === "video") this.attach(publication.track, true); });
    on(events.LocalTrackUnpublished, (publication) => { publication.track?.detach?.().forEach((element) => element.remove()); this.render(); });
    on(events.Disconnected, () => {
      if (this.session?.livekit === livekit) {
        // A moderator's move closes the old connection too: its event may still come.
        this.dropped = { roomName: this.session.roomName, at: Date.now(), mic: this.localState().mic };
        this.teardown();
        this.setStatus("Voice disconnected.");
        this.render();
      }
    });
  }

  attach(track, isLocal = false) {
    const element = track.attach?.();
    if (!element) return;
    if (track.kind === "video") {
      element.setAttribute("aria-label", isLocal ? "Your video" : "Video");
      element.muted = true;
      this.el.media.append(element);
    } else {
      element.hidden = true;
      this.el.media.append(element);
    }
    this.render();
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

  participants() {
    const livekit = this.session?.livekit;
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

  render() {
    const room = this.room;
    const available = this.available;
    const here = this.session && this.session.roomName === room?.name;
    const elsewhere = this.session && !here;
    const queue = this.queue;
    this.el.join.hidden = Boolean(this.session) || !available || Boolean(queue);
    this.el.join.title = this.myRole ? "" : "Join the room to use its voice channel";
    this.el.join.disabled = !this.myRole || Boolean(this.joining);
    this.el.controls.hidden = !this.session || Boolean(this.joining);
    const state = this.localState();
    this.el.mute.setAttribute("aria-pressed", String(Boolean(this.session) && !state.mic));
    const voice = this.session ? (here ? room.voice : null) : null;
    const canPublish = this.session?.livekit.localParticipant?.permissions?.canPublish !== false;
    this.el.mute.disabled = !canPublish;
    this.el.camera.hidden = !(voice?.allow_video) || !canPublish;
    this.el.camera.setAttribute("aria-pressed", String(state.camera));
    this.el.screen.hidden = !(voice?.allow_screen_share) || !canPublish;
    this.el.screen.setAttribute("aria-pressed", String(state.screen));
    this.el.audio.hidden = !this.session || this.session.livekit.canPlaybackAudio !== false;
    // Not a live region: re-rendered on every change of speaker.
    let where = available ? "Not in voice." : "";
    if (this.session && !this.joining) {
      const seat = `${this.session.subroomName} (sub-room ${this.session.subroom})`;
      where = elsewhere ? `In voice in ${seat}.` : `In voice: ${seat}`;
    }
    setText(this.el.where, where);
    setText(this.el.subroom, this.session ? this.session.subroomName : "");

    // Waiting for a seat: changes of place are announced by updateQueue, not by this text.
    this.el.queue.hidden = !queue;
    if (queue) {
      const place = queue.position ? `You are number ${queue.position} in the queue` : "You are in the queue";
      setText(this.el.queuePosition, queue.roomName === room?.name ? `${place}.` : `${place} for voice in ${queue.roomName}.`);
    }

    const people = this.participants();
    this.el.participants.replaceChildren(...people.map((person) => {
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
    this.renderRoster();
  }

  /// The roster, rebuilt only when something it shows changed (render runs on every speaker
  /// change); focus stays on the button, or in the moderation box, it was on.
  renderRoster() {
    const available = this.available;
    // Nobody in voice: the notice says so, without a list of empty sub-rooms.
    const subrooms = available && seatsIn(this.roster.subrooms) > 0 ? this.roster.subrooms : [];
    const rank = myRank(this.myRole);
    const me = state.me?.username ?? null;
    const canJoinWith = available && Boolean(this.myRole) && !this.session && !this.joining && !this.queue;
    const current = this.session && this.session.roomName === this.room?.name ? this.session.subroomName : null;
    const waiting = available ? Number(this.roster.queue_length) || 0 : 0;
    setText(this.el.queueLength, waiting === 0 ? "" : waiting === 1 ? "1 person waits for a seat." : `${waiting} people wait for a seat.`);
    this.el.occupancyEmpty.hidden = !available || subrooms.length > 0;
    const signature = JSON.stringify([subrooms, current, canJoinWith, rank, me, this.moderation.openFor]);
    if (signature === this.rosterSignature) return;
    this.rosterSignature = signature;
    const active = document.activeElement;
    const inRoster = this.el.occupancy.contains(active) || this.moderation.el.box.contains(active);
    const key = inRoster ? active.dataset.key : null;
    renderRoster(this.el.occupancy, subrooms, {
      me,
      currentSubroom: current,
      canJoinWith,
      myRank: rank,
      moderatorOpen: this.moderation.openFor,
      onJoinWith: (person) => this.joinWith(person),
      onModerate: (person) => {
        const opening = this.moderation.openFor !== person.username;
        this.moderation.open(person, this.roster.subrooms);
        this.rosterSignature = null;
        this.renderRoster();
        if (opening) this.moderation.el.target.focus();
      },
      onMuteAll: (subroom) => this.moderation.muteAll(subroom),
    });
    this.moderation.sync(subrooms);
    this.moderation.place(this.el.occupancy);
    if (inRoster && document.activeElement !== active) {
      if (active.isConnected && !active.closest("[hidden]")) active.focus({ preventScroll: true });
      else if (key) this.el.occupancy.querySelector(`[data-key="${CSS.escape(key)}"]`)?.focus({ preventScroll: true });
    }
  }
}

/// Writes text only when it changes (screen readers and layout notice every write).
function setText(element, text) {
  if (element.textContent !== text) element.textContent = text;
}
