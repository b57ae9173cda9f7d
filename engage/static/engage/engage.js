// Small progressive enhancements; every page works without this file.
"use strict";
document.addEventListener("DOMContentLoaded", () => {
  // The language switch takes effect as soon as a language is chosen; without JavaScript its
  // button does the same.
  for (const form of document.querySelectorAll("form.language-switcher")) {
    const select = form.querySelector("select");
    const button = form.querySelector("button");
    if (!select || !button) continue;
    button.hidden = true;
    select.addEventListener("change", () => form.requestSubmit());
  }
  // A table wider than a phone scrolls inside itself: keyboard users reach it too.
  for (const box of document.querySelectorAll(".table, .table-scroll")) {
    if (box.scrollWidth > box.clientWidth && box.tabIndex < 0) box.tabIndex = 0;
  }
});
