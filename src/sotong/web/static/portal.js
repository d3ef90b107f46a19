// The public list grows by itself: every POLL_MS the first page asks /portal/latest.json for cases newer than
// the top one (same filters) and puts them on top, announcing how many through the aria-live status line.
// Without JavaScript the page is a plain list that a reload refreshes.
(function () {
  "use strict";
  var POLL_MS = 20000;
  var MAX_ITEMS = 100;

  function el(tag, className, text) {
    var node = document.createElement(tag);
    if (className) node.className = className;
    if (text) node.textContent = text; // text only, never HTML: the data is citizens' words
    return node;
  }

  function item(c, badge) {
    var li = el("li", "pcase pcase-new");
    var article = el("article");
    var h = el("h3", "pcase-title");
    var a = el("a", null, c.number);
    a.href = c.url;
    h.appendChild(a);
    h.appendChild(document.createTextNode(" "));
    h.appendChild(el("span", "badge-new", badge));
    var meta = el("p", "pcase-meta");
    meta.appendChild(el("span", "pstatus pstatus-" + c.status, c.status_label));
    meta.appendChild(el("span", null, c.department ? c.org + " · " + c.department : c.org));
    meta.appendChild(el("span", null, c.channel));
    var time = el("time", null, c.received_label);
    time.setAttribute("datetime", c.received_at);
    meta.appendChild(time);
    article.appendChild(h);
    article.appendChild(meta);
    article.appendChild(el("p", "pcase-text", c.text));
    li.appendChild(article);
    return li;
  }

  function start(list) {
    var url = list.getAttribute("data-live");
    var status = document.getElementById("live-status");
    var badge = list.getAttribute("data-label-new") || "";
    var busy = false;

    function poll() {
      if (busy || document.hidden) return;
      var since = list.getAttribute("data-since");
      if (!since) return;
      busy = true;
      var full = url + (url.indexOf("?") < 0 ? "?" : "&") + "since=" + encodeURIComponent(since);
      fetch(full, { headers: { Accept: "application/json" }, credentials: "same-origin" })
        .then(function (response) { return response.ok ? response.json() : null; })
        .then(function (data) {
          if (!data || !data.items || !data.items.length) return;
          for (var i = data.items.length - 1; i >= 0; i--) {
            list.insertBefore(item(data.items[i], badge), list.firstChild);
          }
          while (list.children.length > MAX_ITEMS) list.removeChild(list.lastChild);
          list.setAttribute("data-since", data.top);
          if (status) status.textContent = data.announce;
          var empty = document.querySelector(".pcases + .empty");
          if (empty) empty.hidden = true;
        })
        .catch(function () { /* offline for a moment: the next poll tries again */ })
        .then(function () { busy = false; });
    }

    window.setInterval(poll, POLL_MS);
    document.addEventListener("visibilitychange", function () { if (!document.hidden) poll(); });
    // Tests and impatient readers: the list can be asked to look now.
    list.addEventListener("portal:poll", poll);
  }

  document.addEventListener("DOMContentLoaded", function () {
    var list = document.querySelector("[data-live]");
    if (list && window.fetch) start(list);
  });
})();
