// LiveKit's side of the voice panel (voice.js): LiveKit's own JS client, loaded on first use from
// the URL the server names (GET /api/config), the LiveKit room's events that redraw the panel or
// drop the connection, and the audio and video elements of the tracks it plays.

let clientLoading = null;

/// Loads LiveKit's UMD build once; it defines window.LivekitClient.
export function loadLivekitClient(url) {
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

/// Follows the LiveKit room `livekit` of `panel`'s session: its changes redraw the panel, its
/// tracks play, and its end (not one the panel asked for) is taken for a drop.
export function wireRoom(panel, livekit, client) {
  const events = client.RoomEvent ?? {};
  const on = (name, handler) => { if (name && livekit.on) livekit.on(name, handler); };
  const rerender = () => panel.render();
  on(events.ParticipantConnected, rerender);
  on(events.ParticipantDisconnected, rerender);
  on(events.ActiveSpeakersChanged, rerender);
  on(events.TrackMuted, rerender);
  on(events.TrackUnmuted, rerender);
  on(events.ParticipantPermissionsChanged, rerender);
  on(events.AudioPlaybackStatusChanged, rerender);
  on(events.LocalTrackUnpublished, rerender);
  on(events.TrackSubscribed, (track) => attachTrack(panel, track));
  on(events.TrackUnsubscribed, (track) => { track.detach?.().forEach((element) => element.remove()); rerender(); });
  on(events.LocalTrackPublished, (publication) => { if (publication.track?.kind === "video") attachTrack(panel, publication.track, true); });
  on(events.LocalTrackUnpublished, (publication) => { publication.track?.detach?.().forEach((element) => element.remove()); panel.render(); });
  on(events.Disconnected, () => {
    if (panel.session?.livekit === livekit) {
      // A moderator's move closes the old connection too: its event may still come.
      panel.dropped = { roomName: panel.session.roomName, at: Date.now(), mic: panel.localState().mic };
      panel.teardown();
      panel.setStatus("Voice disconnected.");
      panel.render();
    }
  });
}

/// Puts a track's element in the panel's media area: video shown, audio hidden.
function attachTrack(panel, track, isLocal = false) {
  const element = track.attach?.();
  if (!element) return;
  if (track.kind === "video") {
    element.setAttribute("aria-label", isLocal ? "Your video" : "Video");
    element.muted = true;
    panel.el.media.append(element);
  } else {
    element.hidden = true;
    panel.el.media.append(element);
  }
  panel.render();
}
