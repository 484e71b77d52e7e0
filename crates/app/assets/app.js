// Metarr's live updates: one WebSocket to /ui/events; each message becomes an event on <body>
// (`metarr-job`, `metarr-scan`, `metarr-movie`) that htmx elements refresh themselves on, e.g.
// hx-trigger="metarr-job from:body throttle:1s". Pages work without this script; they are then
// simply not live.
(function () {
  "use strict";
  var delay = 1000;

  function connect() {
    var scheme = location.protocol === "https:" ? "wss:" : "ws:";
    var socket;
    try {
      socket = new WebSocket(scheme + "//" + location.host + "/ui/events");
    } catch (err) {
      return;
    }
    socket.onopen = function () {
      delay = 1000;
      document.body.dataset.live = "on";
    };
    socket.onmessage = function (message) {
      var event;
      try {
        event = JSON.parse(message.data);
      } catch (err) {
        return;
      }
      var family = String(event.type || "").split(".")[0];
      if (!family) return;
      document.body.dispatchEvent(new CustomEvent("metarr-" + family, { detail: event }));
    };
    socket.onclose = function () {
      document.body.dataset.live = "off";
      setTimeout(connect, delay);
      delay = Math.min(delay * 2, 30000);
    };
  }

  if ("WebSocket" in window) {
    if (document.readyState === "loading") {
      document.addEventListener("DOMContentLoaded", connect);
    } else {
      connect();
    }
  }

  // Buttons that ask before doing something destructive: <button data-confirm="Delete …?">.
  document.addEventListener("click", function (event) {
    var target = event.target instanceof Element ? event.target.closest("[data-confirm]") : null;
    if (target && !window.confirm(target.getAttribute("data-confirm"))) {
      event.preventDefault();
      event.stopImmediatePropagation();
    }
  }, true);
})();
