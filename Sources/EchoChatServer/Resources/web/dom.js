// Small things shared by every part of the page: element lookup, badges, notices, texts.

import { ApiError } from "./api.js";

export const $ = (id) => document.getElementById(id);

export function badge(text, extra = "") {
  const element = document.createElement("span");
  element.className = `badge ${extra}`.trim();
  element.textContent = text;
  return element;
}

/// Whether a person's display name is not their username (case aside), so that the @username
/// goes beside it: a display name alone could be anyone's.
export function showsHandle(user) {
  return Boolean(user.display_name && user.username) && user.display_name.toLowerCase() !== user.username;
}

/// `@username` in a span of its own, for beside a display name.
export function handle(user) {
  const element = document.createElement("span");
  element.className = "handle";
  element.textContent = `@${user.username}`;
  return element;
}

/// A person as text: "Alice Example (@alice)", or "alice" when the names agree.
export function personText(user) {
  const shown = user.display_name || user.username || "";
  return showsHandle(user) ? `${shown} (@${user.username})` : shown;
}

/// The badges beside a room member's name, wherever it is shown: a role above member, server admin.
export function memberBadges(member) {
  const badges = [];
  if (member.role !== "member") badges.push(badge(member.role, `role role-${member.role}`));
  if (member.user.is_admin) badges.push(badge("server admin", "role"));
  return badges.flatMap((element) => [" ", element]);
}

export function actionButton(text, label, handler) {
  const button = document.createElement("button");
  button.type = "button";
  button.className = "link-button";
  button.textContent = text;
  button.setAttribute("aria-label", label);
  button.addEventListener("click", handler);
  return button;
}

export function describe(error) {
  if (error instanceof ApiError) {
    if (error.status === 429) return `Too many attempts; try again in ${error.retryAfter ?? "a few"} seconds.`;
    return error.message;
  }
  return error?.message ?? String(error);
}

export function formatTime(iso) {
  const date = new Date(iso);
  const today = new Date().toDateString() === date.toDateString();
  return today ? date.toLocaleTimeString([], { hour: "2-digit", minute: "2-digit" }) : date.toLocaleString([], { dateStyle: "short", timeStyle: "short" });
}

export function randomID() {
  if (crypto.randomUUID) return crypto.randomUUID();
  return [...crypto.getRandomValues(new Uint8Array(16))].map((byte) => byte.toString(16).padStart(2, "0")).join("");
}

export function safeDecode(text) {
  try { return decodeURIComponent(text); } catch { return text; }
}

export function autosize(textarea) {
  textarea.style.height = "auto";
  textarea.style.height = `${Math.min(textarea.scrollHeight + 2, 200)}px`;
  textarea.style.overflowY = textarea.scrollHeight > 200 ? "auto" : "hidden";
}

export function announce(text) {
  const element = $("announcer");
  element.textContent = "";
  setTimeout(() => { element.textContent = text; }, 50);
}

export function toast(text) {
  const box = $("toast");
  box.textContent = text;
  box.hidden = false;
  clearTimeout(box.timer);
  box.timer = setTimeout(() => { box.hidden = true; }, 5000);
}

export async function busy(button, work) {
  if (button) button.disabled = true;
  try { await work(); } finally { if (button) button.disabled = false; }
}
