// Installs Engage's service worker for a signed-in person (docs/offline.md): it keeps the
// "Offline visits" shell so the app opens without a connection. It never stores a page.
(function () {
  "use strict";
  var link = document.querySelector("link[rel=manifest][data-service-worker]");
  if (link && "serviceWorker" in navigator) {
    navigator.serviceWorker.register(link.dataset.serviceWorker, { scope: "/" }).catch(function () {});
  }
})();
