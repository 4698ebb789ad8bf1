/* Sort and filter the alert table. No data is read from outside the page. */
(function () {
  "use strict";
  var table = document.getElementById("alerts-table");
  if (!table) return;
  var body = table.tBodies[0];
  var rows = Array.prototype.slice.call(body.rows);
  var controls = document.getElementById("alert-controls");
  var text = document.getElementById("f-text");
  var typ = document.getElementById("f-typ");
  var country = document.getElementById("f-country");
  var count = document.getElementById("f-count");
  var haystack = rows.map(function (r) { return r.textContent.toLowerCase(); });
  controls.hidden = false;

  function filter() {
    var q = text.value.trim().toLowerCase(), t = typ.value, c = country.value, shown = 0;
    for (var i = 0; i < rows.length; i++) {
      var r = rows[i];
      var ok = (!q || haystack[i].indexOf(q) !== -1) &&
               (!t || r.getAttribute("data-typ") === t) &&
               (!c || r.getAttribute("data-country") === c);
      r.hidden = !ok;
      if (ok) shown++;
    }
    count.textContent = "Showing " + shown + " of " + rows.length;
  }
  [text, typ, country].forEach(function (el) { el.addEventListener("input", filter); el.addEventListener("change", filter); });

  var heads = table.tHead.rows[0].cells;
  Array.prototype.forEach.call(heads, function (th, col) {
    var btn = th.querySelector("button.sort");
    if (!btn) return;
    btn.addEventListener("click", function () {
      var numeric = th.getAttribute("data-type") === "num";
      var dir = th.getAttribute("aria-sort") === "ascending" ? "descending" : "ascending";
      Array.prototype.forEach.call(heads, function (h) { h.removeAttribute("aria-sort"); });
      th.setAttribute("aria-sort", dir);
      var sign = dir === "ascending" ? 1 : -1;
      var keyed = rows.map(function (r, i) {
        var cell = r.cells[col];
        var k = numeric ? parseFloat(cell.getAttribute("data-v")) : cell.textContent.trim().toLowerCase();
        return { r: r, k: k, i: i };
      });
      keyed.sort(function (a, b) {
        if (a.k < b.k) return -sign;
        if (a.k > b.k) return sign;
        return a.i - b.i;
      });
      var frag = document.createDocumentFragment();
      keyed.forEach(function (x) { frag.appendChild(x.r); });
      body.appendChild(frag);
    });
  });
  filter();
})();
