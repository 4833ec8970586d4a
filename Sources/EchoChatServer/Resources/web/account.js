// The Account dialog: whom I take new direct conversations from (`dm_policy`), and the people I
// block, with blocking and unblocking (also from the member dialog). A block hides the person's
// messages everywhere: they leave the open conversation at once. blocks.updated keeps other tabs
// in step.

import { api, state } from "./state.js";
import { $, actionButton, describe, personText, toast } from "./dom.js";
import { renderRoomHeader } from "./room-header.js";
import { loadLatest, removeMessage } from "./messages.js";

export function setUpAccount() {
  const dialog = $("account-dialog");
  $("account-open").addEventListener("click", openAccount);
  $("account-close").addEventListener("click", () => dialog.close());
  $("account-form").addEventListener("submit", async (event) => {
    event.preventDefault();
    try {
      const { dm_policy: policy } = await api.patch("/api/me", { dm_policy: $("dm-policy").value });
      state.dmPolicy = policy;
      dialog.close();
      toast("Your settings are saved.");
    } catch (error) {
      $("account-error").textContent = describe(error);
    }
  });
  $("block-add").addEventListener("click", blockFromForm);
  $("block-username").addEventListener("keydown", (event) => {
    if (event.key === "Enter" && !event.isComposing) {
      event.preventDefault();  // not the dialog's Save
      blockFromForm();
    }
  });
}

async function openAccount() {
  $("account-error").textContent = "";
  $("block-username").value = "";
  $("dm-policy").value = state.dmPolicy ?? "shared_rooms";
  renderBlockList();
  $("account-dialog").showModal();
  $("dm-policy").focus();
  try {
    const { dm_policy: policy } = await api.get("/api/me");
    state.dmPolicy = policy;
    $("dm-policy").value = policy;
  } catch { /* the one known stays */ }
  loadBlocks();
}

export async function loadBlocks() {
  try {
    const { blocks } = await api.get("/api/me/blocks");
    applyBlocks(blocks.map((block) => block.user));
  } catch { /* kept as known */ }
}

/// Blocks (`on`) or unblocks someone, or throws.
export async function setBlocked(username, on) {
  const path = `/api/me/blocks/${encodeURIComponent(username)}`;
  await (on ? api.put(path) : api.delete(path));
  await loadBlocks();
}

async function blockFromForm() {
  const username = $("block-username").value.trim().replace(/^@/, "");
  if (!username) return;
  try {
    await setBlocked(username, true);
    $("block-username").value = "";
    $("account-error").textContent = "";
    toast(`You block ${username} now.`);
  } catch (error) {
    $("account-error").textContent = describe(error);
  }
}

/// The people I block now (the list, or `blocks.updated`): their messages leave the open
/// conversation; someone unblocked gets theirs back with the newest page.
export function applyBlocks(users) {
  const before = state.blocked;
  state.blocked = new Map(users.map((user) => [user.username, user]));
  renderBlockList();
  const view = state.current;
  if (!view) return;
  renderRoomHeader();
  for (const message of [...view.messages.values()]) {
    if (state.blocked.has(message.author.username)) removeMessage(view, message.id);
  }
  if (view.ready && [...before.keys()].some((username) => !state.blocked.has(username))) loadLatest(view);
}

function renderBlockList() {
  const users = [...state.blocked.values()].sort((a, b) => a.username.localeCompare(b.username));
  $("blocks-empty").hidden = users.length > 0;
  $("block-list").replaceChildren(...users.map((user) => {
    const item = document.createElement("li");
    item.textContent = `${personText(user)} `;
    item.append(actionButton("Unblock", `Unblock ${personText(user)}`, async () => {
      try {
        await setBlocked(user.username, false);
        $("block-username").focus();  // the button went with its line
        toast(`You no longer block ${user.username}.`);
      } catch (error) {
        $("account-error").textContent = describe(error);
      }
    }));
    return item;
  }));
}
