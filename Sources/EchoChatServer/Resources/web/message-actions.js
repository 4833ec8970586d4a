// A message's actions (react, reply, edit, delete, as far as I may) in a small toolbar at its top
// right. It shows while the pointer is over the message and while the focus is in it, so Tab reaches
// each button; on touch screens and phones a tap on the message shows it (and a tap elsewhere hides
// it). Editing in place and deleting are here too.

import { api, state } from "./state.js";
import { autosize, describe, formatTime, toast } from "./dom.js";
import { isMember, mayModerate, mayPost, messagePath } from "./conversation.js";
import { insertMessages, removeMessage } from "./messages.js";
import { addReactionButton } from "./reactions.js";
import { replyButton } from "./replies.js";

/// Where a tap shows the toolbar: no hover, or a phone-sized window.
const tapShows = window.matchMedia("(hover: none), (max-width: 900px)");

const SVG = "http://www.w3.org/2000/svg";
/// 24×24 line icons, drawn with the text colour.
const ICONS = {
  react: ["M20 12.5a8 8 0 1 1-7.5-8", "M8.5 14.5c.9 1.3 2 2 3.5 2s2.6-.7 3.5-2", "M9 10h.01", "M15 10h.01", "M19 2v6", "M16 5h6"],
  reply: ["M9 15 4 10l5-5", "M4 10h10a6 6 0 0 1 6 6v3"],
  edit: ["M16.5 3.5a2.1 2.1 0 0 1 3 3L8 18l-4 1 1-4Z", "M14.5 5.5l3 3"],
  delete: ["M4 7h16", "M9 7V4h6v3", "M6 7l1 13h10l1-13", "M10 11v6", "M14 11v6"],
};

/// The toolbar of a message's item, or null when I may do nothing with it.
export function messageToolbar(message, view, item) {
  const who = message.author.display_name || message.author.username;
  const when = formatTime(message.created_at);
  const mine = message.author.username === state.me?.username;
  const member = isMember(view);
  const bar = document.createElement("div");
  bar.className = "message-actions";
  bar.setAttribute("role", "group");
  bar.setAttribute("aria-label", `Actions for the message by ${who} from ${when}`);
  if (member) bar.append(tool(addReactionButton(message, `Add a reaction to the message by ${who} from ${when}`), "react", "Add a reaction"));
  if (mayPost(view)) bar.append(tool(replyButton(message, `Reply to the message by ${who} from ${when}`), "reply", "Reply"));
  if (mine && member) bar.append(tool(button(`Edit your message from ${when}`, () => editMessage(message, item)), "edit", "Edit"));
  if ((mine && member) || mayModerate(view)) {
    bar.append(tool(button(`Delete the message by ${who} from ${when}`, () => deleteMessage(message)), "delete", "Delete", "danger-tool"));
  }
  if (!bar.childElementCount) return null;
  item.addEventListener("click", (event) => {
    if (!tapShows.matches || event.target.closest("button, a, textarea, input, .reaction-picker")) return;
    showActionsOf(item.classList.contains("show-actions") ? null : item);
  });
  return bar;
}

function button(label, handler) {
  const element = document.createElement("button");
  element.type = "button";
  element.setAttribute("aria-label", label);
  element.addEventListener("click", handler);
  return element;
}

/// Makes a button one of the toolbar's: its icon, a tooltip, and `data-action` to find it by.
function tool(element, action, tip, extra = "") {
  element.classList.remove("link-button");
  element.classList.add("tool-button");
  if (extra) element.classList.add(extra);
  element.dataset.action = action;
  element.title = tip;
  element.replaceChildren(icon(action));
  return element;
}

function icon(name) {
  const svg = document.createElementNS(SVG, "svg");
  svg.setAttribute("viewBox", "0 0 24 24");
  svg.setAttribute("aria-hidden", "true");
  svg.setAttribute("focusable", "false");
  svg.classList.add("icon");
  for (const d of ICONS[name]) {
    const path = document.createElementNS(SVG, "path");
    path.setAttribute("d", d);
    svg.append(path);
  }
  return svg;
}

/// The one message whose toolbar a tap showed (null: none).
function showActionsOf(item) {
  for (const shown of document.querySelectorAll("#message-list > li.show-actions")) {
    if (shown !== item) shown.classList.remove("show-actions");
  }
  item?.classList.add("show-actions");
}

document.addEventListener("click", (event) => {
  if (!event.target.closest?.("#message-list > li")) showActionsOf(null);
});

// MARK: Editing and deleting

function editMessage(message, item) {
  const view = state.current;
  const body = item.querySelector(":scope > .message-body");
  if (!body) return;  // already being edited
  const editor = document.createElement("textarea");
  editor.className = "edit-box";
  editor.value = message.body;
  editor.setAttribute("aria-label", "Edit message; Enter saves, Escape cancels");
  body.replaceWith(editor);
  autosize(editor);
  editor.focus();
  const finish = () => {
    editor.replaceWith(body);
    item.querySelector('.message-actions [data-action="edit"]')?.focus({ preventScroll: true });
  };
  editor.addEventListener("input", () => autosize(editor));
  editor.addEventListener("keydown", async (event) => {
    if (event.key === "Escape") {
      event.stopPropagation();
      finish();
    } else if (event.key === "Enter" && !event.shiftKey && !event.isComposing) {
      event.preventDefault();
      const text = editor.value;
      if (!text.trim() || text === message.body) return finish();
      try {
        const updated = await api.patch(messagePath(message), { body: text });
        // Drawn anew (here or by its event): the focus goes to its Edit button again.
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
    await api.delete(messagePath(message));
    if (view && state.current === view) removeMessage(view, message.id);
  } catch (error) {
    toast(describe(error));
  }
}
