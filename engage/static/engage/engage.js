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
  // Forms (issue 11 #6): see enhanceForms below.
  enhanceForms(document);
  // And a form htmx puts in the page, sent back with its errors (the case page's contact):
  // its error summary takes the focus, in view. Without it the errors sat above the screen,
  // which had kept its place while the form grew, and nothing seemed to happen.
  // Results filtered as one types (htmx) change without a new page: their count, or that
  // nothing matches, is said by a screen reader from the status line kept beside them.
  document.body.addEventListener("htmx:afterSwap", (event) => {
    const results = event.detail.target;
    if (!results || !results.matches("[data-live-results]")) return;
    const status = results.parentElement.querySelector("[data-results-status]");
    const said = results.querySelector(".count, .empty");
    if (status) status.textContent = said ? said.textContent.trim() : "";
  });
  document.body.addEventListener("htmx:load", (event) => {
    if (event.detail.elt !== document.body) enhanceForms(event.detail.elt);
  });
});

// Forms that know what the system knows (issue 11 #6). Each part works without this file.
function enhanceForms(root) {
  // The error summary at the top of a sent form takes the focus, so it is read first; each of
  // its links moves the focus to the field itself (a link to an id only scrolls), with its
  // label or legend in view.
  const summary = root.querySelector("[data-error-summary]");
  if (summary) {
    summary.focus();
    summary.addEventListener("click", (event) => {
      const link = event.target.closest("a[href^='#']");
      if (!link) return;
      const control = document.getElementById(decodeURIComponent(link.hash.slice(1)));
      if (!control) return;
      event.preventDefault();
      const holder = control.closest("fieldset.group, .field") || control;
      holder.scrollIntoView({ block: "start" });
      control.focus({ preventScroll: true });
    });
  }

  // "Add a household member": without JavaScript the button sends the form, which comes back
  // with one more block; here the block is copied from its <template> at once. The button stops
  // being a submit button, so Enter in a field sends the form, not this.
  for (const button of root.querySelectorAll("[data-add-form]")) {
    const prefix = button.dataset.addForm;
    const template = document.getElementById(`${prefix}-template`);
    const list = document.getElementById(`${prefix}-forms`);
    const total = document.getElementById(`id_${prefix}-TOTAL_FORMS`);
    const max = document.getElementById(`id_${prefix}-MAX_NUM_FORMS`);
    if (!template || !list || !total) continue;
    button.type = "button";
    const limit = max ? Number(max.value) : Infinity;
    const update = () => { button.hidden = Number(total.value) >= limit; };
    update();
    button.addEventListener("click", () => {
      const index = Number(total.value);
      if (index >= limit) return;
      const html = template.innerHTML
        .replaceAll("__prefix__", String(index))
        .replaceAll("__number__", String(index + 1));
      list.insertAdjacentHTML("beforeend", html);
      total.value = String(index + 1);
      update();
      const added = list.lastElementChild;
      const first = added && added.querySelector("input, select, textarea");
      if (first) first.focus();
    });
  }

  // Parts of a form that concern some answers only: data-shown-for="name: value value" shows a
  // part for those answers alone, data-hidden-for="name: value value" hides it for them. Without
  // JavaScript every part shows, with a note (data-without-script) saying whom it concerns.
  for (const part of root.querySelectorAll("[data-shown-for], [data-hidden-for]")) {
    const shownFor = part.dataset.shownFor;
    const [name, values] = (shownFor || part.dataset.hiddenFor).split(":");
    const form = part.closest("form") || document;
    const control = form.querySelector(`[name="${name.trim()}"]`);
    if (!control) continue;
    const listed = values.trim().split(/\s+/);
    const update = () => {
      const concerned = listed.includes(control.value);
      part.hidden = shownFor ? !concerned : concerned;
    };
    for (const note of part.querySelectorAll("[data-without-script]")) note.hidden = true;
    control.addEventListener("change", () => { update(); hideEmpty(); });
    update();
  }
  // A box of such parts goes when all of them have.
  const hideEmpty = () => {
    for (const box of root.querySelectorAll("[data-hide-when-empty]")) {
      const items = box.querySelectorAll(":scope > ul > li");
      box.hidden = items.length > 0 && [...items].every((item) => item.hidden);
    }
  };
  hideEmpty();
  customConditions(root);
}

// An organisation's own field shown only when another has a given answer (engage.custom): its
// control carries data-custom-when (the other field's name) and data-custom-value. Without
// JavaScript every field shows, its help saying when it applies; the server ignores a field
// whose condition does not hold, so hiding it here is only a convenience.
function customConditions(root) {
  const dependants = [...root.querySelectorAll("[data-custom-when]")];
  if (!dependants.length) return;
  const holderOf = (control) => control.closest("fieldset.group, .field") || control;
  const answers = (form, name) => {
    const controls = [...form.querySelectorAll(`[name="${CSS.escape(name)}"]`)];
    // A field that is itself hidden has no answer, so what depends on it hides too.
    if (!controls.length || controls.every((control) => holderOf(control).hidden)) return [];
    const values = [];
    for (const control of controls) {
      if (control.type === "radio" || control.type === "checkbox") {
        if (control.checked) values.push(control.value);
      } else if (control.tagName === "SELECT") {
        for (const option of control.selectedOptions) values.push(option.value);
      } else if (control.value) {
        values.push(control.value);
      }
    }
    return values;
  };
  const update = () => {
    // In document order, so a condition on a field that is itself conditional is settled first.
    for (const control of dependants) {
      const form = control.closest("form") || document;
      const shown = answers(form, control.dataset.customWhen).includes(control.dataset.customValue);
      holderOf(control).hidden = !shown;
    }
  };
  for (const control of dependants) {
    const form = control.closest("form") || document;
    form.addEventListener("change", update);
  }
  update();
}
