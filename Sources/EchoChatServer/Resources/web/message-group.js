// How the message list reads: a message from the same author as the one before it, within five
// minutes and on the same day, continues that author's group and shows only its text (its time
// shows in the margin on hover and focus); a group starts with the author's header and an initials
// avatar. A line with the day ("Today", "Yesterday", a date) stands above the first message of each
// day. Each `#message-list > li` stays one message: the day line sits inside its first message, as
// the "New messages" line does. The header stays in every message for screen readers, only hidden
// from sight in a continued one.

const GROUP_GAP_MS = 5 * 60 * 1000;

/// Brings the given messages' items, and the item after each, up to date: called with what was
/// inserted or drawn anew, and with the item that followed one taken away.
export function regroup(view, items) {
  const touched = new Set();
  for (const item of items) {
    if (!item?.isConnected) continue;
    touched.add(item);
    if (item.nextElementSibling) touched.add(item.nextElementSibling);
  }
  for (const item of touched) applyGroup(view, item);
}

function applyGroup(view, item) {
  const message = view.messages.get(Number(item.dataset.id));
  if (!message) return;
  const before = item.previousElementSibling;
  const previous = before ? view.messages.get(Number(before.dataset.id)) : null;
  const newDay = !previous || dayOf(previous.created_at) !== dayOf(message.created_at);
  const starts = newDay || previous.author.username !== message.author.username
    || Date.parse(message.created_at) - Date.parse(previous.created_at) > GROUP_GAP_MS
    // A reply, and the first unread message, show who wrote them.
    || Boolean(message.reply_to) || item.classList.contains("first-unread");
  item.classList.toggle("group-start", starts);
  item.classList.toggle("continued", !starts);
  setDayDivider(item, newDay ? message.created_at : null);
}

function dayOf(iso) {
  return new Date(iso).toDateString();
}

/// "Today", "Yesterday", or the date ("Monday 7 December", with the year when it is not this one).
export function dayLabel(iso) {
  const date = new Date(iso);
  const today = new Date();
  const yesterday = new Date(today.getFullYear(), today.getMonth(), today.getDate() - 1);
  if (date.toDateString() === today.toDateString()) return "Today";
  if (date.toDateString() === yesterday.toDateString()) return "Yesterday";
  const options = { weekday: "long", day: "numeric", month: "long" };
  if (date.getFullYear() !== today.getFullYear()) options.year = "numeric";
  return date.toLocaleDateString([], options);
}

function setDayDivider(item, iso) {
  let divider = item.querySelector(":scope > .day-divider");
  if (!iso) {
    divider?.remove();
    return;
  }
  if (!divider) {
    divider = document.createElement("div");
    divider.className = "day-divider";
    divider.setAttribute("role", "separator");
    divider.append(document.createElement("span"));
    item.prepend(divider);
  }
  const label = dayLabel(iso);
  divider.setAttribute("aria-label", label);
  divider.firstElementChild.textContent = label;
}

// MARK: What each message carries for it

/// The initials avatar of a group's header: one or two letters of the name, on a colour that
/// follows the username. Decorative: the header names the author.
export function avatar(user) {
  const element = document.createElement("span");
  element.className = "avatar";
  element.setAttribute("aria-hidden", "true");
  element.textContent = initials(user);
  element.style.setProperty("--avatar-hue", String(hueOf(user.username ?? "")));
  return element;
}

export function initials(user) {
  const name = (user.display_name || user.username || "?").trim();
  const words = name.split(/[\s._-]+/u).filter(Boolean);
  const first = (word) => graphemes(word)[0] ?? "";
  const letters = words.length >= 2 ? first(words[0]) + first(words[1]) : first(words[0] ?? name);
  return letters.toLocaleUpperCase() || "?";
}

function graphemes(text) {
  return typeof Intl.Segmenter === "function" ? [...new Intl.Segmenter().segment(text)].map((part) => part.segment) : Array.from(text);
}

/// A hue from 0 to 359 that a username always gets (FNV-1a).
function hueOf(username) {
  let hash = 0x811c9dc5;
  for (const character of username) {
    hash ^= character.codePointAt(0);
    hash = Math.imul(hash, 0x01000193) >>> 0;
  }
  return hash % 360;
}

/// The time in the margin of a continued message, shown on hover and focus (the hidden header
/// says it to screen readers).
export function marginTime(message) {
  const time = document.createElement("time");
  time.className = "margin-time";
  time.setAttribute("aria-hidden", "true");
  time.dateTime = message.created_at;
  time.textContent = new Date(message.created_at).toLocaleTimeString([], { hour: "numeric", minute: "2-digit" });
  time.title = new Date(message.created_at).toLocaleString();
  return time;
}
