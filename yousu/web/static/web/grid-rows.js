/* The daily report's "add a problem" button: a copy of the row template with the next index. Without
   the script the form still has a fixed number of empty rows. */
(function () {
  "use strict";
  var button = document.getElementById("add-row");
  var template = document.getElementById("row-template");
  var rows = document.getElementById("problem-rows");
  var count = document.getElementById("id_rows");
  if (!button || !template || !rows || !count) return;
  button.hidden = false;
  button.addEventListener("click", function () {
    var index = Number(count.value);
    if (index >= Number(button.dataset.max)) return;
    var html = template.innerHTML.replace(/__i__/g, String(index)).replace(/__n__/g, String(index + 1));
    rows.insertAdjacentHTML("beforeend", html);
    count.value = String(index + 1);
    var first = rows.lastElementChild.querySelector("textarea, input");
    if (first) first.focus();
  });
})();
