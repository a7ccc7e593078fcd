// LAPOR! - small enhancements only; every page works without this script.
"use strict";
(function () {
  // Character counters: <textarea data-counter="id-of-output" maxlength=...>.
  document.querySelectorAll("textarea[data-counter]").forEach(function (area) {
    var out = document.getElementById(area.getAttribute("data-counter"));
    if (!out) return;
    var max = area.getAttribute("maxlength");
    var update = function () {
      out.textContent = area.value.length + (max ? " / " + max : "") + " karakter";
    };
    area.addEventListener("input", update);
    update();
  });

  // Copy buttons: <button data-copy="id-of-element" hidden>, shown only where copying works.
  if (navigator.clipboard) {
    document.querySelectorAll("button[data-copy]").forEach(function (button) {
      var source = document.getElementById(button.getAttribute("data-copy"));
      if (!source) return;
      button.hidden = false;
      var label = button.textContent;
      button.addEventListener("click", function () {
        var text = source.value !== undefined ? source.value : source.textContent;
        navigator.clipboard.writeText(text.trim()).then(function () {
          button.textContent = "Tersalin";
          setTimeout(function () { button.textContent = label; }, 2000);
        });
      });
    });
  }

  // The private link /lacak/<id>#akses=<token>: the fragment never reaches the server; post the
  // token in the page's access form (it sets this browser's cookie) and drop it from the address.
  var accessForm = document.getElementById("form-akses");
  if (accessForm && location.hash.indexOf("#akses=") === 0) {
    var token = decodeURIComponent(location.hash.slice(7));
    history.replaceState(null, "", location.pathname + location.search);
    accessForm.querySelector("textarea[name=akses]").value = token;
    accessForm.submit();
  }

  // Choosing a province or a kabupaten/kota loads the next list at once (the "Pilih" button).
  document.querySelectorAll("select[data-choose]").forEach(function (select) {
    var button = document.getElementById(select.getAttribute("data-choose"));
    if (!button || !select.form) return;
    select.addEventListener("change", function () {
      if (select.form.requestSubmit) select.form.requestSubmit(button); else button.click();
    });
  });

  // The institution the router would choose, shown while the report is written.
  var form = document.getElementById("lapor-form");
  var box = document.getElementById("saran");
  if (form && box && window.fetch && window.URLSearchParams) {
    var timer = null;
    var last = "";
    var ask = function () {
      var data = new URLSearchParams(new FormData(form));
      data.delete("pilih");
      var body = data.toString();
      if (body === last) return;
      last = body;
      fetch(box.getAttribute("data-url"), {
        method: "POST",
        headers: { "Content-Type": "application/x-www-form-urlencoded" },
        body: body,
        credentials: "same-origin"
      }).then(function (r) {
        return r.ok ? r.json() : null;
      }).then(function (s) {
        if (!s) { box.hidden = true; return; }
        box.textContent = s.agency_name
          ? "Perkiraan instansi tujuan: " + s.agency_name + ". Verifikator memastikannya setelah laporan terkirim."
          : "Laporan ini akan diperiksa verifikator LAPOR! untuk menentukan instansi tujuannya.";
        // Reports at the same place that likely say the same thing: the citizen may follow one.
        if (s.similar && s.similar.length) {
          var p = document.createElement("p");
          p.textContent = "Mungkin masalah yang sama sudah dilaporkan:";
          var list = document.createElement("ul");
          s.similar.forEach(function (d) {
            var item = document.createElement("li");
            var link = document.createElement("a");
            link.href = d.url;
            link.textContent = d.title;
            item.appendChild(link);
            item.appendChild(document.createTextNode(" (" + d.status_label + ")"));
            list.appendChild(item);
          });
          box.appendChild(p);
          box.appendChild(list);
        }
        box.hidden = false;
      }).catch(function () { box.hidden = true; });
    };
    form.addEventListener("input", function () {
      clearTimeout(timer);
      timer = setTimeout(ask, 800);
    });
  }
})();
