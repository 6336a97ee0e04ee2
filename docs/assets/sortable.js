// Sorts a table by the column whose header is clicked (again: the other way). Numbers sort as
// numbers ("30,000", "0.814"; "0.721 ± 0.076" by its mean), "-" (no score) last either way, the rest as text.
(function () {
  function key(cell) {
    var text = cell.textContent.trim();
    var number = parseFloat(text.replace(/,/g, ""));
    return text === "-" ? null : (isNaN(number) || !/^[-+]?[\d,.]+/.test(text) ? text.toLowerCase() : number);
  }
  function compare(a, b, direction) {
    if (a === b) return 0;
    if (a === null) return 1;
    if (b === null) return -1;
    if (typeof a !== typeof b) return (typeof a === "number" ? -1 : 1) * direction;
    return (a < b ? -1 : 1) * direction;
  }
  function sortable(table) {
    var headers = table.querySelectorAll("thead th");
    headers.forEach(function (th, column) {
      th.style.cursor = "pointer";
      th.title = "sort by this column";
      th.addEventListener("click", function () {
        var direction = th.getAttribute("aria-sort") === "ascending" ? -1 : 1;
        headers.forEach(function (other) { other.removeAttribute("aria-sort"); });
        th.setAttribute("aria-sort", direction === 1 ? "ascending" : "descending");
        var body = table.tBodies[0];
        var rows = Array.prototype.slice.call(body.rows);
        rows.sort(function (a, b) { return compare(key(a.cells[column]), key(b.cells[column]), direction); });
        rows.forEach(function (row) { body.appendChild(row); });
      });
    });
  }
  function init() { document.querySelectorAll(".zoo-sortable table").forEach(sortable); }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", init);
  else init();
})();
