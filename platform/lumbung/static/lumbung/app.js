// Small behaviours the templates ask for with data- attributes. No inline script or
// on* handler anywhere: the Content-Security-Policy allows scripts from 'self' only.
//   <select data-autosubmit>                 submit its form on change
//   <select data-navigate="?a=1">            go to the chosen option's value + suffix
//   <form data-navigate-field="acc" data-navigate="?a=1">  same, from a field, on submit
//   <form data-confirm="Yakin?">             ask before submitting
//   <a href="#" data-back> / <a href="#" data-print>
//   <input data-search-box>                  "/" anywhere (not while typing) focuses it
//   <form data-clear-errors>                 a field's error goes away once it is edited
(function () {
  "use strict";
  document.addEventListener("change", function (e) {
    var el = e.target;
    if (el.matches("[data-autosubmit]") && el.form) el.form.submit();
    if (el.matches("select[data-navigate]")) location.href = el.value + (el.dataset.navigate || "");
  });
  function clearErrors(e) {
    var el = e.target;
    if (!el.form || !el.form.hasAttribute("data-clear-errors")) return;
    var box = el.closest("div");
    if (!box) return;
    Array.prototype.forEach.call(box.querySelectorAll(":scope > .errorlist"), function (u) {
      u.remove();
    });
    el.removeAttribute("aria-invalid");
  }
  document.addEventListener("input", clearErrors);
  document.addEventListener("change", clearErrors);
  document.addEventListener("click", function (e) {
    var a = e.target.closest("[data-back], [data-print]");
    if (!a) return;
    e.preventDefault();
    if (a.hasAttribute("data-back")) history.back();
    else window.print();
  });
  document.addEventListener("keydown", function (e) {
    if (e.key !== "/" || e.ctrlKey || e.metaKey || e.altKey) return;
    var t = e.target;
    if (t.isContentEditable || (t.closest && t.closest("input, textarea, select"))) return;
    var box = document.querySelector("[data-search-box]");
    if (!box) return;
    e.preventDefault();
    box.focus();
    box.select();
  });
  document.addEventListener("submit", function (e) {
    var f = e.target;
    if (f.matches("[data-confirm]") && !window.confirm(f.dataset.confirm)) {
      e.preventDefault();
      return;
    }
    if (f.matches("[data-navigate-field]")) {
      e.preventDefault();
      location.href = f.elements[f.dataset.navigateField].value + (f.dataset.navigate || "");
    }
  });
})();
