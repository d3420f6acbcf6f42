// The operator's workbench: keyboard shortcuts and adopting what the intake aids suggest.
// The server decides everything; this only fills fields the operator could also type.
(function () {
  "use strict";
  function $(id) { return document.getElementById(id); }

  function adopt(input, note, value, name) {
    input.value = value;
    if (note) { note.textContent = name ? "✔ " + name : ""; }
    input.dispatchEvent(new Event("change", { bubbles: true }));
  }

  function showAnswer() {
    // An answer on the spot is for inquiries only (the server refuses it otherwise).
    var kind = $("id_kind");
    var box = $("answer-now");
    if (kind && box) { box.hidden = kind.value !== "inquiry"; }
  }

  function chooseEntry(id, answer, question) {
    // Answering from the knowledge base answers an inquiry on the spot: the kind follows, and the
    // answer stays editable (what is said is recorded, with the entry it came from).
    $("id_knowledge_entry").value = id;
    $("entry-chosen-id").textContent = id;
    $("entry-chosen-question").textContent = id && question ? question : "";
    $("entry-chosen").hidden = !id;
    if (id) {
      $("id_kind").value = "inquiry";
      showAnswer();
      $("id_answer").value = answer || "";
      $("id_answer").focus();
    }
  }

  document.addEventListener("DOMContentLoaded", function () {
    var form = $("intake-form");
    if (!form) { return; }
    showAnswer();
    $("id_kind").addEventListener("change", showAnswer);
    if (!form.querySelector(".errorlist")) { $("id_kind").focus(); }

    document.addEventListener("click", function (event) {
      if (event.target.closest("#entry-clear")) { chooseEntry("", null, null); return; }
      var button = event.target.closest(
        "button[data-adopt-item], button[data-adopt-area], button[data-link], button[data-adopt-entry]");
      if (!button) { return; }
      if (button.dataset.adoptEntry) {
        chooseEntry(button.dataset.adoptEntry, button.dataset.answer, button.dataset.question);
      } else if (button.dataset.adoptItem) {
        adopt($("id_item"), $("item-chosen"), button.dataset.adoptItem, button.dataset.name);
      } else if (button.dataset.adoptArea) {
        adopt($("id_area"), $("area-chosen"), button.dataset.adoptArea, button.dataset.name);
      } else {
        $("link-duplicate").hidden = false;
        adopt($("id_duplicate_of"), null, button.dataset.link, "");
        $("id_link_reason").focus();
      }
    });

    document.addEventListener("keydown", function (event) {
      if (event.key === "Enter" && (event.ctrlKey || event.metaKey)) {
        event.preventDefault();
        form.requestSubmit();
        return;
      }
      if (!event.altKey) { return; }
      var selector = null;
      if (/^[1-3]$/.test(event.key)) { selector = 'button[data-adopt-item][data-key="' + event.key + '"]'; }
      else if (event.code === "KeyP") { selector = "button[data-adopt-area]"; }
      else if (event.code === "KeyD") { selector = "button[data-link][data-first]"; }
      else if (event.code === "KeyK") { selector = "button[data-adopt-entry][data-first]"; }
      var button = selector && document.querySelector(selector);
      if (button) { event.preventDefault(); button.click(); }
    });
  });
})();
