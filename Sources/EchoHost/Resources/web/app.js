// EchoChat's browser client: plain modules, no build step. The server is the authority on every
// permission; the client only hides what would be refused.

import { Api, ApiError, roomPath } from "./api.js";
import { RealTime } from "./realtime.js";
import { VoicePanel } from "./voice.js";

const PAGE_SIZE = 50;
const RANK = { member: 1, moderator: 2, admin: 3, owner: 4 };
const $ = (id) => document.getElementById(id);

const api = new Api();
const state = {
  config: null,
  rooms: new Map(),       // name → room (with my_role)
  unread: new Map(),      // name → count
  current: null,          // the open room's view state
  search: "",
};
let realtime = null;
let voice = null;

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
  api.onSessionChanged = (session) => realtime?.renew(session.access_token);
  setUpAuthForms();
  setUpApp();
  $("loading").hidden = true;
  if (api.signedIn) {
    showApp();
  } else {
    showAuth();
  }
}

// MARK: Signing in

function setUpAuthForms() {
  const tabs = [$("tab-login"), $("tab-register")];
  const select = (tab) => {
    for (const other of tabs) {
      const selected = other === tab;
      other.setAttribute("aria-selected", String(selected));
      other.tabIndex = selected ? 0 : -1;
      $(other.getAttribute("aria-controls")).hidden = !selected;
    }
  };
  for (const tab of tabs) {
    tab.addEventListener("click", () => select(tab));
    tab.addEventListener("keydown", (event) => {
      if (event.key === "ArrowRight" || event.key === "ArrowLeft") {
        const shown = tabs.filter((candidate) => !candidate.hidden);
        const next = shown[(shown.indexOf(tab) + 1) % shown.length];
        select(next);
        next.focus();
      }
    });
  }
  if (!state.config.registration_enabled) $("tab-register").hidden = true;

  $("login-form").addEventListener("submit", async (event) => {
    event.preventDefault();
    const error = $("login-error");
    error.textContent = "";
    const username = $("login-username").value.trim();
    const password = $("login-password").value;
    if (!username || !password) {
      error.textContent = "Enter your username and password.";
      return;
    }
    await busy(event.submitter, async () => {
      try {
        await api.login(username, password);
        $("login-password").value = "";
        showApp();
      } catch (failure) {
        error.textContent = describe(failure);
      }
    });
  });

  $("register-form").addEventListener("submit", async (event) => {
    event.preventDefault();
    const error = $("register-error");
    error.textContent = "";
    const username = $("register-username").value.trim();
    const password = $("register-password").value;
    if (!username) {
      error.textContent = "Choose a username.";
      return;
    }
    if (password.length < 8) {
      error.textContent = "The password needs at least 8 characters.";
      return;
    }
    if (password !== $("register-confirm").value) {
      error.textContent = "The two passwords differ.";
      return;
    }
    await busy(event.submitter, async () => {
      try {
        await api.register(username, password, $("register-display-name").value.trim());
        $("register-password").value = "";
        $("register-confirm").value = "";
        showApp();
      } catch (failure) {
        error.textContent = describe(failure);
      }
    });
  });
}

function showAuth(notice = "") {
  realtime?.stop();
  voice?.leave();
  state.current = null;
  state.rooms.clear();
  state.unread.clear();
  state.me = null;
  // Nothing of the last user stays behind for the next one.
  history.replaceState(null, "", location.pathname + location.search);
  for (const id of ["message-list", "member-list", "my-rooms", "public-rooms", "voice-participants", "voice-occupancy"]) $(id).replaceChildren();
  for (const dialog of document.querySelectorAll("dialog[open]")) dialog.close();
  $("room").hidden = true;
  $("no-room").hidden = false;
  $("room-panel").hidden = true;
  $("app-view").hidden = true;
  $("auth-view").hidden = false;
  $("login-error").textContent = notice;
  $("login-username").focus();
}

// MARK: The signed-in app

