// Signing in and creating an account, and the way back to the sign-in page.

import { api, services, state } from "./state.js";
import { $, busy, describe } from "./dom.js";
import { clearTyping } from "./typing.js";

/// `onSignedIn` opens the app once the session is stored.
export function setUpAuthForms(onSignedIn) {
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
        onSignedIn();
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
        onSignedIn();
      } catch (failure) {
        error.textContent = describe(failure);
      }
    });
  });
}

export function showAuth(notice = "") {
  services.realtime?.stop();
  services.voice?.leave();
  state.current = null;
  state.rooms.clear();
  state.dms.clear();
  state.unread.clear();
  state.blocked.clear();
  state.dmPolicy = null;
  state.inVoice.clear();
  state.presence.clear();
  clearTyping();
  state.me = null;
  // Nothing of the last user stays behind for the next one.
  history.replaceState(null, "", location.pathname + location.search);
  for (const id of ["message-list", "member-list", "my-rooms", "public-rooms", "dm-list", "block-list", "voice-participants", "voice-occupancy"]) $(id).replaceChildren();
  for (const dialog of document.querySelectorAll("dialog[open]")) dialog.close();
  $("room").hidden = true;
  $("no-room").hidden = false;
  $("room-panel").hidden = true;
  $("app-view").hidden = true;
  $("auth-view").hidden = false;
  $("login-error").textContent = notice;
  $("login-username").focus();
}
