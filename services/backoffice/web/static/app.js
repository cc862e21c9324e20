// Live updates for the officer's page: the server sends one "ticket" event
// per change on the officer's queues; lists are refreshed in place, and a
// ticket being read shows what changed without losing what is being typed.
(function () {
  "use strict";
  var body = document.body, base = body.dataset.base, page = body.dataset.page;
  if (!page || page === "login" || !window.EventSource) { return; }

  function refresh(selector) {
    fetch(location.href, { credentials: "same-origin", headers: { "Accept": "text/html" } })
      .then(function (r) { return r.ok ? r.text() : Promise.reject(r.status); })
      .then(function (html) {
        var next = new DOMParser().parseFromString(html, "text/html").querySelector(selector);
        var cur = document.querySelector(selector);
        if (next && cur) { cur.replaceWith(next); }
      })
      .catch(function () { /* the next change tries again */ });
  }

  var events = new EventSource(base + "/events");
  events.addEventListener("ticket", function (e) {
    var c = JSON.parse(e.data), all = c.kind === "resync";
    if (page === "queues") {
      refresh("#queues");
    } else if (page === "queue" && (all || c.queue === body.dataset.queue)) {
      refresh("#tickets");
    } else if (page === "ticket" && (all || c.ticket_id === body.dataset.ticket) && c.kind !== "pending") {
      refresh("#ticket-info");
      if (!all && (String(c.version) !== body.dataset.version || c.kind === "cancelled" || c.kind === "refused")) {
        document.getElementById("live-banner").hidden = false;
      }
    }
  });
})();