function setUpApp() {
  realtime = new RealTime(api, {
    onEvent: handleEvent,
    onReady: (isReconnect) => { if (isReconnect) catchUp(); },
    onStateChange: showConnection,
  });
  window.addEventListener("online", () => realtime.retryNow());
  voice = new VoicePanel({
    api,
    config: state.config,
    announce,
    elements: {
      panel: $("voice-panel"), unavailable: $("voice-unavailable"), status: $("voice-status"), where: $("voice-where"), join: $("voice-join"),
      audio: $("voice-audio"),
      controls: $("voice-controls"), mute: $("voice-mute"), camera: $("voice-camera"), screen: $("voice-screen"),
      leave: $("voice-leave"), participants: $("voice-participants"), occupancy: $("voice-occupancy"), occupancyEmpty: $("voice-occupancy-empty"),
      media: $("voice-media"), subroom: $("voice-subroom"),
    },
  });

  $("sign-out").addEventListener("click", async () => {
    await voice.leave();
    realtime.stop();
    await api.logout();
    showAuth();
  });
  $("theme-toggle").addEventListener("click", () => {
    const order = ["auto", "light", "dark"];
    const next = order[(order.indexOf(localStorage.getItem("echochat.theme") ?? "auto") + 1) % order.length];
    localStorage.setItem("echochat.theme", next);
    applyTheme(next);
  });
  let searchTimer = null;
  $("room-search").addEventListener("input", (event) => {
    state.search = event.target.value.trim().toLowerCase();
    renderRoomList();
    // Rooms created since the list was loaded are only found by asking again.
    clearTimeout(searchTimer);
    searchTimer = setTimeout(loadRooms, 250);
  });
  $("new-room").addEventListener("click", () => openRoomDialog(null));
  $("menu-toggle").addEventListener("click", () => toggleDrawer("sidebar", "menu-toggle"));
  $("details-toggle").addEventListener("click", () => toggleDrawer("room-panel", "details-toggle"));
  document.addEventListener("keydown", (event) => {
    if (event.key === "Escape" && !document.querySelector("dialog[open]")) {
      closeDrawer("sidebar", "menu-toggle", true);
      closeDrawer("room-panel", "details-toggle", true);
    }
  });
  $("sidebar-close").addEventListener("click", () => closeDrawer("sidebar", "menu-toggle", true));
  $("panel-close").addEventListener("click", () => closeDrawer("room-panel", "details-toggle", true));
  narrow.addEventListener("change", syncDrawers);
  syncDrawers();
  window.addEventListener("hashchange", routeFromHash);

  $("room-join").addEventListener("click", () => joinCurrentRoom());
  $("room-leave").addEventListener("click", () => leaveCurrentRoom());
  $("room-settings").addEventListener("click", () => openRoomDialog(state.current?.room));
  $("load-older").addEventListener("click", () => loadOlder());
  $("jump-latest").addEventListener("click", () => scrollToLatest());
  $("messages").addEventListener("scroll", onMessagesScroll);
  new IntersectionObserver((entries) => {
    if (entries.some((entry) => entry.isIntersecting)) loadOlder();
  }, { root: $("messages") }).observe($("load-older"));

  const input = $("composer-input");
  input.addEventListener("keydown", (event) => {
    if (event.key === "Enter" && !event.shiftKey && !event.isComposing) {
      event.preventDefault();
      $("composer").requestSubmit();
    }
  });
  input.addEventListener("input", () => autosize(input));
  $("composer").addEventListener("submit", (event) => {
    event.preventDefault();
    sendMessage();
  });
  $("invite-form").addEventListener("submit", (event) => {
    event.preventDefault();
    invite();
  });
  setUpRoomDialog();
  setUpMemberDialog();
}

