// What the client holds while it runs: the API, the rooms and direct conversations it knows, the
// open conversation, and the live connection and voice panel that app.js sets up once.

import { Api } from "./api.js";

export const RANK = { member: 1, moderator: 2, admin: 3, owner: 4 };

export const api = new Api();
export const state = {
  config: null,
  rooms: new Map(),       // name → room (with my_role)
  dms: new Map(),         // id → direct conversation (GET /api/dms, dm.created), with `activity` for the order
  unread: new Map(),      // conversation key (conversation.js) → { unread, mentions }
  inVoice: new Map(),     // name → seats held in its voice channel (GET /api/rooms, then voice.roster)
  blocked: new Map(),     // username → user I block (GET /api/me/blocks, blocks.updated)
  presence: new Map(),    // username → "online" | "idle" | "offline", where known (member lists, presence frames)
  dmPolicy: null,         // whom I take new direct conversations from (GET /api/me)
  current: null,          // the open conversation's view state (conversation.js newView)
  search: "",
};
/// `realtime` (RealTime) and `voice` (VoicePanel): null until app.js has set them up.
export const services = { realtime: null, voice: null };

export function myRank(role) {
  return Math.max(RANK[role] ?? 0, state.me?.is_admin ? 5 : 0);
}

/// Whether I may write in `room` (and so reply): a member, or a server admin; in a read-only room,
/// moderators and up.
export function canPost(room) {
  return Boolean(room.my_role || state.me?.is_admin) && (!room.readonly || myRank(room.my_role) >= RANK.moderator);
}
