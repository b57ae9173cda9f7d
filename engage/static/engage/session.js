// The idle sign-out notice (accounts/_session_notice.html). Two minutes before the session's
// idle limit it offers "Stay signed in"; only that click renews the session. The checks of the
// time left ask the server without counting as activity, so activity in another tab is seen
// and nothing here keeps a session alive by itself. A background (htmx) request that finds
// the session ended gets 401, and the notice says so, leaving what is typed on the page.
// Its texts are in the page, translated by the server. Without JavaScript nothing changes.
(function () {
  "use strict";
  var notice = document.getElementById("session-notice");
  if (!notice || !window.fetch) {
    return;
  }
  var announcer = document.getElementById("session-announce");
  var warnMs = Number(notice.dataset.warnSeconds) * 1000;
  var idleMs = Number(notice.dataset.idleSeconds) * 1000;
  var timer = null;
  var state = "hidden";

  function show(name) {
    state = name;
    notice.hidden = name === "hidden";
    notice.querySelectorAll("[data-when]").forEach(function (element) {
      element.hidden = element.dataset.when.split(" ").indexOf(name) < 0;
    });
    var text = notice.querySelector("p[data-when='" + name + "']");
    announcer.textContent = text ? text.textContent : "";
    var active = document.activeElement;
    var typing = active && (active.isContentEditable || /^(INPUT|TEXTAREA|SELECT)$/.test(active.tagName));
    if (name === "warning" && !typing) {
      // Never taken from a field being typed in: the live region reads the notice out.
      notice.querySelector("[data-action=stay]").focus();
    }
  }

  function csrfToken() {
    try {
      return JSON.parse(document.body.getAttribute("hx-headers") || "{}")["X-CSRFToken"] || "";
    } catch (error) {
      return "";
    }
  }

  function useCsrfToken(token) {
    // A sign-in in another tab gave the session a new token: the forms of this page take it.
    var headers = {};
    try {
      headers = JSON.parse(document.body.getAttribute("hx-headers") || "{}");
    } catch (error) {}
    headers["X-CSRFToken"] = token;
    document.body.setAttribute("hx-headers", JSON.stringify(headers));
    document.querySelectorAll("input[name=csrfmiddlewaretoken]").forEach(function (input) {
      input.value = token;
    });
  }

  // The session as the server sees it: {signed_in, user, seconds_left, absolute, csrf}, or
  // null when it cannot tell (no network; a sign-in step in progress answers by a redirect).
  function ask(method, url) {
    return fetch(url, {
      method: method,
      credentials: "same-origin",
      redirect: "manual",
      headers: { Accept: "application/json", "X-CSRFToken": csrfToken() },
    })
      .then(function (response) {
        if (response.status === 401) {
          return { signed_in: false };
        }
        return response.ok ? response.json() : null;
      })
      .catch(function () {
        return null;
      });
  }

  function wait(ms) {
    clearTimeout(timer);
    timer = setTimeout(check, Math.max(1000, ms));
  }

  function follow(session) {
    if (session === null) {
      wait(30000);
      return;
    }
    if (!session.signed_in) {
      clearTimeout(timer);
      show("signed-out");
      return;
    }
    if (session.user !== notice.dataset.user) {
      clearTimeout(timer);
      show("other-user");
      return;
    }
    if (state === "signed-out" || state === "other-user") {
      useCsrfToken(session.csrf);
      show("back");
    }
    var left = session.seconds_left * 1000;
    if (left > warnMs + 5000) {
      if (state === "warning" || state === "absolute") {
        show("hidden"); // activity in another tab of this browser
      }
      wait(left - warnMs);
    } else {
      if (state !== "warning" && state !== "absolute") {
        show(session.absolute ? "absolute" : "warning");
      }
      wait(left + 1000); // just after the limit: signed out then, unless renewed meanwhile
    }
  }

  function check() {
    ask("GET", notice.dataset.statusUrl).then(follow);
  }

  notice.addEventListener("click", function (event) {
    var action = event.target.closest("[data-action]");
    if (!action) {
      return;
    }
    if (action.dataset.action === "close") {
      show("hidden");
    } else if (action.dataset.action === "stay") {
      ask("POST", notice.dataset.stayUrl).then(function (session) {
        if (session && session.signed_in) {
          show("stayed");
          setTimeout(function () {
            if (state === "stayed") {
              show("hidden");
            }
          }, 5000);
        }
        follow(session);
      });
    }
  });

  // Back to this tab (perhaps after signing in again in another one): look again.
  document.addEventListener("visibilitychange", function () {
    if (document.visibilityState === "visible" && state !== "hidden") {
      check();
    }
  });
  window.addEventListener("focus", function () {
    if (state === "signed-out" || state === "other-user") {
      check();
    }
  });

  // htmx: a request that went through was activity; one refused for want of a session
  // (401) left the page as it was, and the notice says why.
  document.body.addEventListener("htmx:afterRequest", function (event) {
    var status = event.detail.xhr ? event.detail.xhr.status : 0;
    if (status === 401) {
      clearTimeout(timer);
      show("signed-out");
    } else if (status > 0 && status < 400 && state !== "signed-out") {
      if (state === "warning") {
        show("hidden");
      }
      // The server notes activity at most once a minute: assume the earliest limit.
      wait(idleMs - 60000 - warnMs);
    }
  });

  show("hidden");
  wait(Number(notice.dataset.secondsLeft) * 1000 - warnMs);
})();
