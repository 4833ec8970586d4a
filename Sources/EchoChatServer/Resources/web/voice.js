// The voice panel: a LiveKit token from EchoChat, then LiveKit's own JS client, loaded on first use
// from the URL the server names (GET /api/config).

import { roomPath } from "./api.js";
import { personText } from "./dom.js";

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

export class VoicePanel {
  constructor({ api, config, elements, announce }) {
    this.api = api;
    this.config = config;
    this.el = elements;
    this.announce = announce;
    this.room = null;          // EchoChat room shown in the panel
    this.session = null;       // { livekit, client, roomName, subroomName, subroom }
    this.occupancy = [];
    this.el.join.addEventListener("click", () => this.join());
    this.el.leave.addEventListener("click", () => this.leave());
    this.el.mute.addEventListener("click", () => this.toggle("mic"));
    this.el.camera.addEventListener("click", () => this.toggle("camera"));
    this.el.screen.addEventListener("click", () => this.toggle("screen"));
    this.el.audio.addEventListener("click", async () => {
      try { await this.session?.livekit.startAudio(); } catch (error) { this.setStatus(`Sound stays off: ${error.message || error}`, true); }
      this.render();
    });
  }

  /// Shows `room` (or nothing); a live voice session stays up while browsing other rooms.
  async show(room, myRole) {
    this.room = room;
    this.myRole = myRole;
    const available = this.config.livekit_enabled && room?.voice?.enabled;
    this.el.panel.hidden = !room;
    if (!room) return;
    this.el.unavailable.hidden = available;
    this.el.unavailable.textContent = !this.config.livekit_enabled
      ? "Voice is not set up on this server."
      : "This room has no voice channel.";
    this.occupancy = [];
    if (available && myRole) {
      try {
        const data = await this.api.get(roomPath(room.name, "/voice"));
        if (this.room === room) this.occupancy = data.subrooms;
      } catch { /* shown as empty */ }
    }
    this.render();
  }

  /// `voice.occupancy` from the live connection.
  updateOccupancy(roomName, subrooms) {
    if (this.room?.name === roomName) {
      this.occupancy = subrooms;
      this.render();
    }
  }

  async join() {
    if (!this.room || this.session || this.joining) return;
    const roomName = this.room.name;
    const attempt = (this.joining = {});  // cancelled by leave() while it is under way
    this.render();
    this.setStatus(`Asking for a seat in ${roomName}…`);
    let livekit = null;
    try {
      const grant = await this.api.post("/api/livekit/token", { room: roomName });
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
      this.setStatus("");
      this.announce(`Joined voice in ${grant.room}`);
      const participant = livekit.localParticipant;
      // A listen-only token (a read-only room, a voice mute) may not publish: no microphone prompt then.
      if (participant?.permissions?.canPublish !== false) {
        try {
          await participant?.setMicrophoneEnabled?.(true);
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
        const text = error.code === "room_full" ? "Voice is full in every sub-room." : error.message;
        this.setStatus(`Could not join voice: ${text}`, true);
      }
    }
    this.render();
  }

  async leave() {
    this.joining = null;
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
    const available = Boolean(this.config.livekit_enabled && room?.voice?.enabled);
    const here = this.session && this.session.roomName === room?.name;
    const elsewhere = this.session && !here;
    this.el.join.hidden = Boolean(this.session) || !available;
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
    if (this.el.where.textContent !== where) this.el.where.textContent = where;
    this.el.subroom.textContent = this.session ? this.session.subroomName : "";

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
    this.el.occupancyEmpty.hidden = !available || this.occupancy.length > 0;
    this.el.occupancy.replaceChildren(...(available ? this.occupancy : []).map((subroom) => {
      const item = document.createElement("li");
      const title = document.createElement("span");
      title.className = "subroom-name";
      title.textContent = subroom.livekit_room;
      const names = subroom.participants.map(personText);
      const who = document.createElement("span");
      who.className = "subroom-people";
      const parts = names.length ? [names.join(", ")] : [];
      if (subroom.reserved) parts.push(`${subroom.reserved} joining`);
      who.textContent = parts.length ? parts.join("; ") : "empty";
      item.append(title, " ", who);
      if (this.session?.subroomName === subroom.livekit_room) item.classList.add("current");
      return item;
    }));
  }
}
