// The page around the chat: the drawers on narrow screens and the colour theme.

import { $ } from "./dom.js";

const narrow = window.matchMedia("(max-width: 900px)");

export function setUpLayout() {
  $("theme-toggle").addEventListener("click", () => {
    const order = ["auto", "light", "dark"];
    const next = order[(order.indexOf(localStorage.getItem("echochat.theme") ?? "auto") + 1) % order.length];
    localStorage.setItem("echochat.theme", next);
    applyTheme(next);
  });
  $("menu-toggle").addEventListener("click", () => toggleDrawer("sidebar", "menu-toggle"));
  $("details-toggle").addEventListener("click", () => toggleDrawer("room-panel", "details-toggle"));
  document.addEventListener("keydown", (event) => {
    if (event.key === "Escape" && !document.querySelector("dialog[open]")) {
      closeDrawer("sidebar", "menu-toggle", true);
      closeDrawer("room-panel", "details-toggle", true);
    }
  });
  $("sidebar-close").addEventListener("click", () => closeDrawer("sidebar", "menu-toggle", true));
  $("panel-close").addEventListener("click", () => closeDrawer("room-panel", "details-toggle", true));
  narrow.addEventListener("change", syncDrawers);
  syncDrawers();
}

function toggleDrawer(id, toggleID) {
  if ($(id).classList.contains("open")) return closeDrawer(id, toggleID, true);
  $(id).classList.add("open");
  $(id).inert = false;
  $(toggleID).setAttribute("aria-expanded", "true");
  $(id).querySelector("input, button, a")?.focus();
}

export function closeDrawer(id, toggleID, returnFocus = false) {
  const wasOpen = $(id).classList.contains("open");
  $(id).classList.remove("open");
  $(toggleID).setAttribute("aria-expanded", "false");
  // Off-screen drawers on a phone are out of the tab order and hidden from screen readers.
  $(id).inert = narrow.matches;
  if (wasOpen && returnFocus) $(toggleID).focus();
}

function syncDrawers() {
  closeDrawer("sidebar", "menu-toggle");
  closeDrawer("room-panel", "details-toggle");
}

export function applyTheme(theme) {
  if (theme === "auto") delete document.documentElement.dataset.theme;
  else document.documentElement.dataset.theme = theme;
  const button = $("theme-toggle");
  if (button) {
    button.textContent = `Theme: ${theme}`;
    button.setAttribute("aria-label", `Colour theme: ${theme === "auto" ? "automatic" : theme}`);
  }
}
