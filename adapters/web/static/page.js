// The page's only script: filters for the findings, and a busy button while a file uploads.
// Everything works without it; it only adds what helps.
(function () {
  "use strict";

  function filters() {
    var form = document.getElementById("filters");
    if (!form) { return; }
    form.hidden = false;
    var rule = document.getElementById("filter-rule");
    var severity = document.getElementById("filter-severity");
    var status = document.getElementById("filter-status");
    var rows = Array.prototype.slice.call(document.querySelectorAll("#findings tr[data-rule]"));
    var groups = Array.prototype.slice.call(document.querySelectorAll("#findings [data-group]"));

    function apply() {
      var shown = 0;
      rows.forEach(function (row) {
        var keep = (!rule.value || row.getAttribute("data-rule") === rule.value) &&
          (!severity.value || row.getAttribute("data-severity") === severity.value);
        row.hidden = !keep;
        if (keep) { shown += 1; }
      });
      groups.forEach(function (group) {
        group.hidden = !group.querySelector("tr[data-rule]:not([hidden])");
      });
      status.textContent = "Showing " + shown.toLocaleString("en-GB") + " of " +
        rows.length.toLocaleString("en-GB") + " findings.";
    }

    rule.addEventListener("change", apply);
    severity.addEventListener("change", apply);
    form.addEventListener("submit", function (event) { event.preventDefault(); apply(); });
    apply();
  }

  function busyButton() {
    var button = document.querySelector("[data-module=check-button]");
    if (!button) { return; }
    var label = button.textContent;
    button.form.addEventListener("submit", function () {
      // Let the form go, then say what is happening (a second click would start a second check).
      window.setTimeout(function () {
        button.disabled = true;
        button.textContent = "Sending the file…";
      }, 0);
    });
    // Back from the results (the browser may keep this page as it was): the button works again.
    window.addEventListener("pageshow", function () {
      button.disabled = false;
      button.textContent = label;
    });
  }

  function focusErrors() {
    var summary = document.querySelector("[data-module=error-summary]");
    if (summary) { summary.focus(); }
  }

  document.addEventListener("DOMContentLoaded", function () {
    filters();
    busyButton();
    focusErrors();
  });
})();
