// The voice queue and the seats it offers, for the voice panel (voice.js): my place in a room's
// queue (`voice.queue`), leaving it, the seat offered later (`voice.seat_offered`), taken by one tab
// only (under a Web Lock) and at once as a seat given without waiting, and a moderator's move
// (`voice.moved`), which reconnects to the new sub-room. Each takes the panel it acts for.

import { roomPath } from "./api.js";
import { describe } from "./dom.js";

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

/// `voice.queue`: my place in a room's queue; null when I no longer wait (a seat was offered,
/// or the queue was cleared).
export function updateQueue(panel, roomName, position) {
  if (position == null) {
    if (panel.queue?.roomName === roomName) {
      panel.queue = null;
      panel.render();
    }
    return;
  }
  if (panel.session || panel.joining || panel.declined === roomName) return;
  const moved = panel.queue?.roomName === roomName && panel.queue.position !== position;
  panel.queue = { roomName, position };
  if (moved) panel.announce(`You are now number ${position} in the queue for voice in ${roomName}`);
  panel.render();
}

/// Leaves the queue (DELETE …/voice/queue); quiet: on the way out, without a word.
export async function leaveQueue(panel, quiet = false) {
  const queue = panel.queue;
  if (!queue) return;
  try {
    await panel.api.delete(roomPath(queue.roomName, "/voice/queue"));
  } catch (error) {
    if (!quiet) panel.setStatus(`Could not leave the queue: ${describe(error)}`, true);
    return;
  }
  if (panel.queue === queue) panel.queue = null;
  panel.asked = null;
  panel.declined = queue.roomName;
  if (!quiet) {
    panel.setStatus("");
    panel.announce(`You left the queue for voice in ${queue.roomName}`);
  }
  panel.render();
}

/// `voice.seat_offered`: a seat is held for me; taken at once, as a seat given without waiting.
export async function seatOffered(panel, offer) {
  // Offered a seat, I no longer wait in the queue, whichever tab takes it.
  if (panel.queue?.roomName === offer.channel) {
    panel.queue = null;
    panel.render();
  }
  if (panel.session || panel.joining || panel.declined === offer.channel) return;
  if (panel.asked !== offer.channel) {
    await new Promise((resolve) => setTimeout(resolve, OFFER_WAIT_MS));
    if (panel.session || panel.joining || panel.declined === offer.channel) return;
  }
  if (!(await tryClaimOffer(offer))) return;
  panel.asked = null;
  panel.queue = null;
  panel.announce(`A seat is free in ${offer.channel}: joining voice`);
  await panel.connect(offer, offer.channel, (panel.joining = {}), { joined: `A seat came free: you joined voice in ${offer.room}` });
}

/// `voice.moved`: a moderator moved me; the old connection goes, the new token joins the new sub-room.
export async function moved(panel, move) {
  const session = panel.session?.roomName === move.channel ? panel.session : null;
  const recent = panel.dropped?.roomName === move.channel && Date.now() - panel.dropped.at < MOVE_GRACE_MS;
  if (!session && !recent) return;
  const mic = session ? panel.localState().mic : panel.dropped.mic;
  panel.dropped = null;
  const attempt = (panel.joining = {});
  if (session) {
    panel.teardown();  // first: the old room's Disconnected is then not taken for a drop
    try { await session.livekit.disconnect(); } catch { /* LiveKit closes it anyway */ }
  }
  panel.announce(`A moderator moved you to ${move.room}`);
  await panel.connect(move, move.channel, attempt, { joined: `A moderator moved you to ${move.room}`, microphone: mic });
}
