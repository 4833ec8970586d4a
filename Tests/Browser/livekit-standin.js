// A stand-in for LiveKit's JS client (its UMD build defines window.LivekitClient), for the browser
// tests where no LiveKit server runs: it records what the web client asks of it.
(() => {
  const record = (window.__livekitStandIn = { rooms: [], calls: [] });

  const RoomEvent = {
    ParticipantConnected: "participantConnected",
    ParticipantDisconnected: "participantDisconnected",
    ActiveSpeakersChanged: "activeSpeakersChanged",
    TrackSubscribed: "trackSubscribed",
    TrackUnsubscribed: "trackUnsubscribed",
    TrackMuted: "trackMuted",
    TrackUnmuted: "trackUnmuted",
    LocalTrackPublished: "localTrackPublished",
    LocalTrackUnpublished: "localTrackUnpublished",
    Disconnected: "disconnected",
  };

  function claims(token) {
    const part = token.split(".")[1].replace(/-/g, "+").replace(/_/g, "/");
    return JSON.parse(atob(part + "=".repeat((4 - (part.length % 4)) % 4)));
  }

  class LocalParticipant {
    constructor() {
      this.identity = "";
      this.name = "";
      this.isSpeaking = false;
      this.isMicrophoneEnabled = false;
      this.isCameraEnabled = false;
      this.isScreenShareEnabled = false;
    }
    async setMicrophoneEnabled(enabled) {
      record.calls.push({ call: "setMicrophoneEnabled", enabled });
      this.isMicrophoneEnabled = enabled;
    }
    async setCameraEnabled(enabled) {
      record.calls.push({ call: "setCameraEnabled", enabled });
      this.isCameraEnabled = enabled;
    }
    async setScreenShareEnabled(enabled) {
      record.calls.push({ call: "setScreenShareEnabled", enabled });
      this.isScreenShareEnabled = enabled;
    }
  }

  class Room {
    constructor(options) {
      this.options = options;
      this.handlers = new Map();
      this.localParticipant = new LocalParticipant();
      this.remoteParticipants = new Map();
      this.canPlaybackAudio = true;
      record.rooms.push(this);
    }
    on(event, handler) {
      if (!this.handlers.has(event)) this.handlers.set(event, []);
      this.handlers.get(event).push(handler);
      return this;
    }
    async connect(url, token) {
      record.calls.push({ call: "connect", url, token });
      const payload = claims(token);
      this.localParticipant.identity = payload.sub;
      this.localParticipant.name = payload.name ?? payload.sub;
    }
    async startAudio() { record.calls.push({ call: "startAudio" }); }
    async disconnect() {
      record.calls.push({ call: "disconnect" });
      for (const handler of this.handlers.get(RoomEvent.Disconnected) ?? []) handler();
    }
  }

  window.LivekitClient = { Room, RoomEvent, Track: { Kind: { Audio: "audio", Video: "video" } }, version: "stand-in" };
})();
