// The live inbox (/staff/inbox): polling for new and changed rows, one-action confirm and correct, bulk
// actions, keyboard shortcuts. Every form also works without this file (post, flash, back to the list);
// here the same forms are posted with Accept: application/json and the server sends the re-rendered rows.
(function () {
  "use strict";

  var list = document.getElementById("inbox-list");
  if (!list) return;
  var bulkForm = document.getElementById("bulk-form");
  var bulkAction = document.getElementById("bulk-action");
  var correctForm = document.getElementById("correct-form");
  var live = document.getElementById("inbox-live");
  var feedback = document.getElementById("inbox-feedback");
  var help = document.getElementById("inbox-help");
  var empty = document.getElementById("inbox-empty");
  var waiting = document.getElementById("inbox-waiting");
  var countLabel = document.getElementById("bulk-count");
  var csrf = (document.querySelector("input[name=csrf_token]") || {}).value || "";
  var latestId = parseInt(list.dataset.latestId || "0", 10);
  var polledAt = list.dataset.polledAt || "";
  var pollMs = Math.max(1, parseInt(list.dataset.pollSeconds || "5", 10)) * 1000;
  var current = -1;

  function rows() {
    return Array.prototype.slice.call(list.querySelectorAll(".inbox-row"));
  }

  function fill(template, count) {
    return (template || "").replace("{count}", String(count));
  }

  function say(message, isError) {
    feedback.textContent = message;
    feedback.hidden = !message;
    feedback.classList.toggle("flash-error", !!isError);
    feedback.classList.toggle("flash-success", !isError);
  }

  function announce(message) {
    // Re-setting the text makes screen readers read the same sentence again.
    live.textContent = "";
    window.setTimeout(function () { live.textContent = message; }, 50);
  }

  function checked() {
    return rows().filter(function (row) { return row.querySelector(".inbox-check").checked; });
  }

  function updateCount() {
    countLabel.textContent = fill(countLabel.dataset.template, checked().length);
  }

  function setCurrent(index, focus) {
    var all = rows();
    if (!all.length) return;
    current = Math.max(0, Math.min(index, all.length - 1));
    all.forEach(function (row, i) { row.classList.toggle("is-current", i === current); });
    if (focus !== false) all[current].focus();
  }

  function currentRow() {
    var all = rows();
    return current >= 0 && current < all.length ? all[current] : null;
  }

  function fromHtml(html) {
    var holder = document.createElement("template");
    holder.innerHTML = html.trim();
    return holder.content.firstElementChild;
  }

  // Swap a row for its new rendering, keeping the keyboard cursor (and the selection, for a polled change;
  // a row an action just handled comes back unselected).
  function replaceRow(item, keepSelection) {
    var old = document.getElementById("case-" + item.id);
    if (!old) return false;
    if (old.dataset.version === item.version) return false;
    var row = fromHtml(item.html);
    var wasChecked = old.querySelector(".inbox-check").checked;
    var wasCurrent = old.classList.contains("is-current");
    var hadFocus = old.contains(document.activeElement);
    old.replaceWith(row);
    row.querySelector(".inbox-check").checked = keepSelection !== false && wasChecked;
    if (wasCurrent) row.classList.add("is-current");
    if (hadFocus) row.focus();
    return true;
  }

  function insertNew(items) {
    var added = 0;
    // The server sends newest first; inserting oldest first at the top keeps that order.
    items.slice().reverse().forEach(function (item) {
      if (document.getElementById("case-" + item.id)) return;
      var row = fromHtml(item.html);
      row.classList.add("is-new");
      list.insertBefore(row, list.firstElementChild);
      added += 1;
      if (current >= 0) current += 1; // the cursor stays on the same case
    });
    if (added) {
      empty.hidden = true;
      announce(fill(list.dataset.msgNew, added));
    }
    return added;
  }

  // The server counts the waiting cases only up to a limit: its label reads "1,000+" beyond it.
  function setWaiting(count, label) {
    if (typeof count === "number" && waiting) waiting.textContent = fill(waiting.dataset.template, label || count);
  }

  function post(url, body) {
    return fetch(url, {
      method: "POST",
      credentials: "same-origin",
      headers: {
        "Accept": "application/json",
        "Content-Type": "application/x-www-form-urlencoded",
        "X-CSRF-Token": csrf
      },
      body: body
    }).then(function (response) {
      var type = response.headers.get("content-type") || "";
      if (type.indexOf("application/json") === -1) throw new Error(String(response.status));
      return response.json();
    });
  }

  function handleResult(data) {
    if (data.rows) data.rows.forEach(function (item) { replaceRow(item, false); });
    setWaiting(data.waiting, data.waiting_label);
    if (data.ok === false && !data.results) {
      say(data.detail || list.dataset.msgFailed, true);
      return;
    }
    var problems = (data.results || []).filter(function (r) { return !r.ok; });
    var lines = [data.message].concat(problems.map(function (r) { return r.number + ": " + r.error; }));
    say(lines.join(" · "), problems.length > 0);
    updateCount();
  }

  function failed() {
    say(list.dataset.msgFailed, true);
  }

  function submitBulk() {
    if (!checked().length) {
      say(list.dataset.msgNone, true);
      return;
    }
    post(bulkForm.getAttribute("action"), new URLSearchParams(new FormData(bulkForm))).then(function (data) {
      handleResult(data);
      // Back to the list, so j/k and the next shortcut carry on from the same row.
      var row = currentRow();
      if (row && bulkForm.contains(document.activeElement)) row.focus();
    }, failed);
  }

  // ------------------------------------------------------------------ forms

  bulkForm.addEventListener("submit", function (event) {
    event.preventDefault();
    submitBulk();
  });

  // In a select, Enter applies the bulk action (r, s, h leave the cursor in the bulk form).
  bulkForm.addEventListener("keydown", function (event) {
    if (event.key === "Enter" && event.target.tagName === "SELECT") {
      event.preventDefault();
      submitBulk();
    }
  });

  function showParams() {
    var action = bulkAction.value;
    bulkForm.querySelectorAll(".bulk-param").forEach(function (field) {
      field.hidden = field.dataset.for !== action;
    });
  }
  bulkAction.addEventListener("change", showParams);
  showParams();

  list.addEventListener("change", function (event) {
    if (event.target.classList.contains("inbox-check")) updateCount();
  });

  list.addEventListener("submit", function (event) {
    var form = event.target;
    if (!form.classList.contains("js-row-action")) return;
    event.preventDefault();
    var row = form.closest(".inbox-row");
    if (row) setCurrent(rows().indexOf(row), false);
    post(form.getAttribute("action"), new URLSearchParams(new FormData(form))).then(handleResult, failed);
  });

  // The correction form starts from the automatic suggestion: the operator changes only what is wrong.
  function openCorrect(link) {
    correctForm.hidden = false;
    document.getElementById("correct-number").value = link.dataset.number;
    document.getElementById("correct-relevant").value = link.dataset.relevant || "true";
    document.getElementById("correct-type").value = link.dataset.type || "other";
    document.getElementById("correct-category").value = link.dataset.category || "";
    document.getElementById("correct-department").value = link.dataset.department || "";
    document.getElementById("correct-relevant").focus();
  }

  list.addEventListener("click", function (event) {
    var link = event.target.closest(".js-correct");
    if (!link) return;
    event.preventDefault();
    var row = link.closest(".inbox-row");
    if (row) setCurrent(rows().indexOf(row), false);
    openCorrect(link);
  });

  correctForm.querySelector(".js-correct-cancel").addEventListener("click", function () {
    correctForm.hidden = true;
    var row = currentRow();
    if (row) row.focus();
  });

  correctForm.addEventListener("submit", function (event) {
    event.preventDefault();
    post(correctForm.getAttribute("action"), new URLSearchParams(new FormData(correctForm))).then(function (data) {
      handleResult(data);
      if (data.ok) {
        correctForm.hidden = true;
        var row = currentRow();
        if (row) row.focus();
      }
    }, failed);
  });

  // ------------------------------------------------------------------ live updates

  function poll() {
    if (document.hidden) return;
    var params = new URLSearchParams(list.dataset.filterQuery || "");
    params.set("since", String(latestId));
    params.set("after", polledAt);
    params.set("ids", rows().map(function (row) { return row.dataset.id; }).join(","));
    fetch("/staff/inbox/updates?" + params.toString(), {
      credentials: "same-origin",
      headers: { "Accept": "application/json" }
    }).then(function (response) {
      if (!response.ok) throw new Error(String(response.status));
      return response.json();
    }).then(function (data) {
      latestId = Math.max(latestId, data.latest_id || 0);
      polledAt = data.now || polledAt;
      (data.changed || []).forEach(function (item) { replaceRow(item, true); });
      insertNew(data["new"] || []);
      setWaiting(data.waiting, data.waiting_label);
    }, function () { /* the next poll tries again */ });
  }

  if (list.dataset.live === "true") window.setInterval(poll, pollMs);

  // ------------------------------------------------------------------ keyboard

  function typing(target) {
    var tag = target.tagName;
    return tag === "INPUT" || tag === "TEXTAREA" || tag === "SELECT" || target.isContentEditable;
  }

  // With nothing selected, an action applies to the row under the cursor.
  function ensureSelection() {
    if (checked().length) return true;
    var row = currentRow();
    if (!row) {
      say(list.dataset.msgNone, true);
      return false;
    }
    row.querySelector(".inbox-check").checked = true;
    updateCount();
    return true;
  }

  function prepare(action, focusId) {
    if (!ensureSelection()) return;
    bulkAction.value = action;
    showParams();
    document.getElementById(focusId).focus();
  }

  document.addEventListener("keydown", function (event) {
    if (event.ctrlKey || event.metaKey || event.altKey) return;
    if (event.key === "Escape") {
      if (typing(event.target)) event.target.blur();
      if (help.open) help.open = false;
      var row = currentRow();
      if (row) row.focus();
      return;
    }
    if (typing(event.target)) return;
    var handled = true;
    switch (event.key) {
      case "j": setCurrent(current + 1); break;
      case "k": setCurrent(current < 0 ? 0 : current - 1); break;
      case "x": {
        var row = currentRow();
        if (row) {
          var box = row.querySelector(".inbox-check");
          box.checked = !box.checked;
          updateCount();
        }
        break;
      }
      case "c": {
        if (checked().length) {
          bulkAction.value = "confirm";
          showParams();
          submitBulk();
        } else {
          var form = currentRow() && currentRow().querySelector(".js-row-action");
          if (form) form.requestSubmit(); else say(list.dataset.msgNone, true);
        }
        break;
      }
      case "r": prepare("route", "bulk-department"); break;
      case "s": prepare("opinion", "bulk-submit"); break;
      case "h": prepare("hide", "bulk-hide-reason"); break;
      case "o": {
        var open = currentRow() && currentRow().querySelector(".inbox-open");
        if (open) window.location.href = open.href;
        break;
      }
      case "/": document.getElementById("inbox-q").focus(); break;
      case "?": {
        help.open = !help.open;
        if (help.open) help.querySelector("summary").focus();
        break;
      }
      default: handled = false;
    }
    if (handled) event.preventDefault();
  });

  updateCount();
})();
