// The sandbox webmail: write to an official mailbox as a citizen, and read what arrives at your own address
// (receipts and answers the product sends by SMTP), refreshed every two seconds.
(function () {
  "use strict";
  var form = document.querySelector("[data-mail]");
  var list = document.querySelector("[data-inbox]");
  if (!form || !list) return;
  var base = form.getAttribute("data-base");
  var sender = form.querySelector("[name=sender]");
  var kept = window.localStorage.getItem("sandbox-mail-address");
  if (kept) sender.value = kept;

  function show(mails) {
    list.textContent = "";
    mails.forEach(function (mail) {
      var item = document.createElement("li");
      item.className = "mail";
      var head = document.createElement("p");
      head.className = "mail-head";
      head.textContent = mail.from + " · " + mail.date;
      var subject = document.createElement("p");
      subject.className = "mail-subject";
      subject.textContent = mail.subject;
      var body = document.createElement("p");
      body.className = "mail-body";
      body.textContent = mail.text;
      item.appendChild(head);
      item.appendChild(subject);
      item.appendChild(body);
      list.appendChild(item);
    });
  }

  function refresh() {
    fetch(base + "/inbox?user=" + encodeURIComponent(sender.value))
      .then(function (r) { return r.json(); })
      .then(function (data) { show(data.mails); })
      .catch(function () {});
  }

  sender.addEventListener("change", function () {
    window.localStorage.setItem("sandbox-mail-address", sender.value);
    refresh();
  });

  form.addEventListener("submit", function (event) {
    event.preventDefault();
    window.localStorage.setItem("sandbox-mail-address", sender.value);
    var body = {};
    Array.prototype.forEach.call(form.elements, function (field) {
      if (field.name) body[field.name] = field.value;
    });
    fetch(base + "/send", {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify(body),
    })
      .then(function (r) {
        if (r.ok) {
          form.querySelector("[name=subject]").value = "";
          form.querySelector("textarea").value = "";
        }
        refresh();
      })
      .catch(function () {});
  });


  refresh();
  window.setInterval(refresh, 2000);
})();
