/// The app's one script, served as /assets/abi.js (no inline script: the Content-Security-Policy
/// forbids it). It makes the capture pages live and is never needed elsewhere: every page works
/// without it. Values are put into the page as text (textContent), never as markup; the only
/// markup it inserts is the body diagram the server rendered and escaped.
enum Script {
    static let text = #"""
    "use strict";
    (function () {
      // The live device list of the capture and resume forms.
      var deviceBox = document.querySelector("[data-live-devices]");
      if (deviceBox && window.EventSource) {
        var devices = new EventSource("/devices/events");
        devices.addEventListener("devices", function (event) {
          var select = deviceBox.querySelector("select");
          var chosen = select.value;
          var list = JSON.parse(event.data);
          while (select.options.length > 1) select.remove(1);
          list.forEach(function (d) {
            var label = d.port + (d.product ? " · " + d.product : "") +
              (d.profile ? " · " + d.profile + " (" + d.boundBy + ")" : " · no profile (an admin binds it)") +
              (d.present ? "" : " · not plugged in");
            var option = new Option(label, d.port, false, d.port === chosen);
            select.add(option);
          });
        });
      }

      var root = document.querySelector("[data-capture]");
      if (!root || !window.EventSource) return;
      var exam = root.getAttribute("data-capture");
      var byId = function (id) { return document.getElementById(id); };
      var state = null;
      var typedAt = null;
      window.abiCuffLatencies = [];

      function send(fields) {
        var body = new URLSearchParams();
        var token = document.querySelector("input[name=csrf]").value;
        body.append("csrf", token);
        Object.keys(fields).forEach(function (k) { body.append(k, fields[k]); });
        return fetch("/captures/" + exam + "/command", { method: "POST", body: body, redirect: "manual", credentials: "same-origin" });
      }

      // Every command form is sent without leaving the page.
      document.querySelectorAll("form[action$='/command']").forEach(function (form) {
        form.addEventListener("submit", function (event) {
          event.preventDefault();
          var fields = {};
          new FormData(form).forEach(function (value, key) { if (key !== "csrf") fields[key] = value; });
          if (form.id === "typed") {
            fields.typedAt = typedAt || (state && state.site) || "";
            typedAt = null;
          } else if (fields.command === "x") {
            fields.typedAt = (state && state.site) || "";
          }
          form.querySelectorAll("input[name=text]").forEach(function (input) { input.value = ""; });
          send(fields);
        });
      });
      // A value goes to the site shown when typing began (never to the next one).
      byId("text").addEventListener("input", function () {
        if (typedAt === null) typedAt = state ? (state.site || "") : byId("typedAt").value;
        if (byId("text").value === "") typedAt = null;
      });
      // Space marks (a USB foot pedal that types Space too), unless the focus is in a field.
      document.addEventListener("keydown", function (event) {
        if (event.key !== " " && event.code !== "Space") return;
        var tag = (document.activeElement && document.activeElement.tagName) || "";
        if (tag === "INPUT" || tag === "TEXTAREA" || tag === "SELECT" || tag === "BUTTON") return;
        if (!state || state.automaticCuff || !state.device) return;
        event.preventDefault();
        send({ command: "mark", typedAt: state.site || "" });
      });

      function text(id, value) { var el = byId(id); if (el && el.textContent !== value) el.textContent = value; }
      function show(id, visible) { var el = byId(id); if (el) el.hidden = !visible; }
      function rows(id, items, cells, current) {
        var body = byId(id);
        while (body.firstChild) body.removeChild(body.firstChild);
        items.forEach(function (item) {
          var tr = document.createElement("tr");
          if (current && current(item)) tr.className = "current";
          cells(item).forEach(function (value) {
            var td = document.createElement("td");
            td.textContent = value;
            tr.appendChild(td);
          });
          body.appendChild(tr);
        });
      }

      var events = new EventSource("/captures/" + exam + "/events");
      events.addEventListener("diagram", function (event) {
        byId("diagram").innerHTML = JSON.parse(event.data);
        if (state) ring(state.site);
      });
      function ring(site) {
        document.querySelectorAll(".site-mark").forEach(function (mark) {
          mark.classList.toggle("current", mark.id === "mark-" + site);
        });
      }
      events.addEventListener("state", function (event) {
        var s = JSON.parse(event.data);
        var cuffText = s.cuff === null || s.cuff === undefined ? "—" : String(s.cuff);
        var before = byId("cuff").textContent;
        text("cuff", cuffText);
        if (s.cuffReceivedAt && cuffText !== before && cuffText !== "—") {
          window.abiCuffLatencies.push(Date.now() - s.cuffReceivedAt);
        }
        text("deflation", s.deflation ? "falling " + s.deflation + " mmHg/s" : "");
        show("too-fast", s.tooFast);
        byId("curve-line").setAttribute("points", s.curve.map(function (p) { return p[0] + "," + (300 - p[1]); }).join(" "));
        text("prompt", s.prompt || "");
        var banner = byId("banner");
        banner.hidden = !s.banner;
        text("banner", s.banner || "");
        banner.className = "device-banner " + (s.connection || "none");
        show("mark", !!s.device && !s.automaticCuff);
        show("auto", s.automaticCuff);
        show("stop", s.automaticCuff);
        show("keep", s.keys.indexOf("k keep") >= 0);
        show("next", s.keys.indexOf("next move on") >= 0);
        show("save", s.phase === "review");
        text("text-label", s.question ? "Your answer" : "Type a value (132, 132/80 p72, n 250, x reason, e code)");
        if (typedAt === null) byId("typedAt").value = s.site || "";
        ring(s.site);
        rows("sites", s.sites, function (x) { return [x.words + " (" + x.code + ")", x.value || "—", x.time || ""]; },
             function (x) { return x.code === s.site; });
        rows("readings", s.readings, function (x) { return [x.time || "", x.words, x.value || ""]; });
        var list = byId("messages");
        while (list.firstChild) list.removeChild(list.firstChild);
        s.messages.slice().reverse().forEach(function (m) {
          var li = document.createElement("li");
          li.className = m.kind;
          var time = document.createElement("span");
          time.className = "time";
          time.textContent = m.at;
          li.appendChild(time);
          li.appendChild(document.createTextNode(" " + m.text));
          list.appendChild(li);
        });
        if (s.ended) {
          var ended = byId("ended");
          ended.hidden = false;
          ended.firstChild.textContent = s.ended + " ";
          events.close();
        }
        state = s;
        root.setAttribute("data-version", String((+root.getAttribute("data-version") || 0) + 1));
      });
    })();

    """#
}
