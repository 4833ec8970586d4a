// What the client holds while it runs: the API, the rooms it knows, the open room, and the live
// connection and voice panel that app.js sets up once.

import { Api } from "./api.js";

export const RANK = { member: 1, moderator: 2, admin: 3, owner: 4 };

export const api = new Api();
export const state = {
  config: null,
  rooms: new Map(),       // name → room (with my_role)
  unread: new Map(),      // name → count
  inVoice: new Map(),     // name → seats held in its voice channel (GET /api/rooms, then voice.roster)
  current: null,          // the open room's view state
  search: "",
};
/// `realtime` (RealTime) and `voice` (VoicePanel): null until app.js has set them up.
export const services = { realtime: null, voice: null };

export function myRank(role) {
  return Math.max(RANK[role] ?? 0, state.me?.is_admin ? 5 : 0);
}
