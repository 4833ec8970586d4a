// Emoji reactions under each message: the chips ("👍 3", pressed where one is mine) that toggle my
// reaction, the Add reaction button with its small picker, and the live reaction.added /
// reaction.removed events. Only history pages carry a message's reactions; the events keep them
// current from there.

import { api, state } from "./state.js";
import { $, announce, describe, toast } from "./dom.js";
import { isMember, viewPath } from "./conversation.js";

/// What the picker offers. Other emoji (added by other clients) still show as chips.
export const COMMON_EMOJI = ["👍", "❤️", "😂", "🎉", "😮", "😢", "🙏", "👀", "🔥", "✅", "👎", "🚀"];

/// The open picker: `{ id, picker }`, or null.
let openPicker = null;
/// `id emoji` of the requests under way, so that a double click does not send two.
const pending = new Set();

/// The row of chips under a message; hidden while nobody has reacted.
export function reactionRow(message, view) {
  const row = document.createElement("div");
  row.className = "reactions";
  row.setAttribute("role", "group");
  row.setAttribute("aria-label", "Reactions");
  renderChips(row, message, view);
  return row;
}

/// The Add reaction button for a message's actions (members only): it opens the picker under the message.
export function addReactionButton(message, label) {
  const button = document.createElement("button");
  button.type = "button";
  button.className = "link-button add-reaction";
  button.textContent = "React";
  button.setAttribute("aria-label", label);
  button.setAttribute("aria-expanded", "false");
  button.addEventListener("click", () => {
    if (openPicker?.id === message.id && openPicker.picker.isConnected) closePicker(true);
    else showPicker(message.id, button);
  });
  return button;
}

/// A `reaction.added` or `reaction.removed` in the open conversation.
export function applyReactionEvent(view, frame) {
  const message = view.messages.get(frame.message_id);
  if (!message) return;
  const isMe = frame.user?.username === state.me?.username;
  if (changeReaction(message, frame.emoji, frame.type === "reaction.added", isMe)) renderReactions(view, message);
}

/// Puts the message's reactions on its row, keeping the chips that stay (and the focus on them).
function renderReactions(view, message) {
  const row = messageElement(message.id)?.querySelector(".reactions");
  if (row) renderChips(row, message, view);
}

function renderChips(row, message, view) {
  const member = isMember(view);
  const reactions = message.reactions ?? [];
  const stale = new Map([...row.children].map((chip) => [chip.dataset.emoji, chip]));
  let previous = null;
  for (const reaction of reactions) {
    const chip = stale.get(reaction.emoji) ?? reactionChip(message.id, reaction.emoji);
    stale.delete(reaction.emoji);
    updateChip(chip, reaction, member);
    const place = previous ? previous.nextElementSibling : row.firstElementChild;
    if (chip !== place) row.insertBefore(chip, place);
    previous = chip;
  }
  const hadFocus = [...stale.values()].some((chip) => chip === document.activeElement);
  for (const chip of stale.values()) chip.remove();
  row.hidden = reactions.length === 0;
  // The chip in hand went (its count reached 0): the focus stays with the message.
  if (hadFocus) (row.querySelector(".reaction:not(:disabled)") ?? row.closest(".message")?.querySelector(".add-reaction"))?.focus();
}

function reactionChip(id, emoji) {
  const chip = document.createElement("button");
  chip.type = "button";
  chip.className = "reaction";
  chip.dataset.emoji = emoji;
  const symbol = document.createElement("span");
  symbol.className = "reaction-emoji";
  symbol.textContent = emoji;
  const count = document.createElement("span");
  count.className = "reaction-count";
  chip.append(symbol, " ", count);
  chip.addEventListener("click", () => toggleReaction(id, emoji));
  return chip;
}

function updateChip(chip, reaction, member) {
  const count = chip.querySelector(".reaction-count");
  count.textContent = String(reaction.count);
  const people = `${reaction.count} ${reaction.count === 1 ? "reaction" : "reactions"}`;
  chip.setAttribute("aria-pressed", String(reaction.me));
  chip.setAttribute("aria-label", member ? `React with ${reaction.emoji} (${people})` : `${reaction.emoji}: ${people}`);
  chip.title = reaction.me ? `${people}, yours among them` : people;
  // Only members react; the others see the counts.
  chip.disabled = !member;
}

