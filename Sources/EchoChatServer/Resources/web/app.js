// EchoChat's browser client: plain modules, no build step. The server is the authority on every
// permission; the client only hides what would be refused.
//
// This module starts the client and puts the parts together; each part lives in its own module:
// auth.js (signing in), room-list.js and dm-list.js (the sidebar), rooms.js (opening a conversation,
// joining and leaving rooms), dms.js (direct conversations), room-header.js, messages.js (with
// reactions.js, mentions.js, and replies.js with thread.js and thread-live.js, the thread panel),
// composer.js, unread.js (counts, badges, read markers), members.js, member-dialog.js,
// room-dialog.js, account.js (direct message policy, blocks), live.js (live events), typing.js
// ("… is typing"), presence.js (mine, and others' dots), voice.js (with voice-queue.js,
// voice-media.js, voice-view.js, voice-roster.js and voice-moderation.js), layout.js (drawers,
// theme); messages.js draws with message-group.js (groups, day lines, avatars) and
// message-actions.js (the toolbar, editing, deleting); state.js, conversation.js (a room or a
// direct conversation, alike) and dom.js are shared.

import { RealTime } from "./realtime.js";
import { VoicePanel } from "./voice.js";
import { api, services, state } from "./state.js";
import { $, announce, describe, toast } from "./dom.js";
import { applyTheme, setUpLayout } from "./layout.js";
import { setUpAuthForms, showAuth } from "./auth.js";
import { loadRooms, setInVoice, setUpRoomSearch } from "./room-list.js";
import { loadDMs } from "./dm-list.js";
import { routeFromHash, setUpRooms } from "./rooms.js";
import { setUpDMs } from "./dms.js";
import { setUpMessages } from "./messages.js";
import { setUpComposer } from "./composer.js";
import { setUpReplies } from "./replies.js";
import { setUpThread } from "./thread.js";
import { setUpThreadComposer } from "./thread-live.js";
import { setUpReadMarkers } from "./unread.js";
import { loadBlocks, setUpAccount } from "./account.js";
import { setUpInvites } from "./members.js";
import { setUpMemberDialog } from "./member-dialog.js";
import { openRoomDialog, setUpRoomDialog } from "./room-dialog.js";
import { catchUp, handleEvent } from "./live.js";
import { setUpTyping } from "./typing.js";
import { presenceReady, setUpPresence } from "./presence.js";

// MARK: Start-up

async function boot() {
  applyTheme(localStorage.getItem("echochat.theme") ?? "auto");
  try {
    state.config = await api.request("GET", "/api/config", undefined, { auth: false });
  } catch {
    state.config = { registration_enabled: true, livekit_enabled: false, livekit_client_url: "", version: "" };
  }
  api.onSignedOut = (deliberately) => showAuth(deliberately ? "" : "Your session ended. Sign in again.");
  // Someone else signed in in another tab: start over as them.
  api.onUserChanged = () => location.reload();
  api.onSessionChanged = (session) => services.realtime?.renew(session.access_token);
  setUpAuthForms(showApp);
  setUpApp();
  $("loading").hidden = true;
  if (api.signedIn) {
    showApp();
  } else {
    showAuth();
  }
}

// MARK: The signed-in app

function setUpApp() {
  const realtime = new RealTime(api, {
    onEvent: handleEvent,
    onReady: (isReconnect) => {
      presenceReady();
      if (isReconnect) catchUp();
    },
    onStateChange: showConnection,
  });
  services.realtime = realtime;
  window.addEventListener("online", () => realtime.retryNow());
  const voice = new VoicePanel({
    api,
    config: state.config,
    announce,
    elements: {
      panel: $("voice-panel"), unavailable: $("voice-unavailable"), status: $("voice-status"), where: $("voice-where"), join: $("voice-join"),
      audio: $("voice-audio"),
      controls: $("voice-controls"), mute: $("voice-mute"), camera: $("voice-camera"), screen: $("voice-screen"),
      leave: $("voice-leave"), participants: $("voice-participants"), occupancy: $("voice-occupancy"), occupancyEmpty: $("voice-occupancy-empty"),
      media: $("voice-media"), subroom: $("voice-subroom"),
      queue: $("voice-queue"), queuePosition: $("voice-queue-position"), queueLeave: $("voice-queue-leave"), queueLength: $("voice-queue-length"),
      moderation: {
        box: $("voice-mod"), title: $("voice-mod-title"), target: $("voice-move-target"), move: $("voice-move"), mute: $("voice-mod-mute"),
        reason: $("voice-ban-reason"), ban: $("voice-ban"), close: $("voice-mod-close"),
        bans: $("voice-bans"), banList: $("voice-ban-list"), banCount: $("voice-ban-count"), bansEmpty: $("voice-bans-empty"),
      },
    },
    onSeats: setInVoice,
  });
  services.voice = voice;

  $("sign-out").addEventListener("click", async () => {
    await voice.leave();
    realtime.stop();
    await api.logout();
    showAuth();
  });
  setUpRoomSearch();
  $("new-room").addEventListener("click", () => openRoomDialog(null));
  setUpLayout();
  setUpRooms();
  $("room-settings").addEventListener("click", () => { if (state.current?.room) openRoomDialog(state.current.room); });
  setUpDMs();
  setUpMessages();
  setUpComposer();
  setUpReplies();
  setUpThread();
  setUpThreadComposer();
  setUpReadMarkers();
  setUpAccount();
  setUpInvites();
  setUpRoomDialog();
  setUpMemberDialog();
  setUpTyping();
  setUpPresence();
}

async function showApp() {
  $("auth-view").hidden = true;
  $("app-view").hidden = false;
  showMe(api.user);
  services.realtime.start();
  try {
    const { user, dm_policy: policy } = await api.get("/api/me");
    showMe(user);
    state.dmPolicy = policy ?? null;
  } catch (error) {
    if (!api.signedIn) return;
    toast(describe(error));
  }
  await Promise.all([loadRooms(), loadDMs(), loadBlocks()]);
  routeFromHash();
}

function showMe(user) {
  if (!user) return;
  state.me = user;
  $("me").textContent = user.display_name && user.display_name !== user.username
    ? `${user.display_name} (@${user.username})` : `@${user.username}`;
}

function showConnection(connection) {
  const element = $("connection-status");
  element.dataset.state = connection;
  element.textContent = { online: "Connected", connecting: "Connecting…", reconnecting: "Reconnecting…", offline: "Offline" }[connection] ?? connection;
}

boot();
