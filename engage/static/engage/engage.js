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
});