async function showApp() {
  $("auth-view").hidden = true;
  $("app-view").hidden = false;
  showMe(api.user);
  realtime.start();
  try {
    const { user } = await api.get("/api/me");
    showMe(user);
  } catch (error) {
    if (!api.signedIn) return;
    toast(describe(error));
  }
  await loadRooms();
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

// MARK: Rooms

async function loadRooms() {
  try {
    const { rooms } = await api.get("/api/rooms");
    state.rooms = new Map(rooms.map((room) => [room.name, room]));
  } catch (error) {
    toast(describe(error));
  }
  renderRoomList();
}

function renderRoomList() {
  const matches = (room) => !state.search || room.name.toLowerCase().includes(state.search) || room.topic.toLowerCase().includes(state.search);
  const rooms = [...state.rooms.values()].filter(matches).sort((a, b) => a.name.localeCompare(b.name));
  const mine = rooms.filter((room) => room.my_role);
  const others = rooms.filter((room) => !room.my_role);
  $("my-rooms").replaceChildren(...mine.map(roomItem));
  $("public-rooms").replaceChildren(...others.map(roomItem));
  $("my-rooms-heading").hidden = mine.length === 0;
  $("public-rooms-heading").hidden = others.length === 0;
  $("no-rooms").hidden = rooms.length > 0;
  $("no-rooms").textContent = state.search ? "No rooms match." : "No rooms yet: create the first one.";
}

function roomItem(room) {
  const item = document.createElement("li");
  const link = document.createElement("a");
  link.href = `#/room/${encodeURIComponent(room.name)}`;
  link.className = "room-link";
  link.dataset.room = room.name;
  const name = document.createElement("span");
  name.className = "room-name";
  name.textContent = room.name;
  link.append(name);
  if (room.visibility === "private") link.append(badge("private"));
  const unread = state.unread.get(room.name) ?? 0;
  if (unread > 0) {
    const count = badge(unread > 99 ? "99+" : String(unread), "unread");
    count.setAttribute("aria-hidden", "true");
    const spoken = document.createElement("span");
    spoken.className = "visually-hidden";
    spoken.textContent = `, ${unread} unread`;
    link.append(count, spoken);
  }
  if (state.current?.room.name === room.name) link.setAttribute("aria-current", "page");
  item.append(link);
  return item;
}

function routeFromHash() {
  // In-page links (the skip link) are not routes.
  if (location.hash && !location.hash.startsWith("#/")) return;
  const match = location.hash.match(/^#\/room\/(.+)$/);
  const name = match ? safeDecode(match[1]) : null;
  if (name && name !== state.current?.room.name) openRoom(name);
  if (!name && state.current) closeRoom();
  closeDrawer("sidebar", "menu-toggle");
  closeDrawer("room-panel", "details-toggle");
}

function closeRoom() {
  state.current = null;
  $("room").hidden = true;
  $("no-room").hidden = false;
  $("room-panel").hidden = true;
  voice.show(null);
  renderRoomList();
}

async function openRoom(name) {
  const view = {
    room: state.rooms.get(name) ?? { name, topic: "", visibility: "public", readonly: false, slowmode_seconds: 0, voice: { enabled: false }, my_role: null },
    messages: new Map(),
    oldest: null,
    hasMore: true,
    loadingOlder: false,
    /// Set once the newest page is shown: scroll-back waits for it.
    ready: false,
    members: new Map(),
  };
  state.current = view;
  state.unread.delete(name);
  $("message-list").replaceChildren();
  $("history-start").hidden = true;
  $("load-older").hidden = true;
  $("no-room").hidden = true;
  $("room").hidden = false;
  $("room-panel").hidden = false;
  renderRoomHeader();
  renderRoomList();
  try {
    const room = await api.get(roomPath(name));
    if (state.current !== view) return;
    view.room = room;
    state.rooms.set(room.name, room);
    renderRoomHeader();
  } catch (error) {
    if (state.current !== view) return;
    if (error.status === 404) {
      toast(`There is no room called ${name}.`);
      location.hash = "";
      return;
    }
    toast(describe(error));
  }
  await Promise.all([loadLatest(view), loadMembers(view), voice.show(view.room, view.room.my_role)]);
  if (state.current === view && view.room.my_role) $("composer-input").focus({ preventScroll: true });
}

function renderRoomHeader() {
  const view = state.current;
  if (!view) return;
  const { room } = view;
  const role = room.my_role;
  const rank = myRank(role);
  $("room-title").textContent = room.name;
  $("room-topic").textContent = room.topic || (room.visibility === "private" ? "A private room." : "");
  $("room-join").hidden = Boolean(role);
  $("room-leave").hidden = !role;
  $("room-settings").hidden = rank < RANK.moderator;
  $("invite-form").hidden = rank < RANK.moderator;
  const input = $("composer-input");
  const canPost = Boolean(role || state.me?.is_admin) && (!room.readonly || rank >= RANK.moderator);
  input.disabled = !canPost;
  $("composer").querySelector("button[type=submit]").disabled = !canPost;
  input.maxLength = 16000;
  let note = "";
  if (!role && !state.me?.is_admin) note = "Join the room to write here.";
  else if (room.readonly && rank < RANK.moderator) note = "This room is read-only.";
  else if (room.slowmode_seconds > 0 && rank < RANK.moderator) note = `Slow mode: one message every ${room.slowmode_seconds} s.`;
  $("composer-note").textContent = note;
  document.title = `${room.name} · EchoChat`;
}

async function joinCurrentRoom() {
  const view = state.current;
  if (!view) return;
  try {
    const { membership } = await api.post(roomPath(view.room.name, "/join"));
    view.room = { ...view.room, my_role: membership.role };
    state.rooms.set(view.room.name, view.room);
    renderRoomList();
    if (state.current !== view) return;
    announce(`You joined ${view.room.name}`);
    renderRoomHeader();
    await Promise.all([loadLatest(view), loadMembers(view), voice.show(view.room, view.room.my_role)]);
    if (state.current === view) $("composer-input").focus();
  } catch (error) {
    toast(describe(error));
  }
}

async function leaveCurrentRoom() {
  const view = state.current;
  if (!view) return;
  if (!confirm(`Leave ${view.room.name}?`)) return;
  try {
    await api.post(roomPath(view.room.name, "/leave"));
    if (voice.session?.roomName === view.room.name) await voice.leave();
    announce(`You left ${view.room.name}`);
    await loadRooms();
    if (state.current !== view) return;
    if (state.rooms.has(view.room.name)) {
      state.current = null;  // reopen as a visitor
      openRoom(view.room.name);
    } else {
      location.hash = "";
    }
  } catch (error) {
    toast(describe(error));
  }
}

// MARK: Messages

async function loadLatest(view) {
  try {
    const page = await api.get(`${roomPath(view.room.name, "/messages")}?limit=${PAGE_SIZE}`);
    if (state.current !== view) return;
    // Merged, not replaced: live messages that arrived while the page was on its way stay.
    insertMessages(view, page.messages);
    if (!view.ready) {
      view.hasMore = page.next_before != null;
      view.oldest = page.next_before ?? null;
    }
  } catch (error) {
    if (state.current !== view) return;
    if (!view.ready) view.hasMore = false;
    if (error.status !== 403 && error.status !== 404) toast(describe(error));
  }
  if (state.current !== view) return;
  // At the bottom before the scroll-back button shows, so that it does not start loading at once.
  scrollToLatest();
  view.ready = true;
  renderHistoryEdge(view);
}

async function loadOlder() {
  const view = state.current;
  if (!view || !view.ready || !view.hasMore || view.loadingOlder || view.oldest == null) return;
  view.loadingOlder = true;
  const box = $("messages");
  const fromBottom = box.scrollHeight - box.scrollTop;
  const wasAtTop = box.scrollTop < 200;
  try {
    const page = await api.get(`${roomPath(view.room.name, "/messages")}?before=${view.oldest}&limit=${PAGE_SIZE}`);
    if (state.current !== view) return;
    insertMessages(view, page.messages);
    view.hasMore = page.next_before != null;
    if (page.next_before != null) view.oldest = page.next_before;
    if (wasAtTop) box.scrollTop = box.scrollHeight - fromBottom;  // keep what the reader was looking at in place
    renderHistoryEdge(view);
    announce(`Loaded ${page.messages.length} older messages`);
  } catch (error) {
    toast(describe(error));
  } finally {
    view.loadingOlder = false;
  }
}

function renderHistoryEdge(view) {
  $("load-older").hidden = !view.hasMore;
  $("history-start").hidden = view.hasMore || !view.room.my_role && view.messages.size === 0;
}

/// Puts messages in id order, replacing any already shown.
function insertMessages(view, messages) {
  const list = $("message-list");
  // A page at once is not read out message by message.
  const bulk = messages.length > 1;
  if (bulk) $("messages").setAttribute("aria-busy", "true");
  for (const message of messages) {
    const existing = view.messages.get(message.id);
    view.messages.set(message.id, message);
    const item = messageItem(message, view);
    if (existing) {
      list.querySelector(`[data-id="${message.id}"]`)?.replaceWith(item);
      continue;
    }
    const after = [...list.children].find((child) => Number(child.dataset.id) > message.id);
    list.insertBefore(item, after ?? null);
  }
  if (bulk) $("messages").removeAttribute("aria-busy");
}

function messageItem(message, view) {
  const item = document.createElement("li");
  item.className = "message";
  item.dataset.id = String(message.id);
  const mine = message.author.username === state.me?.username;
  if (mine) item.classList.add("mine");
  const header = document.createElement("div");
  header.className = "message-meta";
  const author = document.createElement("strong");
  author.className = "author";
  author.textContent = message.author.display_name || message.author.username;
  author.title = `@${message.author.username}`;
  const time = document.createElement("time");
  time.dateTime = message.created_at;
  time.textContent = formatTime(message.created_at);
  time.title = new Date(message.created_at).toLocaleString();
  header.append(author, " ", time);
  if (message.edited_at) {
    const edited = document.createElement("span");
    edited.className = "muted edited";
    edited.textContent = "(edited)";
    header.append(" ", edited);
  }
  const body = document.createElement("p");
  body.className = "message-body";
  body.textContent = message.body;
  item.append(header, body);

  const rank = myRank(view.room.my_role);
  const actions = document.createElement("div");
  actions.className = "message-actions";
  if (mine && view.room.my_role) actions.append(actionButton("Edit", `Edit your message from ${time.textContent}`, () => editMessage(message, item)));
  if ((mine && view.room.my_role) || rank >= RANK.moderator) {
    actions.append(actionButton("Delete", `Delete the message by ${author.textContent} from ${time.textContent}`, () => deleteMessage(message)));
  }
  if (actions.childElementCount) item.append(actions);
  return item;
}

function actionButton(text, label, handler) {
  const button = document.createElement("button");
  button.type = "button";
  button.className = "link-button";
  button.textContent = text;
  button.setAttribute("aria-label", label);
  button.addEventListener("click", handler);
  return button;
}

async function sendMessage() {
  const view = state.current;
  const input = $("composer-input");
  const text = input.value;
  if (!view || !text.trim()) return;
  const clientID = randomID();
  input.value = "";
  autosize(input);
  const stick = isNearBottom();
  try {
    const message = await sendWithRetry(view.room.name, { body: text, client_id: clientID });
    if (state.current === view) {
      insertMessages(view, [message]);
      if (stick) scrollToLatest();
    }
    renderRoomHeader();
  } catch (error) {
    const note = error.status === 429 ? `Slow down: try again in ${error.retryAfter ?? "a few"} s.` : describe(error);
    if (state.current !== view) {
      toast(`Not sent to ${view.room.name}: ${note}`);
      return;
    }
    if (!input.value) input.value = text;  // nothing typed is lost
    autosize(input);
    $("composer-note").textContent = note;
  }
}

/// A network failure is retried with the same client_id, so the server keeps one copy.
async function sendWithRetry(roomName, body) {
  for (let attempt = 0; ; attempt++) {
    try {
      return await api.post(roomPath(roomName, "/messages"), body);
    } catch (error) {
      if (error.status !== 0 && error.status !== 503 || attempt >= 3) throw error;
      await new Promise((resolve) => setTimeout(resolve, 1000 * (attempt + 1)));
    }
  }
}

function editMessage(message, item) {
  const view = state.current;
  const body = item.querySelector(".message-body");
  const editor = document.createElement("textarea");
  editor.className = "edit-box";
  editor.value = message.body;
  editor.setAttribute("aria-label", "Edit message; Enter saves, Escape cancels");
  body.replaceWith(editor);
  autosize(editor);
  editor.focus();
  const finish = () => editor.replaceWith(body);
  editor.addEventListener("keydown", async (event) => {
    if (event.key === "Escape") {
      event.stopPropagation();
      finish();
    } else if (event.key === "Enter" && !event.shiftKey && !event.isComposing) {
      event.preventDefault();
      const text = editor.value;
      if (!text.trim() || text === message.body) return finish();
      try {
        const updated = await api.patch(roomPath(message.room, `/messages/${message.id}`), { body: text });
        if (state.current === view) insertMessages(view, [updated]);
      } catch (error) {
        toast(describe(error));
        finish();
      }
    }
  });
}

async function deleteMessage(message) {
  if (!confirm("Delete this message?")) return;
  const view = state.current;
  try {
    await api.delete(roomPath(message.room, `/messages/${message.id}`));
    if (view && state.current === view) removeMessage(view, message.id);
  } catch (error) {
    toast(describe(error));
  }
}

function removeMessage(view, id) {
  view.messages.delete(id);
  $("message-list").querySelector(`[data-id="${id}"]`)?.remove();
}

function isNearBottom() {
  const box = $("messages");
  return box.scrollHeight - box.scrollTop - box.clientHeight < 80;
}

function scrollToLatest() {
  const box = $("messages");
  box.scrollTop = box.scrollHeight;
  $("jump-latest").hidden = true;
}

function onMessagesScroll() {
  if (isNearBottom()) $("jump-latest").hidden = true;
}

/// After a dropped connection: the rooms, the open room's settings, members and voice, and the
/// messages it missed, including edits and deletions within the newest page.
async function catchUp() {
  await loadRooms();
  const view = state.current;
  if (!view) return;
  let room;
  try {
    room = await api.get(roomPath(view.room.name));
  } catch (error) {
    if (state.current !== view) return;
    if (error.status === 404) {
      toast(`${view.room.name} is gone.`);
      location.hash = "";
    }
    return;
  }
  if (state.current !== view) return;
  view.room = room;
  renderRoomHeader();
  voice.show(room, room.my_role);
  loadMembers(view);
  if (view.messages.size === 0) return loadLatest(view);
  const newest = Math.max(...view.messages.keys());
  const stick = isNearBottom();
  let before = null;
  const fetched = [];
  let reachedShown = false;
  // Pages back from the newest until the last message already shown (bounded: a long absence reloads).
  for (let pages = 0; pages < 10 && !reachedShown; pages++) {
    const query = before == null ? "?limit=100" : `?before=${before}&limit=100`;
    let page;
    try {
      page = await api.get(roomPath(view.room.name, "/messages") + query);
    } catch (error) {
      toast(describe(error));
      return;
    }
    if (state.current !== view) return;
    fetched.push(...page.messages);
    reachedShown = page.next_before == null || page.messages.some((message) => message.id <= newest);
    before = page.next_before;
  }
  if (!reachedShown) {
    // Too much was said meanwhile: start again from the newest page.
    view.messages.clear();
    $("message-list").replaceChildren();
    view.ready = false;
    view.hasMore = true;
    return loadLatest(view);
  }
  // Within the fetched range, what the server no longer has was deleted meanwhile.
  const oldestFetched = Math.min(...fetched.map((message) => message.id), newest + 1);
  const present = new Set(fetched.map((message) => message.id));
  for (const id of [...view.messages.keys()]) {
    if (id >= oldestFetched && !present.has(id)) removeMessage(view, id);
  }
  const missed = fetched.filter((message) => message.id > newest).length;
  insertMessages(view, fetched);
  if (missed) announce(`${missed} new messages while you were away`);
  if (stick) scrollToLatest();
}

// MARK: Members

async function loadMembers(view) {
  if (!view.room.my_role && view.room.visibility !== "public") return renderMembers(view);
  try {
    const { members } = await api.get(roomPath(view.room.name, "/members"));
    if (state.current !== view) return;
    view.members = new Map(members.map((member) => [member.user.username, member]));
  } catch (error) {
    if (state.current !== view) return;
    if (error.status !== 403 && error.status !== 404) toast(describe(error));
  }
  renderMembers(view);
}

function renderMembers(view) {
  const members = [...view.members.values()].sort((a, b) => RANK[b.role] - RANK[a.role] || a.user.username.localeCompare(b.user.username));
  $("member-count").textContent = String(members.length);
  $("member-list").replaceChildren(...members.map((member) => {
    const item = document.createElement("li");
    const button = document.createElement("button");
    button.type = "button";
    button.className = "member";
    button.dataset.username = member.user.username;
    const name = document.createElement("span");
    name.textContent = member.user.display_name || member.user.username;
    button.append(name);
    if (member.role !== "member") button.append(" ", badge(member.role, `role role-${member.role}`));
    if (member.user.is_admin) button.append(" ", badge("server admin", "role"));
    button.setAttribute("aria-label", `${member.user.display_name} (@${member.user.username}), ${member.role}`);
    const canAct = memberActions(member).any;
    button.disabled = !canAct;
    if (canAct) button.addEventListener("click", () => openMemberDialog(member));
    item.append(button);
    return item;
  }));
}

/// What I may do to `member`, mirroring the server's rules so that refused buttons are not shown.
function memberActions(member) {
  const view = state.current;
  const myRole = view?.room.my_role;
  const mine = state.me?.is_admin ? 5 : myRank(myRole);
  const theirs = member.user.is_admin ? 5 : RANK[member.role] ?? 0;
  const isSelf = member.user.username === state.me?.username;
  const outranks = !isSelf && mine > theirs;
  const roles = outranks && mine >= RANK.admin ? ["member", "moderator", "admin"].filter((role) => RANK[role] < mine) : [];
  if (!isSelf && myRole === "owner") roles.push("owner");
  const voiceOn = Boolean(state.config.livekit_enabled && view?.room.voice?.enabled);
  const moderate = outranks && mine >= RANK.moderator;
  return { roles, kick: moderate, ban: moderate, voice: moderate && voiceOn, any: roles.length > 0 || moderate };
}

async function invite() {
  const input = $("invite-username");
  const username = input.value.trim();
  if (!username || !state.current) return;
  try {
    await api.post(roomPath(state.current.room.name, "/invites"), { username });
    input.value = "";
    toast(`Invited ${username}.`);
  } catch (error) {
    toast(describe(error));
  }
}

// MARK: Live events

function handleEvent(frame) {
  const view = state.current;
  const here = view && frame.room === view.room.name;
  switch (frame.type) {
    case "message.created": {
      if (here) {
        const stick = isNearBottom();
        insertMessages(view, [frame.message]);
        if (stick || frame.message.author.username === state.me?.username) scrollToLatest();
        else $("jump-latest").hidden = false;
      } else if (frame.message.author.username !== state.me?.username) {
        state.unread.set(frame.room, (state.unread.get(frame.room) ?? 0) + 1);
        renderRoomList();
      }
      break;
    }
    case "message.updated":
      if (here && view.messages.has(frame.message.id)) insertMessages(view, [frame.message]);
      break;
    case "message.deleted":
      if (here) removeMessage(view, frame.message.id);
      break;
    case "member.joined":
    case "member.role_changed":
    case "member.left": {
      const { member } = frame;
      const isMe = member.user.username === state.me?.username;
      if (here) {
        if (frame.type === "member.left") view.members.delete(member.user.username);
        else view.members.set(member.user.username, member);
      }
      if (isMe) {
        const room = state.rooms.get(frame.room);
        const role = frame.type === "member.left" ? null : member.role;
        if (room) state.rooms.set(frame.room, { ...room, my_role: role });
        if (here) {
          view.room = { ...view.room, my_role: role };
          renderRoomHeader();
          voice.show(view.room, role);
          if (frame.type === "member.left") {
            announce(`You are no longer a member of ${frame.room}`);
            if (voice.session?.roomName === frame.room) voice.leave();
            loadRooms();
          }
        }
        if (!room) loadRooms();
        renderRoomList();
      }
      if (here) {
        renderMembers(view);
        if (isMe) rerenderMessages(view);
      }
      break;
    }
    case "room.updated": {
      const previous = state.rooms.get(frame.room);
      const room = { ...frame.room_info, my_role: previous?.my_role ?? (here ? view.room.my_role : null) };
      state.rooms.set(room.name, room);
      if (here) {
        view.room = room;
        renderRoomHeader();
        voice.show(room, room.my_role);
      }
      renderRoomList();
      break;
    }
    case "voice.occupancy":
      voice.updateOccupancy(frame.room, frame.subrooms);
      break;
    default:
      break;
  }
}

function rerenderMessages(view) {
  insertMessages(view, [...view.messages.values()]);
}

// MARK: Room settings

function setUpRoomDialog() {
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
      if (existing && state.current?.room.name === room.name) {
        state.current.room = room;
        renderRoomHeader();
        voice.show(room, room.my_role);
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

async function openRoomDialog(room) {
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
      item.textContent = `${ban.user.display_name} (@${ban.user.username})${ban.reason ? `: ${ban.reason}` : ""} `;
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

// MARK: Member actions

function setUpMemberDialog() {
  const dialog = $("member-dialog");
  $("member-close").addEventListener("click", () => dialog.close());
  const act = (id, work, done) => $(id).addEventListener("click", async () => {
    const username = dialog.dataset.username;
    const name = state.current?.room.name;
    if (!username || !name) return;
    try {
      await work(name, username);
      dialog.close();
      toast(done(username));
    } catch (error) {
      $("member-error").textContent = describe(error);
    }
  });
  act("member-role-save", (room, username) => api.put(roomPath(room, `/members/${encodeURIComponent(username)}`), { role: $("member-role").value }),
    (username) => `${username} is now ${$("member-role").value}.`);
  act("member-kick", (room, username) => api.delete(roomPath(room, `/members/${encodeURIComponent(username)}`)), (username) => `${username} was removed.`);
  act("member-ban", (room, username) => {
    const reason = $("member-ban-reason").value.trim();
    return api.post(roomPath(room, "/bans"), reason ? { username, reason } : { username });
  }, (username) => `${username} was banned.`);
  act("member-voice-mute", (room, username) => api.post(roomPath(room, "/voice/mute"), { username }), (username) => `${username} was muted in voice.`);
  act("member-voice-kick", (room, username) => api.post(roomPath(room, "/voice/kick"), { username }), (username) => `${username} was removed from voice.`);
}

function openMemberDialog(member) {
  const dialog = $("member-dialog");
  const actions = memberActions(member);
  dialog.dataset.username = member.user.username;
  $("member-dialog-title").textContent = `${member.user.display_name} (@${member.user.username})`;
  $("member-dialog-role").textContent = `Role: ${member.role}${member.user.is_admin ? ", server admin" : ""}`;
  const select = $("member-role");
  select.replaceChildren(...actions.roles.map((role) => {
    const option = document.createElement("option");
    option.value = role;
    option.textContent = role === "owner" ? "owner (hand over ownership)" : role;
    option.selected = role === member.role;
    return option;
  }));
  $("member-role-row").hidden = actions.roles.length === 0;
  $("member-kick").hidden = !actions.kick;
  $("member-ban-row").hidden = !actions.ban;
  $("member-ban-reason").value = "";
  $("member-voice-mute").hidden = !actions.voice;
  $("member-voice-kick").hidden = !actions.voice;
  $("member-error").textContent = "";
  dialog.showModal();
}

// MARK: Small things

function myRank(role) {
  return Math.max(RANK[role] ?? 0, state.me?.is_admin ? 5 : 0);
}

function badge(text, extra = "") {
  const element = document.createElement("span");
  element.className = `badge ${extra}`.trim();
  element.textContent = text;
  return element;
}

function describe(error) {
  if (error instanceof ApiError) {
    if (error.status === 429) return `Too many attempts; try again in ${error.retryAfter ?? "a few"} seconds.`;
    return error.message;
  }
  return error?.message ?? String(error);
}

function formatTime(iso) {
  const date = new Date(iso);
  const today = new Date().toDateString() === date.toDateString();
  return today ? date.toLocaleTimeString([], { hour: "2-digit", minute: "2-digit" }) : date.toLocaleString([], { dateStyle: "short", timeStyle: "short" });
}

function randomID() {
  if (crypto.randomUUID) return crypto.randomUUID();
  return [...crypto.getRandomValues(new Uint8Array(16))].map((byte) => byte.toString(16).padStart(2, "0")).join("");
}

function safeDecode(text) {
  try { return decodeURIComponent(text); } catch { return text; }
}

function autosize(textarea) {
  textarea.style.height = "auto";
  textarea.style.height = `${Math.min(textarea.scrollHeight + 2, 200)}px`;
  textarea.style.overflowY = textarea.scrollHeight > 200 ? "auto" : "hidden";
}

function announce(text) {
  const element = $("announcer");
  element.textContent = "";
  setTimeout(() => { element.textContent = text; }, 50);
}

function toast(text) {
  const box = $("toast");
  box.textContent = text;
  box.hidden = false;
  clearTimeout(box.timer);
  box.timer = setTimeout(() => { box.hidden = true; }, 5000);
}

async function busy(button, work) {
  if (button) button.disabled = true;
  try { await work(); } finally { if (button) button.disabled = false; }
}

const narrow = window.matchMedia("(max-width: 900px)");

function toggleDrawer(id, toggleID) {
  if ($(id).classList.contains("open")) return closeDrawer(id, toggleID, true);
  $(id).classList.add("open");
  $(id).inert = false;
  $(toggleID).setAttribute("aria-expanded", "true");
  $(id).querySelector("input, button, a")?.focus();
}

function closeDrawer(id, toggleID, returnFocus = false) {
  const wasOpen = $(id).classList.contains("open");
  $(id).classList.remove("open");
  $(toggleID).setAttribute("aria-expanded", "false");
  // Off-screen drawers on a phone are out of the tab order and hidden from screen readers.
  $(id).inert = narrow.matches;
  if (wasOpen && returnFocus) $(toggleID).focus();
}

function syncDrawers() {
  closeDrawer("sidebar", "menu-toggle");
  closeDrawer("room-panel", "details-toggle");
}

function applyTheme(theme) {
  if (theme === "auto") delete document.documentElement.dataset.theme;
  else document.documentElement.dataset.theme = theme;
  const button = $("theme-toggle");
  if (button) {
    button.textContent = `Theme: ${theme}`;
    button.setAttribute("aria-label", `Colour theme: ${theme === "auto" ? "automatic" : theme}`);
  }
}

boot();
