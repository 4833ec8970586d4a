// What the live connection reports (messages, reactions and members of rooms and direct
// conversations, who is typing, presence, new conversations, read markers moved in other tabs,
// blocks, room settings, voice rosters, queues, offered seats and moves), and catching up on what
// was missed while it was down.

import { roomPath } from "./api.js";
import { api, services, state } from "./state.js";
import { $, announce, describe, toast } from "./dom.js";
import { isDM, isHere, isMine, keyOf, viewPath, viewTitle } from "./conversation.js";
import { loadRooms, renderRoomList, setInVoice } from "./room-list.js";
import { loadDMs, noteDMActivity, rememberDM, renderDMList } from "./dm-list.js";
import { dmCreated, dmMemberEvent } from "./dms.js";
import { applyBlocks, loadBlocks } from "./account.js";
import { countMessage, scheduleMarkRead, takeCounts } from "./unread.js";
import { seatsIn } from "./voice-roster.js";
import { renderRoomHeader } from "./room-header.js";
import { insertMessages, isNearBottom, loadLatest, removeMessage, rerenderMessages, scrollToLatest } from "./messages.js";
import { loadMembers, renderMembers } from "./members.js";
import { applyReactionEvent } from "./reactions.js";
import { reloadThread } from "./thread.js";
import { threadMessageCreated, threadMessageUpdated } from "./thread-live.js";
import { stoppedTyping, typingEvent } from "./typing.js";
import { setPresence } from "./presence.js";

/// Rooms that sent a `voice.roster`: their `voice.occupancy` (kept for older clients) is passed over.
const rosterRooms = new Set();

export function handleEvent(frame) {
  const voice = services.voice;
  const view = state.current;
  const here = isHere(view, frame);
  switch (frame.type) {
    case "message.created": {
      const { message } = frame;
      // Their message is what they were typing.
      stoppedTyping(keyOf(frame), message.author.username);
      // A conversation not known yet (its dm.created is on its way): the list comes with its counts.
      if (frame.dm != null && !noteDMActivity(frame.dm, message)) loadDMs();
      if (here) {
        const stick = isNearBottom();
        insertMessages(view, [message]);
        if (stick || isMine(message)) scrollToLatest();
        else $("jump-latest").hidden = false;
        threadMessageCreated(view, message);
        if (!view.ready && !isMine(message)) view.othersSinceOpen += 1;
        scheduleMarkRead();
      } else if (frame.dm != null ? state.dms.has(Number(frame.dm)) : state.rooms.get(frame.room)?.my_role) {
        countMessage(keyOf(frame), message);
      }
      if (!here || frame.dm != null) renderRoomList();
      break;
    }
    case "message.updated":
      // An edit, or a parent's new reply count.
      if (here && view.messages.has(frame.message.id)) insertMessages(view, [frame.message]);
      if (here) threadMessageUpdated(view, frame.message);
      break;
    case "message.deleted":
      if (here) removeMessage(view, frame.message.id);
      break;
    case "reaction.added":
    case "reaction.removed":
      if (here) applyReactionEvent(view, frame);
      break;
    case "member.joined":
    case "member.role_changed":
    case "member.left": {
      if (frame.dm != null) {
        dmMemberEvent(frame);
        break;
      }
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
        const wasReadonly = view.room.readonly;
        view.room = room;
        renderRoomHeader();
        voice.show(room, room.my_role);
        if (wasReadonly !== room.readonly) rerenderMessages(view);  // who may reply changed
      }
      renderRoomList();
      break;
    }
    case "dm.created":
      dmCreated(frame);
      break;
    case "typing":
      typingEvent(frame);
      break;
    case "presence": {
      const username = frame.user?.username;
      // Known already: the dots change in place. New: the lists that show it are drawn again.
      if (!setPresence(username, frame.status)) break;
      renderDMList();
      if (view?.members.has(username)) renderMembers(view);
      break;
    }
    case "read.updated":
      // My marker moved in another tab (or from another device).
      takeCounts(keyOf(frame), frame);
      if (here) view.readUpTo = Math.max(view.readUpTo, Number(frame.message_id) || 0);
      renderRoomList();
      break;
    case "blocks.updated":
      applyBlocks(frame.blocked ?? []);
      break;
    case "voice.roster":
      rosterRooms.add(frame.room);
      setInVoice(frame.room, seatsIn(frame.subrooms));
      voice.updateRoster(frame.room, frame.subrooms, frame.queue_length);
      break;
    case "voice.occupancy":
      // Older servers send only this; a room that sends voice.roster says more there.
      if (rosterRooms.has(frame.room)) break;
      setInVoice(frame.room, seatsIn(frame.subrooms));
      voice.updateOccupancy(frame.room, frame.subrooms);
      break;
    case "voice.queue":
      voice.updateQueue(frame.room, frame.position ?? null);
      break;
    case "voice.seat_offered":
      voice.seatOffered(frame);
      break;
    case "voice.moved":
      voice.moved(frame);
      break;
    default:
      break;
  }
}

/// After a dropped connection: the lists and blocks, the open conversation's settings, members and
/// voice, and the messages it missed, including edits and deletions within the newest page.
export async function catchUp() {
  await Promise.all([loadRooms(), loadDMs(), loadBlocks()]);
  const view = state.current;
  if (!view || !(await refreshConversation(view))) return;
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
      page = await api.get(viewPath(view, "/messages") + query);
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
  reloadThread(view);
  scheduleMarkRead();
}

/// The open conversation as the server has it now: a room's settings and voice, a direct
/// conversation's members. False when it is gone (or another was opened meanwhile).
async function refreshConversation(view) {
  try {
    if (isDM(view)) {
      const dm = await api.get(viewPath(view));
      if (state.current !== view) return false;
      view.dm = rememberDM(dm, { recent: false });
    } else {
      const room = await api.get(roomPath(view.room.name));
      if (state.current !== view) return false;
      view.room = room;
      services.voice.show(room, room.my_role);
    }
  } catch (error) {
    if (state.current !== view) return false;
    if (error.status === 404) {
      toast(`${viewTitle(view)} is gone.`);
      location.hash = "";
    }
    return false;
  }
  renderRoomHeader();
  loadMembers(view);
  return true;
}