/// Adds my reaction, or takes it back when it is there already.
async function toggleReaction(id, emoji) {
  const view = state.current;
  const message = view?.messages.get(id);
  const key = `${id} ${emoji}`;
  if (!message || pending.has(key)) return;
  const on = !isMine(message, emoji);
  const path = viewPath(view, `/messages/${id}/reactions/${encodeURIComponent(emoji)}`);
  pending.add(key);
  try {
    await (on ? api.put(path) : api.delete(path));
    // The event may have come first, or may never come (the live connection is down): either way once.
    const current = view.messages.get(id);
    if (state.current === view && current && changeReaction(current, emoji, on, true)) renderReactions(view, current);
  } catch (error) {
    toast(describe(error));
  } finally {
    pending.delete(key);
  }
}

function isMine(message, emoji) {
  return (message.reactions ?? []).some((reaction) => reaction.emoji === emoji && reaction.me);
}

/// One person's reaction added or taken back. Mine arrive twice (the answer to my request and the
/// event), so they count only when `me` changes. Whether anything changed.
function changeReaction(message, emoji, added, isMe) {
  const reactions = [...(message.reactions ?? [])];
  const index = reactions.findIndex((reaction) => reaction.emoji === emoji);
  const current = index >= 0 ? reactions[index] : null;
  if (isMe && Boolean(current?.me) === added) return false;
  if (added) {
    if (current) reactions[index] = { ...current, count: current.count + 1, me: current.me || isMe };
    else reactions.push({ emoji, count: 1, me: isMe });  // first use goes last
  } else {
    if (!current) return false;
    if (current.count <= 1) reactions.splice(index, 1);
    else reactions[index] = { ...current, count: current.count - 1, me: isMe ? false : current.me };
  }
  message.reactions = reactions;
  return true;
}

// MARK: The picker

function showPicker(id, button) {
  closePicker();
  const item = button.closest(".message");
  const message = state.current?.messages.get(id);
  if (!item || !message) return;
  const picker = document.createElement("div");
  picker.className = "reaction-picker";
  picker.id = `reaction-picker-${id}`;
  picker.setAttribute("role", "group");
  picker.setAttribute("aria-label", "Pick a reaction; Escape closes");
  for (const emoji of COMMON_EMOJI) {
    const choice = document.createElement("button");
    choice.type = "button";
    choice.className = "reaction-choice";
    choice.textContent = emoji;
    choice.dataset.emoji = emoji;
    choice.setAttribute("aria-label", `React with ${emoji}`);
    choice.setAttribute("aria-pressed", String(isMine(message, emoji)));
    choice.addEventListener("click", () => {
      const current = state.current?.messages.get(id);
      closePicker(true);
      if (current) announce(isMine(current, emoji) ? `Took back your ${emoji}` : `Reacted with ${emoji}`);
      toggleReaction(id, emoji);
    });
    picker.append(choice);
  }
  picker.addEventListener("keydown", (event) => onPickerKey(event, picker));
  // Closes when the focus goes elsewhere (a click outside, Tab past the last emoji).
  picker.addEventListener("focusout", (event) => {
    const to = event.relatedTarget;
    if (openPicker?.picker === picker && !picker.contains(to) && !to?.classList.contains("add-reaction")) closePicker();
  });
  item.querySelector(".reactions").after(picker);
  openPicker = { id, picker };
  button.setAttribute("aria-expanded", "true");
  button.setAttribute("aria-controls", picker.id);
  picker.scrollIntoView({ block: "nearest" });
  picker.querySelector("button").focus({ preventScroll: true });
}

function onPickerKey(event, picker) {
  const choices = [...picker.querySelectorAll(".reaction-choice")];
  const at = choices.indexOf(document.activeElement);
  const moves = { ArrowRight: at + 1, ArrowDown: at + 6, ArrowLeft: at - 1, ArrowUp: at - 6, Home: 0, End: choices.length - 1 };
  if (event.key === "Escape") {
    event.stopPropagation();  // not the drawers' Escape
    closePicker(true);
  } else if (event.key in moves && at >= 0) {
    event.preventDefault();
    choices[Math.max(0, Math.min(choices.length - 1, moves[event.key]))].focus();
  }
}

/// Closes the picker; `returnFocus` puts the focus back on its message's Add reaction button.
function closePicker(returnFocus = false) {
  if (!openPicker) return;
  const { id, picker } = openPicker;
  openPicker = null;
  picker.remove();
  const button = messageElement(id)?.querySelector(".add-reaction");
  if (!button) return;
  button.setAttribute("aria-expanded", "false");
  button.removeAttribute("aria-controls");
  if (returnFocus) button.focus({ preventScroll: true });
}

function messageElement(id) {
  return $("message-list").querySelector(`[data-id="${id}"]`);
}
