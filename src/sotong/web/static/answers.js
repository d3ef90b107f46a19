// The case page's answer form: fill a standard answer, preview it as the citizen will see it, catch unfilled slots.
// The server checks everything again; this only saves the officer a round trip.
(function () {
  "use strict";

  var form = document.querySelector("[data-answers-form]");
  if (!form) return;
  var body = form.querySelector("textarea[name=body]");
  var publicBody = form.querySelector("textarea[name=public_body]");
  var templateId = form.querySelector("[data-answers-template-id]");
  var required = form.querySelector("[data-answers-required]");
  var panel = form.querySelector("[data-answers-panel]");
  var missingBox = form.querySelector("[data-answers-missing]");
  var previewButton = form.querySelector("[data-answers-preview]");
  var texts = document.querySelector("[data-answers-i18n]");
  var csrf = form.querySelector("input[name=csrf_token]").value;
  var picker = document.querySelector("[data-answers-picker]");
  var SLOT = /\[\[([^\[\]\n]{1,60})\]\]/g;

  function format(text, values) {
    return text.replace(/\{(\w+)\}/g, function (whole, key) {
      return Object.prototype.hasOwnProperty.call(values, key) ? String(values[key]) : whole;
    });
  }

  function slotsIn(text) {
    var found = [];
    var match;
    SLOT.lastIndex = 0;
    while ((match = SLOT.exec(text)) !== null) {
      var label = match[1].trim();
      if (found.indexOf(label) < 0) found.push(label);
    }
    return found;
  }

  function showRequired(labels) {
    required.textContent = "";
    if (!labels.length) return;
    required.appendChild(document.createTextNode((required.getAttribute("data-label") || "") + ": "));
    labels.forEach(function (label, index) {
      var code = document.createElement("code");
      code.textContent = "[[" + label + "]]";
      required.appendChild(code);
      if (index < labels.length - 1) required.appendChild(document.createTextNode(", "));
    });
  }

  function showMissing(labels, message) {
    panel.hidden = false;
    if (!labels.length && !message) {
      missingBox.hidden = true;
      missingBox.textContent = "";
      return;
    }
    missingBox.hidden = false;
    missingBox.textContent = message || format(form.getAttribute("data-missing-text"), { names: labels.join(", ") });
  }

  // Put the cursor on the first slot, selected, so the officer types straight over it.
  function selectFirstSlot() {
    SLOT.lastIndex = 0;
    var match = SLOT.exec(body.value);
    body.focus();
    if (match) body.setSelectionRange(match.index, match.index + match[0].length);
  }

  function applyTemplate(id) {
    if (!id) {
      templateId.value = "";
      showRequired([]);
      return;
    }
    var url = picker.getAttribute("data-render-url") + "?template_id=" + encodeURIComponent(id);
    fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (response) {
        if (!response.ok) throw new Error(String(response.status));
        return response.json();
      })
      .then(function (data) {
        body.value = data.body;
        templateId.value = String(data.template_id);
        showRequired(data.slots);
        panel.hidden = true;
        selectFirstSlot();
      })
      .catch(function () {
        showMissing([], texts.getAttribute("data-error"));
      });
  }

  if (picker) {
    var select = picker.querySelector("select");
    picker.querySelector("[data-answers-apply]").hidden = true;
    select.addEventListener("change", function () { applyTemplate(select.value); });
    picker.addEventListener("submit", function (event) {
      event.preventDefault();
      applyTemplate(select.value);
    });
  }

  function lengthText(channel) {
    var units = { weighted: "data-weighted", bytes: "data-bytes", chars: "data-chars" };
    var key = channel.limit === null ? "data-none" : units[channel.unit] || "data-chars";
    return format(texts.getAttribute(key), { length: channel.length, limit: channel.limit });
  }

  function renderPreview(data) {
    var channel = data.channel;
    panel.querySelector("[data-answers-channel]").textContent = data.channel_label;
    var length = panel.querySelector("[data-answers-length]");
    length.textContent = lengthText(channel);
    length.classList.toggle("answers-over", channel.limit !== null && channel.length > channel.limit);
    panel.querySelector("[data-answers-reply]").textContent = channel.text;
    panel.querySelector("[data-answers-shortened]").hidden = !channel.shortened;
    panel.querySelector("[data-answers-unsendable]").hidden = !channel.unsendable;
    panel.querySelector("[data-answers-unsendable-chars]").textContent = channel.unsendable || "";
    panel.querySelector("[data-answers-unchecked]").hidden = channel.checked;
    panel.querySelector("[data-answers-public]").textContent = data.public;
    showMissing(data.missing, data.missing_message);
  }

  previewButton.hidden = false;
  previewButton.addEventListener("click", function () {
    fetch(form.getAttribute("data-preview-url"), {
      method: "POST",
      credentials: "same-origin",
      headers: { "Content-Type": "application/json", Accept: "application/json", "X-CSRF-Token": csrf },
      body: JSON.stringify({ body: body.value, public_body: publicBody.value, template_id: templateId.value })
    })
      .then(function (response) {
        return response.json().then(function (data) { return { ok: response.ok, data: data }; });
      })
      .then(function (result) {
        if (!result.ok) {
          showMissing([], (result.data && result.data.detail) || texts.getAttribute("data-error"));
          return;
        }
        renderPreview(result.data);
        panel.scrollIntoView({ block: "nearest" });
      })
      .catch(function () {
        showMissing([], texts.getAttribute("data-error"));
      });
  });

  form.addEventListener("submit", function (event) {
    var left = slotsIn(body.value);
    if (left.length) {
      event.preventDefault();
      showMissing(left);
      selectFirstSlot();
    }
  });
})();
