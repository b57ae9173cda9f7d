// Offline visits (templates/offline/shell.html, docs/offline.md).
//
// The cases taken offline and the outbox are kept in IndexedDB, encrypted with AES-GCM under a
// data key that is never stored in clear: it is kept wrapped twice, under a key derived from
// the person's PIN (PBKDF2-SHA256, 600,000 iterations) and under the device's wrap key, which
// the server hands out only to the signed-in owner. Everything is written into the page with
// textContent; the texts are translated by the server (the JSON in #offline-strings).
(function () {
  "use strict";
  var body = document.body;
  var T = JSON.parse(document.getElementById("offline-strings").textContent);
  var DB_NAME = "engage-offline";
  var ITERATIONS = 600000;
  var MAX_FAILS = 5;
  var enc = new TextEncoder();
  var dec = new TextDecoder();

  var state = { meta: null, key: null, bundle: null, outbox: [], csrf: "", signedIn: false, online: false };

  function fmt(text, values) {
    return text.replace(/%\((\w+)\)s/g, function (_, name) {
      return values[name] === undefined ? "" : String(values[name]);
    });
  }

  function $(id) {
    return document.getElementById(id);
  }

  // The page says it is busy (aria-busy on <main>) while it starts, sends or downloads, so
  // assistive technology (and the browser tests) know when what is shown is settled.
  var busyCount = 0;

  function busy(promise) {
    busyCount += 1;
    $("main").setAttribute("aria-busy", "true");
    function done() {
      busyCount -= 1;
      if (!busyCount) {
        $("main").setAttribute("aria-busy", "false");
      }
    }
    return promise.then(
      function (value) {
        done();
        return value;
      },
      function (error) {
        done();
        throw error;
      }
    );
  }

  function say(text) {
    var message = $("offline-message");
    message.textContent = text;
    message.hidden = !text;
  }

  // Base64 <-> bytes

  function b64(bytes) {
    var text = "";
    new Uint8Array(bytes).forEach(function (b) {
      text += String.fromCharCode(b);
    });
    return btoa(text);
  }

  function unb64(text) {
    return Uint8Array.from(atob(text), function (c) {
      return c.charCodeAt(0);
    });
  }

  // IndexedDB: one store of named records

  function openDb() {
    return new Promise(function (resolve, reject) {
      var request = indexedDB.open(DB_NAME, 1);
      request.onupgradeneeded = function () {
        request.result.createObjectStore("kv");
      };
      request.onsuccess = function () {
        resolve(request.result);
      };
      request.onerror = function () {
        reject(request.error);
      };
    });
  }

  var dbPromise = null;

  function db() {
    dbPromise = dbPromise || openDb();
    return dbPromise;
  }

  function idb(mode, action) {
    return db().then(function (database) {
      return new Promise(function (resolve, reject) {
        var tx = database.transaction("kv", mode);
        var request = action(tx.objectStore("kv"));
        tx.oncomplete = function () {
          resolve(request && request.result);
        };
        tx.onerror = function () {
          reject(tx.error);
        };
      });
    });
  }

  function get(name) {
    return idb("readonly", function (store) {
      return store.get(name);
    });
  }

  function put(name, value) {
    return idb("readwrite", function (store) {
      return store.put(value, name);
    });
  }

  // Wipe: the database, the service worker's cache and any local storage of this site.
  function wipe(reason) {
    var closing = dbPromise
      ? dbPromise.then(function (database) {
          database.close();
        }).catch(function () {})
      : Promise.resolve();
    dbPromise = null;
    state.meta = state.key = state.bundle = null;
    state.outbox = [];
    return closing
      .then(function () {
        return new Promise(function (resolve) {
          var request = indexedDB.deleteDatabase(DB_NAME);
          request.onsuccess = request.onerror = request.onblocked = function () {
            resolve();
          };
        });
      })
      .then(function () {
        try {
          localStorage.clear();
          sessionStorage.clear();
        } catch (error) {}
        return window.caches
          ? caches.keys().then(function (keys) {
              return Promise.all(keys.map(function (k) { return caches.delete(k); }));
            })
          : null;
      })
      .then(function () {
        render();
        if (reason) {
          say(reason);
        }
      });
  }

  // Encryption

  function pinKey(pin, salt) {
    return crypto.subtle
      .importKey("raw", enc.encode(pin), "PBKDF2", false, ["deriveKey"])
      .then(function (material) {
        return crypto.subtle.deriveKey(
          { name: "PBKDF2", salt: salt, iterations: ITERATIONS, hash: "SHA-256" },
          material,
          { name: "AES-GCM", length: 256 },
          false,
          ["encrypt", "decrypt"]
        );
      });
  }

  function serverKey(wrapKey) {
    return crypto.subtle.importKey("raw", unb64(wrapKey), "AES-GCM", false, ["encrypt", "decrypt"]);
  }

  // Each ciphertext is bound to its record's name and its owner (additional data).
  function seal(key, name, bytes) {
    var iv = crypto.getRandomValues(new Uint8Array(12));
    var aad = enc.encode("engage-offline:" + state.meta.user + ":" + name);
    return crypto.subtle.encrypt({ name: "AES-GCM", iv: iv, additionalData: aad }, key, bytes).then(function (ct) {
      return { iv: b64(iv), ct: b64(ct) };
    });
  }

  function open(key, name, box) {
    var aad = enc.encode("engage-offline:" + state.meta.user + ":" + name);
    return crypto.subtle.decrypt({ name: "AES-GCM", iv: unb64(box.iv), additionalData: aad }, key, unb64(box.ct));
  }

  function dataKey(raw) {
    return crypto.subtle.importKey("raw", raw, "AES-GCM", false, ["encrypt", "decrypt"]);
  }

  // Records are written one after the other, in the order they were saved: two encryptions
  // running at once may finish in either order, and an older outbox written last would lose
  // an item. The value is read when its turn comes, so the latest one is what is written.
  var writes = Promise.resolve();

  function saveRecord(name, value) {
    var written = writes.then(function () {
      return seal(state.key, name, enc.encode(JSON.stringify(value))).then(function (box) {
        return put(name, box);
      });
    });
    writes = written.catch(function () {});
    return written;
  }

  function loadRecord(name) {
    return get(name).then(function (box) {
      if (!box) {
        return null;
      }
      return open(state.key, name, box).then(function (plain) {
        return JSON.parse(dec.decode(plain));
      });
    });
  }

  // The server

  function deviceHeader() {
    var meta = state.meta;
    return meta ? { "X-Engage-Device": meta.device + (meta.token ? "." + meta.token : "") } : {};
  }

  function call(method, url, payload) {
    var headers = Object.assign({ Accept: "application/json", "X-CSRFToken": state.csrf }, deviceHeader());
    var options = { method: method, credentials: "same-origin", redirect: "manual", headers: headers, cache: "no-store" };
    if (payload !== undefined) {
      headers["Content-Type"] = "application/json";
      options.body = JSON.stringify(payload);
    }
    return fetch(url, options).then(function (response) {
      if (response.headers.get("Engage-Offline") === "wipe") {
        return wipe(T.not_allowed).then(function () {
          throw new Error("wipe");
        });
      }
      return response;
    });
  }

  function askStatus() {
    return call("GET", body.dataset.statusUrl)
      .then(function (response) {
        return response.ok ? response.json() : null;
      })
      .catch(function () {
        return null;
      });
  }

  function fetchWrapKey() {
    return call("POST", body.dataset.keyUrl, {}).then(function (response) {
      if (response.status === 410) {
        return wipe(T.wiped_server).then(function () {
          throw new Error("wiped");
        });
      }
      if (!response.ok) {
        throw new Error("key " + response.status);
      }
      return response.json();
    });
  }

  function download() {
    return call("GET", body.dataset.bundleUrl)
      .then(function (response) {
        if (!response.ok) {
          throw new Error("bundle " + response.status);
        }
        return response.json();
      })
      .then(function (bundle) {
        state.bundle = bundle;
        state.meta.expiresAt = bundle.expires_at;
        return Promise.all([saveRecord("bundle", bundle), put("meta", state.meta)]);
      });
  }

  // Setting up this device: a new data key, wrapped under the PIN and under the device key.
  function setUp(pin) {
    var raw = crypto.getRandomValues(new Uint8Array(32));
    var salt = crypto.getRandomValues(new Uint8Array(16));
    state.meta = null;
    return fetchWrapKey().then(function (answer) {
      state.meta = { user: state.user, device: answer.device, token: answer.token, salt: b64(salt), iterations: ITERATIONS, fails: 0 };
      return Promise.all([pinKey(pin, salt), serverKey(answer.wrap_key), dataKey(raw)]).then(function (keys) {
        state.key = keys[2];
        return Promise.all([seal(keys[0], "key", raw), seal(keys[1], "key", raw)]);
      }).then(function (boxes) {
        state.meta.pinWrapped = boxes[0];
        state.meta.serverWrapped = boxes[1];
        raw.fill(0);
        return put("meta", state.meta);
      });
    }).then(function () {
      state.outbox = [];
      return saveRecord("outbox", state.outbox);
    }).then(download);
  }

  function unlockWithServer() {
    return fetchWrapKey()
      .then(function (answer) {
        return serverKey(answer.wrap_key);
      })
      .then(function (key) {
        return open(key, "key", state.meta.serverWrapped);
      })
      .then(dataKey)
      .then(loaded);
  }

  function unlockWithPin(pin) {
    return pinKey(pin, unb64(state.meta.salt))
      .then(function (key) {
        return open(key, "key", state.meta.pinWrapped);
      })
      .then(
        function (raw) {
          state.meta.fails = 0;
          return put("meta", state.meta).then(function () {
            return dataKey(raw);
          });
        },
        function () {
          state.meta.fails = (state.meta.fails || 0) + 1;
          if (state.meta.fails >= MAX_FAILS) {
            return wipe(T.wiped_pin).then(function () {
              throw new Error("wiped");
            });
          }
          return put("meta", state.meta).then(function () {
            var error = new Error("pin");
            error.left = MAX_FAILS - state.meta.fails;
            throw error;
          });
        }
      )
      .then(loaded);
  }

  function loaded(key) {
    state.key = key;
    return Promise.all([loadRecord("bundle"), loadRecord("outbox")]).then(function (records) {
      state.bundle = records[0];
      state.outbox = records[1] || [];
      if (state.bundle && new Date(state.bundle.expires_at) < new Date()) {
        return wipe(T.wiped_expired);
      }
    });
  }

  // The outbox: sent in order, each once (its key), conflicts kept for the person to decide.

  function queue(item) {
    item.key = crypto.randomUUID();
    item.queued_at = new Date().toISOString();
    item.state = "waiting";
    state.outbox.push(item);
    return saveRecord("outbox", state.outbox);
  }

  var sending = null;
  var sendAgain = false;

  function send() {
    if (sending) {
      // Asked while a round is under way (an item resolved meanwhile): one more round after it.
      sendAgain = true;
      return sending;
    }
    if (!state.key || !state.signedIn) {
      return Promise.resolve();
    }
    sendAgain = false;
    var sentAny = false;
    var items = state.outbox.filter(function (item) {
      return item.state === "waiting";
    });
    var chain = Promise.resolve(true);
    items.forEach(function (item) {
      chain = chain.then(function (goOn) {
        if (!goOn) {
          return false;
        }
        var payload = { key: item.key, kind: item.kind, case: item.case, base: item.base, data: item.data, queued_at: item.queued_at };
        return call("POST", body.dataset.syncUrl, payload).then(function (response) {
          if (response.status === 401 || response.status === 403) {
            state.signedIn = response.status !== 401;
            return false;
          }
          if (response.status === 404) {
            item.state = "refused";
            item.reason = T.gone;
            return true;
          }
          return response.json().then(function (answer) {
            if (response.status === 200 || response.status === 201) {
              state.outbox.splice(state.outbox.indexOf(item), 1);
              sentAny = true;
            } else if (response.status === 409) {
              item.state = "conflict";
              item.current = answer.current;
            } else {
              item.state = "refused";
              var errors = answer.errors || {};
              item.reason = Object.keys(errors).map(function (name) {
                return labelOf(item, name) + errors[name].join(" ");
              }).join(" ");
            }
            return true;
          });
        });
      }).then(function (goOn) {
        return saveRecord("outbox", state.outbox).then(function () {
          return goOn;
        });
      });
    });
    sending = busy(
      chain
        .catch(function () {})
        .then(function () {
          if (sentAny) {
            say(T.sent);
            return download().catch(function () {});
          }
        })
        .then(function () {
          sending = null;
          render();
          if (sendAgain) {
            return send();
          }
        })
    );
    return sending;
  }

  // Rendering, with textContent only

  function el(tag, text, className) {
    var node = document.createElement(tag);
    if (text !== undefined && text !== null) {
      node.textContent = text;
    }
    if (className) {
      node.className = className;
    }
    return node;
  }

  // The page's language, as the server pages write dates: English day first ("25 November
  // 2026", engage/formats), not the browser's default for "en" (month first).
  function displayLocale() {
    var lang = document.documentElement.lang || "";
    return lang === "en" ? "en-GB" : lang || undefined;
  }

  function when(iso) {
    var date = new Date(iso);
    return date.toLocaleString(displayLocale(), { dateStyle: "long", timeStyle: "short" });
  }

  function day(iso) {
    return new Date(iso + "T00:00:00").toLocaleDateString(displayLocale(), { dateStyle: "long" });
  }

  // "Label: " before a refusal's reason, so that it says which field: one of the
  // organisation's own (named by the bundle) or of the page's own form ("Next appointment on").
  function labelOf(item, name) {
    var found = caseOf(item.case);
    var specs = (found && found.fields && found.fields[item.kind]) || [];
    var spec = specs.filter(function (each) { return each.name === name; })[0];
    if (spec) {
      return spec.label + ": ";
    }
    var form = $("offline-case").content.querySelector("form[data-kind='" + item.kind + "']");
    var label = form && form.querySelector("[data-for='" + name + "']");
    return label ? label.textContent.trim() + ": " : "";
  }

  function caseOf(id) {
    var cases = (state.bundle && state.bundle.cases) || [];
    return cases.filter(function (c) { return c.id === id; })[0];
  }

  function optionLabel(kind, value) {
    var select = document.querySelector("#offline-action select");
    var template = $("offline-action").content.querySelector("select");
    var option = (template || select).querySelector("option[value='" + value + "']");
    return option ? option.textContent : value;
  }

  function button(text, action, className) {
    var node = el("button", text, className);
    node.type = "button";
    node.addEventListener("click", action);
    return node;
  }

  function renderOutbox() {
    var section = $("offline-outbox");
    var list = section.querySelector("ul");
    list.textContent = "";
    section.hidden = !state.key || state.outbox.length === 0;
    state.outbox.forEach(function (item) {
      var found = caseOf(item.case);
      var li = el("li", null, item.state === "conflict" || item.state === "refused" ? "conflict" : "");
      var line = T["kind_" + item.kind] + " " + fmt(T.for_case, { reference: found ? found.reference : "" }) + " · " + fmt(T.waiting_since, { when: when(item.queued_at) });
      li.appendChild(el("span", line));
      if (item.state === "conflict") {
        var text = item.kind === "action_status"
          ? fmt(T.conflict_action, { status: optionLabel("status", item.current.status), mine: optionLabel("status", item.data.status) })
          : fmt(T.conflict_assessment, { date: day(item.current.date), by: item.current.by });
        li.appendChild(el("p", text));
        var buttons = el("div", null, "buttons");
        buttons.appendChild(button(T.keep_mine, function () { resolve(item, "mine"); }));
        buttons.appendChild(button(T.keep_theirs, function () { resolve(item, "theirs"); }, "secondary"));
        if (item.kind !== "action_status") {
          buttons.appendChild(button(T.edit, function () { resolve(item, "edit"); }, "secondary"));
        }
        li.appendChild(buttons);
      } else if (item.state === "refused") {
        li.appendChild(el("p", fmt(T.refused, { reason: item.reason || "" })));
        var more = el("div", null, "buttons");
        more.appendChild(button(T.edit, function () { resolve(item, "edit"); }, "secondary"));
        more.appendChild(button(T.discard, function () { resolve(item, "theirs"); }, "secondary"));
        li.appendChild(more);
      }
      list.appendChild(li);
    });
    $("offline-send").hidden = !state.signedIn || !state.online;
  }

  function resolve(item, choice) {
    if (choice === "mine") {
      // Sent again over what is in Engage now: the person has seen it and decided.
      item.base = item.kind === "action_status" ? { status: item.current.status } : { latest_assessment: item.current.latest_assessment };
      item.state = "waiting";
      delete item.current;
    } else {
      state.outbox.splice(state.outbox.indexOf(item), 1);
    }
    if (choice === "edit") {
      editing = item;
    }
    return saveRecord("outbox", state.outbox).then(render).then(send);
  }

  var editing = null;
  var renderedBundle = null;

  // A field's value: its text, or the ticked values of a group of checkboxes (data-multiple).
  function valueOf(field) {
    if (field.type === "checkbox") {
      return field.checked;
    }
    if (field.dataset.multiple) {
      return Array.prototype.map.call(field.querySelectorAll("input:checked"), function (box) {
        return box.value;
      });
    }
    return field.value;
  }

  function setValue(field, value) {
    if (field.type === "checkbox") {
      field.checked = value === true || value === "true";
    } else if (field.dataset.multiple) {
      var ticked = [].concat(value || []);
      field.querySelectorAll("input").forEach(function (box) {
        box.checked = ticked.indexOf(box.value) !== -1;
      });
    } else {
      field.value = value;
    }
  }

  function fillForm(form, data) {
    form.querySelectorAll("[data-name]").forEach(function (field) {
      if (data[field.dataset.name] !== undefined) {
        setValue(field, data[field.dataset.name]);
      }
    });
    followConditions(form);
  }

  // The organisation's own fields of a contact or an assessment (the bundle's `fields`, made on
  // the server from the web form's own fields): drawn with the markup of the web's fields.
  function option(value, text) {
    var node = el("option", text);
    node.value = value;
    return node;
  }

  function labelText(node, spec) {
    node.appendChild(document.createTextNode(spec.label));
    if (spec.required) {
      var star = el("span", "*", "required");
      star.setAttribute("aria-hidden", "true");
      node.appendChild(document.createTextNode(" "));
      node.appendChild(star);
    }
    return node;
  }

  function extraField(spec) {
    var wrap;
    var input;
    if (spec.input === "multiple") {
      wrap = el("fieldset", null, "field group");
      wrap.appendChild(labelText(el("legend"), spec));
      input = el("div");
      input.dataset.multiple = "1";
      spec.choices.forEach(function (choice) {
        var label = el("label");
        var box = el("input");
        box.type = "checkbox";
        box.value = choice[0];
        label.appendChild(box);
        label.appendChild(document.createTextNode(" " + choice[1]));
        var row = el("div");
        row.appendChild(label);
        input.appendChild(row);
      });
    } else {
      wrap = el("div", null, "field");
      var label = labelText(el("label"), spec);
      label.dataset.for = spec.name;
      wrap.appendChild(label);
      if (spec.input === "one") {
        input = el("select");
        input.appendChild(option("", "—"));
        spec.choices.forEach(function (choice) {
          input.appendChild(option(choice[0], choice[1]));
        });
      } else if (spec.input === "long") {
        input = el("textarea");
        input.rows = 3;
      } else {
        input = el("input");
        input.type = spec.input === "number" || spec.input === "date" ? spec.input : "text";
        if (spec.input === "number") {
          input.step = "any";
          if (spec.min !== null && spec.min !== undefined) {
            input.min = spec.min;
          }
          if (spec.max !== null && spec.max !== undefined) {
            input.max = spec.max;
          }
        }
      }
      if (spec.max_length) {
        input.maxLength = spec.max_length;
      }
      input.required = spec.required;
    }
    input.dataset.name = spec.name;
    if (spec.input !== "multiple") {
      input.name = spec.name;
    }
    wrap.dataset.extra = spec.name;
    wrap.dataset.label = spec.label;
    if (spec.required) {
      wrap.dataset.required = "1";
    }
    if (spec.when) {
      wrap.dataset.when = spec.when.name;
      wrap.dataset.whenValue = spec.when.value;
    }
    wrap.appendChild(input);
    if (spec.help) {
      wrap.appendChild(el("p", spec.help, "help"));
    }
    return wrap;
  }

  function addExtraFields(form, specs) {
    var submit = form.querySelector("button[type='submit']");
    (specs || []).forEach(function (spec) {
      form.insertBefore(extraField(spec), submit);
    });
    form.addEventListener("change", function () {
      followConditions(form);
    });
    followConditions(form);
  }

  // A field with a condition shows only while the field it depends on is shown and answered
  // with the condition's value, as on the web (custom.forms.condition_holds); the server
  // forgets what a hidden field held.
  function followConditions(form) {
    form.querySelectorAll("[data-extra]").forEach(function (wrap) {
      if (!wrap.dataset.when) {
        return;
      }
      var on = form.querySelector("[data-extra='" + wrap.dataset.when + "']");
      // As text: a ticked box of the phone's own form reads "true".
      var answer = on ? [].concat(valueOf(on.querySelector("[data-name]"))).map(String) : [];
      wrap.hidden = !on || on.hidden || answer.indexOf(wrap.dataset.whenValue) === -1;
    });
  }

  function missingAnswer(form) {
    var missing = Array.prototype.filter.call(form.querySelectorAll("[data-required]"), function (wrap) {
      var value = valueOf(wrap.querySelector("[data-name]"));
      return !wrap.hidden && (Array.isArray(value) ? !value.length : !String(value).trim());
    })[0];
    return missing ? missing.dataset.label : null;
  }

  // Open forms and what was typed in them, by case and form (an action's form by its action).
  function draftKey(form) {
    return [form.dataset.case, form.dataset.kind, form.dataset.action || ""].join("|");
  }

  function keepDrafts(cases) {
    var drafts = {};
    cases.querySelectorAll("form").forEach(function (form) {
      var details = form.closest("details");
      var values = {};
      form.querySelectorAll("[data-name]").forEach(function (field) {
        values[field.dataset.name] = valueOf(field);
      });
      // A contact or assessment form is a draft while open; an action's status once changed.
      var draft = details ? details.open : values.status !== form.dataset.shown;
      if (draft) {
        var focused = form.contains(document.activeElement) ? document.activeElement.dataset.name : "";
        drafts[draftKey(form)] = { open: Boolean(details), values: values, focus: focused };
      }
    });
    return drafts;
  }

  function restoreDrafts(cases, drafts) {
    cases.querySelectorAll("form").forEach(function (form) {
      var draft = drafts[draftKey(form)];
      if (!draft || (editing && draftKey(form) === [editing.case, editing.kind, ""].join("|"))) {
        return; // an item opened again to edit shows what it holds
      }
      fillForm(form, draft.values);
      var details = form.closest("details");
      if (details && draft.open) {
        details.open = true;
      }
      if (draft.focus) {
        var field = form.querySelector("[data-name='" + draft.focus + "']");
        if (field) {
          field.focus();
        }
      }
    });
  }

  function renderCase(entry, index) {
    var node = $("offline-case").content.cloneNode(true);
    var section = node.querySelector("section");
    section.id = "offline-case-" + entry.reference;
    function field(name, text) {
      section.querySelector("[data-field='" + name + "']").textContent = text;
    }
    field("name", entry.name);
    field("reference", entry.reference);
    field("phone", entry.phone || T.no_phone);
    field("address", entry.address || T.no_phone);
    var appointment = entry.next_appointment;
    field("appointment", appointment ? [day(appointment.date), appointment.time, appointment.kind, appointment.place].filter(Boolean).join(" · ") : T.none);
    field("next", entry.next);
    var contacts = section.querySelector("[data-field='contacts']");
    entry.contacts.forEach(function (contact) {
      contacts.appendChild(el("li", day(contact.date) + " · " + contact.type));
    });
    if (!entry.contacts.length) {
      contacts.appendChild(el("li", T.none));
    }
    var actions = section.querySelector("[data-field='actions']");
    entry.actions.forEach(function (action, n) {
      var row = $("offline-action").content.cloneNode(true);
      row.querySelector("[data-field='description']").textContent = action.description + " (" + action.owner + ")";
      row.querySelector("[data-field='due']").textContent = fmt(T.due, { date: day(action.due_date) });
      var form = row.querySelector("form");
      form.dataset.action = action.id;
      form.dataset.status = action.status;
      var pending = state.outbox.filter(function (item) {
        return item.kind === "action_status" && item.data.action === action.id;
      }).pop();
      form.querySelector("select").value = pending ? pending.data.status : action.status;
      form.dataset.shown = form.querySelector("select").value;
      if (!entry.may.plan) {
        form.hidden = true;
      }
      actions.appendChild(row);
    });
    if (!entry.actions.length) {
      actions.appendChild(el("li", T.none));
    }
    ["contact", "assessment"].forEach(function (kind) {
      addExtraFields(section.querySelector("form[data-kind='" + kind + "']"), (entry.fields || {})[kind]);
    });
    section.querySelectorAll("form").forEach(function (form, n) {
      form.dataset.case = entry.id;
      form.querySelectorAll("[data-name]").forEach(function (input) {
        input.id = "c" + index + "-f" + n + "-" + input.dataset.name;
        var label = form.querySelector("[data-for='" + input.dataset.name + "']");
        if (label) {
          label.htmlFor = input.id;
        }
        // An own field's help, read with it (a group of choices: with its fieldset).
        var wrap = input.closest("[data-extra]");
        var help = wrap && wrap.querySelector(".help");
        if (help) {
          help.id = input.id + "_helptext";
          (input.dataset.multiple ? wrap : input).setAttribute("aria-describedby", help.id);
        }
      });
      var date = form.querySelector("[data-name='date']");
      if (date) {
        date.value = new Date().toISOString().slice(0, 10);
        date.max = date.value;
      }
      form.addEventListener("submit", onSubmit);
    });
    section.querySelector("[data-form='contact']").hidden = !entry.may.contact;
    section.querySelector("[data-form='assessment']").hidden = !entry.may.assess;
    if (editing && editing.case === entry.id && editing.kind !== "action_status") {
      var details = section.querySelector("[data-form='" + editing.kind + "']");
      details.open = true;
      var form = details.querySelector("form");
      fillForm(form, editing.data);
      form.dataset.base = JSON.stringify(editing.current || editing.base || {});
    }
    return node;
  }

  function onSubmit(event) {
    event.preventDefault();
    var form = event.target;
    var kind = form.dataset.kind;
    var data = {};
    form.querySelectorAll("[data-name]").forEach(function (input) {
      var wrap = input.closest("[data-extra]");
      if (!wrap || !wrap.hidden) {
        data[input.dataset.name] = valueOf(input);
      }
    });
    var entry = caseOf(form.dataset.case);
    var base;
    if (kind === "action_status") {
      data.action = form.dataset.action;
      base = { status: form.dataset.status };
    } else {
      if (!data.date || (kind === "assessment" && !(data.informed_decisions && data.engage_procedures && data.wellbeing))) {
        say(T.required);
        return;
      }
      var missing = missingAnswer(form);
      if (missing) {
        say(fmt(T.required_field, { field: missing }));
        return;
      }
      base = form.dataset.base ? JSON.parse(form.dataset.base) : { latest_assessment: entry.latest_assessment };
      if (kind === "assessment" && base.latest_assessment === undefined) {
        base = { latest_assessment: base.latest_assessment || entry.latest_assessment };
      }
    }
    editing = null;
    queue({ kind: kind, case: entry.id, base: base, data: data }).then(function () {
      say(T.saved);
      if (kind !== "action_status") {
        form.reset();
        followConditions(form);
        form.closest("details").open = false;
      }
      render();
      return send();
    });
  }

  function render() {
    var unlocked = Boolean(state.key);
    $("offline-connection").textContent = state.online ? T.online : T.offline;
    $("offline-unlock").hidden = unlocked || !state.meta;
    $("offline-setup").hidden = unlocked || Boolean(state.meta) || !state.signedIn || !state.allowed;
    var cases = $("offline-cases");
    var list = (unlocked && state.bundle && state.bundle.cases) || [];
    // Rebuilt only when the cases change (or a form is to be edited again): a download that
    // brings the same cases changes nothing on the page. When they do change, the forms being
    // filled in are kept, open, with what was typed, so a background send or download never
    // loses a note.
    var shown = unlocked && state.bundle ? JSON.stringify(state.bundle.cases) : "";
    if (shown !== renderedBundle || editing) {
      renderedBundle = shown;
      var drafts = keepDrafts(cases);
      if (unlocked && lockedDrafts) {
        // Opened again after the lock: the forms come back as they were left.
        drafts = Object.assign(lockedDrafts, drafts);
        lockedDrafts = null;
      }
      cases.textContent = "";
      list.forEach(function (entry, index) {
        cases.appendChild(renderCase(entry, index));
      });
      restoreDrafts(cases, drafts);
      editing = null;
    }
    $("offline-empty").hidden = !(unlocked && list.length === 0) && !(!state.meta && !state.signedIn);
    renderOutbox();
    var session = $("offline-session");
    session.hidden = !unlocked && !state.signedIn;
    $("offline-expiry").textContent = unlocked && state.bundle ? fmt(T.downloaded, { until: when(state.bundle.expires_at) }) : "";
    var signout = $("offline-signout");
    signout.hidden = !state.signedIn || !state.online;
    signout.action = body.dataset.logoutUrl;
    signout.querySelector("input").value = state.csrf;
    if (unlocked && state.online && !state.signedIn && state.outbox.length) {
      showSignIn();
    }
  }

  function showSignIn() {
    var message = $("offline-message");
    message.textContent = T.signed_out + " ";
    var link = el("a", T.sign_in);
    link.href = body.dataset.loginUrl + "?next=" + encodeURIComponent(body.dataset.shellUrl);
    message.appendChild(link);
    message.hidden = false;
  }

  // The lock: as the web signs out after its idle limit, the cases opened here are hidden again
  // after as long without anyone touching the page, and the PIN (or, signed in, a reload) opens
  // them. Left open on a phone in a waiting room or a borrowed hand, the page kept showing
  // every case until it was closed. What was typed in an open form waits, in this page only,
  // and comes back with the cases. Never during a send or a download, whose records are
  // written under the key.
  var idleMs = Number(body.dataset.idleSeconds || 0) * 1000;
  var lastActivity = Date.now();
  var lockedDrafts = null;

  function lockIfIdle() {
    if (!idleMs || !state.key || Date.now() - lastActivity < idleMs) {
      return;
    }
    if (busyCount || sending) {
      return; // looked at again at the next check
    }
    lockedDrafts = Object.assign(lockedDrafts || {}, keepDrafts($("offline-cases")));
    state.key = state.bundle = null;
    state.outbox = [];
    render();
    say(T.locked);
  }

  ["pointerdown", "keydown", "input", "touchstart"].forEach(function (name) {
    document.addEventListener(name, function () {
      lastActivity = Date.now();
    }, { capture: true, passive: true });
  });
  // A phone asleep runs no timer: look again as soon as the page is seen.
  document.addEventListener("visibilitychange", lockIfIdle);
  setInterval(lockIfIdle, 15000);

  // Start: ask the server who is signed in and whether to wipe; else work from the device.

  function start() {
    return busy(starting());
  }

  function starting() {
    if (location.pathname !== body.dataset.shellUrl) {
      $("offline-away").hidden = false;
    }
    return get("meta")
      .then(function (meta) {
        state.meta = meta || null;
        if (state.meta && state.meta.expiresAt && new Date(state.meta.expiresAt) < new Date()) {
          return wipe(T.wiped_expired);
        }
      })
      .then(askStatus)
      .then(function (status) {
        state.online = Boolean(status);
        state.signedIn = Boolean(status && status.signed_in);
        state.allowed = Boolean(status && status.allowed);
        state.csrf = (status && status.csrf) || "";
        state.user = status && status.user;
        if (status && status.wipe) {
          return wipe(state.signedIn ? T.wiped_other : T.wiped_server);
        }
        if (state.signedIn && !state.allowed && state.meta) {
          return wipe(T.not_allowed);
        }
        if (state.signedIn && state.meta && state.meta.user !== status.user) {
          return wipe(T.wiped_other);
        }
        if (state.signedIn && state.meta) {
          return unlockWithServer().then(function () {
            return send();
          }).then(function () {
            return download();
          });
        }
      })
      .catch(function () {})
      .then(render);
  }

  $("offline-setup-form").addEventListener("submit", function (event) {
    event.preventDefault();
    var pin = $("setup-pin").value;
    var error = $("setup-error");
    error.hidden = true;
    if (pin.length < 6) {
      error.textContent = T.pin_short;
      error.hidden = false;
      return;
    }
    if (pin !== $("setup-pin2").value) {
      error.textContent = T.pin_differ;
      error.hidden = false;
      return;
    }
    say(T.setting_up);
    busy(setUp(pin)).then(function () {
      say("");
      event.target.reset();
      render();
    }, function () {
      render();
    });
  });

  $("offline-unlock-form").addEventListener("submit", function (event) {
    event.preventDefault();
    var error = $("unlock-error");
    error.hidden = true;
    busy(unlockWithPin($("unlock-pin").value)).then(
      function () {
        event.target.reset();
        if ($("offline-message").textContent === T.locked) {
          say("");
        }
        render();
        return send();
      },
      function (failure) {
        if (failure && failure.left) {
          error.textContent = fmt(T.pin_wrong, { left: failure.left });
          error.hidden = false;
        }
        render();
      }
    );
  });

  $("offline-send").addEventListener("click", function () {
    send();
  });

  $("offline-signout").addEventListener("submit", function (event) {
    // The server's answer clears the site's storage too (Clear-Site-Data); wiping first means
    // nothing is left even if that answer never arrives.
    event.preventDefault();
    var form = event.target;
    wipe("").then(function () {
      form.submit();
    });
  });

  window.addEventListener("online", function () {
    busy(
      askStatus().then(function (status) {
        state.online = Boolean(status);
        state.signedIn = Boolean(status && status.signed_in);
        state.csrf = (status && status.csrf) || state.csrf;
        if (status && status.wipe) {
          return wipe(T.wiped_server);
        }
        render();
        return send();
      })
    );
  });

  window.addEventListener("offline", function () {
    state.online = false;
    render();
  });

  if ("serviceWorker" in navigator) {
    navigator.serviceWorker.register(body.dataset.swUrl, { scope: "/" }).catch(function () {});
  }

  start();
})();
