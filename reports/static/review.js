// grader review: save each answer's grade as it changes; keyboard navigation between answers.
(function () {
  "use strict";
  var token = document.body.getAttribute("data-token");
  var progress = document.getElementById("progress");
  var cards = Array.prototype.slice.call(document.querySelectorAll(".review-card"));
  var current = -1;
  var timers = new Map();

  function say(card, text, kind) {
    var status = card.querySelector(".status");
    status.textContent = text;
    status.className = "status" + (kind ? " " + kind : "");
  }

  function body(card) {
    var items = Array.prototype.slice.call(card.querySelectorAll(".item:checked")).map(function (box) { return box.value; });
    return {
      submission: card.getAttribute("data-submission"),
      question: progress.getAttribute("data-question"),
      points: card.querySelector(".points").value === "" ? null : Number(card.querySelector(".points").value),
      rubric: items,
      comment: card.querySelector(".comment").value,
      hash: card.getAttribute("data-hash"),
      revision: Number(card.getAttribute("data-revision"))
    };
  }

  function saved(card, data, draft) {
    card.setAttribute("data-revision", String(data.revision));
    var state = card.querySelector("header span");
    state.textContent = "";
    var tag = document.createElement("span");
    tag.className = "tag";
    tag.textContent = draft ? "draft: no points yet" : "graded";
    state.appendChild(tag);
    progress.textContent = data.progress.graded + " of " + data.progress.total + " graded";
    if (data.overwrote) {
      say(card, "Saved " + data.saved + ". This answer had been graded elsewhere (another tab or reviewer, " +
          data.overwrote.points + " points at " + data.overwrote.saved + "): your grade replaced it.", "warn");
    } else {
      say(card, "Saved " + data.saved + (draft ? " (no points yet: not graded)." : "."));
    }
  }

  function save(card) {
    var points = card.querySelector(".points");
    if (!points.checkValidity()) {
      say(card, "Points must be a number from 0 to " + card.getAttribute("data-max") + ".", "error");
      return;
    }
    var draft = points.value === "";
    say(card, "Saving...");
    fetch("/api/grade", {
      method: "POST",
      keepalive: true,  // a save started as the tab closes still reaches the server
      headers: {"Content-Type": "application/json", "X-Review-Token": token},
      body: JSON.stringify(body(card))
    }).then(function (response) {
      return response.json().then(function (data) { return {ok: response.ok, data: data}; });
    }).then(function (reply) {
      if (reply.ok) { saved(card, reply.data, draft); } else { say(card, "Not saved: " + reply.data.error, "error"); }
    }).catch(function () {
      say(card, "Not saved: the review server does not answer (is grader review still running?)", "error");
    });
  }

  function later(card) {
    clearTimeout(timers.get(card));
    timers.set(card, setTimeout(function () { timers.delete(card); save(card); }, 400));
  }

  function now(card) {
    if (timers.has(card)) { clearTimeout(timers.get(card)); timers.delete(card); save(card); }
  }

  function select(index) {
    if (!cards.length) return;
    current = Math.max(0, Math.min(cards.length - 1, index));
    cards.forEach(function (card, i) { card.classList.toggle("current", i === current); });
    cards[current].scrollIntoView({block: "center"});
    cards[current].focus({preventScroll: true});
  }

  cards.forEach(function (card, index) {
    card.addEventListener("focusin", function () { current = index; });
    card.querySelector(".points").addEventListener("input", function () { later(card); });
    card.querySelector(".comment").addEventListener("input", function () { later(card); });
    card.querySelector(".comment").addEventListener("change", function () { now(card); });
    card.querySelector(".points").addEventListener("change", function () { now(card); });
    card.querySelectorAll(".item").forEach(function (box) {
      box.addEventListener("change", function () {
        var sum = 0;
        card.querySelectorAll(".item:checked").forEach(function (b) { sum += Number(b.getAttribute("data-points")); });
        card.querySelector(".points").value = String(sum);
        save(card);
      });
    });
    var confirm = card.querySelector(".confirm");
    if (confirm) { confirm.addEventListener("click", function () { save(card); }); }
  });

  // leaving the page (reload, close, another question) saves what is still waiting
  window.addEventListener("pagehide", function () { cards.forEach(now); });

  document.addEventListener("keydown", function (event) {
    var field = event.target.closest && event.target.closest("input, textarea, button");
    if (field) {
      if (event.key === "Escape") { field.blur(); select(current); }
      return;
    }
    if (event.ctrlKey || event.metaKey || event.altKey) return;
    if (event.key === "j") { select(current + 1); event.preventDefault(); }
    else if (event.key === "k") { select(current - 1); event.preventDefault(); }
    else if (/^[0-9]$/.test(event.key) && current >= 0) {
      var card = cards[current];
      var max = Number(card.getAttribute("data-max"));
      card.querySelector(".points").value = String(Math.min(Number(event.key), max));
      save(card);
      event.preventDefault();
    } else if (event.key === "c" && current >= 0) {
      cards[current].querySelector(".comment").focus();
      event.preventDefault();
    }
  });
})();
