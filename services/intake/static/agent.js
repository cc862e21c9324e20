// Keeps a request's page live: the status, the note in the caller's
// language, the expected time and the history follow the intake's
// Server-Sent Events feed. The feed URL resumes after the last update the
// page was rendered with; EventSource resumes from Last-Event-ID itself
// after a dropped connection, so no change is missed.
(function () {
  "use strict";
  var page = document.getElementById("live");
  if (!page || !window.EventSource) {
    return;
  }
  var callerLang = page.getAttribute("data-caller-lang");
  var connection = document.getElementById("connection");

  function text(id, value) {
    var el = document.getElementById(id);
    if (el && value !== undefined && value !== null) {
      el.textContent = value;
    }
  }

  // Times arrive as RFC 3339 in Sharjah's zone: show "2026-01-15 09:00".
  function shortTime(iso) {
    return iso ? iso.replace("T", " ").slice(0, 16) : "";
  }

  function noteOf(d) {
    if (d.note && d.note[callerLang]) {
      return d.note[callerLang];
    }
    return d.status_notes;
  }

  function addHistory(d) {
    var row = document.createElement("tr");
    [shortTime(d.updated_datetime), d.status_label || "", noteOf(d)].forEach(function (v, i) {
      var cell = document.createElement("td");
      var span = document.createElement("span");
      span.textContent = v;
      if (i === 0) {
        span.dir = "ltr";
      } else if (i === 2) {
        span.lang = callerLang;
      }
      cell.appendChild(span);
      row.appendChild(cell);
    });
    document.getElementById("history").appendChild(row);
  }

  function update(ev) {
    var d = JSON.parse(ev.data);
    if (d.status_code) {
      var status = document.getElementById("status");
      status.textContent = d.status_label;
      status.setAttribute("data-status", d.status_code);
      text("note", noteOf(d));
    }
    if (d.expected_datetime) {
      text("expected", shortTime(d.expected_datetime));
    }
    if (d.ticket_reference) {
      text("ticket", d.ticket_reference);
    }
    document.getElementById("overdue").hidden = ev.type !== "overdue";
    addHistory(d);
    page.classList.remove("changed");
    void page.offsetWidth; // restart the highlight animation
    page.classList.add("changed");
  }

  var source = new EventSource(page.getAttribute("data-feed"));
  ["status", "rejected", "overdue"].forEach(function (type) {
    source.addEventListener(type, update);
  });
  source.onopen = function () {
    connection.textContent = page.getAttribute("data-live-text");
    connection.className = "connection on";
  };
  source.onerror = function () {
    connection.textContent = page.getAttribute("data-reconnecting-text");
    connection.className = "connection off";
  };
})();
