// Sort tables marked "sortable" by clicking a heading with data-type "text" or "number".
(function () {
  function key(row, index, type) {
    var value = row.cells[index].getAttribute("data-value") || row.cells[index].textContent;
    return type === "number" ? parseFloat(value) || 0 : value.toLowerCase();
  }
  document.querySelectorAll("table.sortable").forEach(function (table) {
    var headings = table.querySelectorAll("thead th");
    headings.forEach(function (th, index) {
      var type = th.getAttribute("data-type");
      if (!type) return;
      th.tabIndex = 0;
      function sort() {
        var ascending = th.getAttribute("aria-sort") !== "ascending";
        headings.forEach(function (other) { other.removeAttribute("aria-sort"); });
        th.setAttribute("aria-sort", ascending ? "ascending" : "descending");
        var body = table.tBodies[0];
        var rows = Array.prototype.slice.call(body.rows);
        rows.sort(function (a, b) {
          var x = key(a, index, type), y = key(b, index, type);
          return (x < y ? -1 : x > y ? 1 : 0) * (ascending ? 1 : -1);
        });
        rows.forEach(function (row) { body.appendChild(row); });
      }
      th.addEventListener("click", sort);
      th.addEventListener("keydown", function (event) { if (event.key === "Enter") sort(); });
    });
  });
})();
