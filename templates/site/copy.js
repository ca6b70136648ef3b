// Progressive enhancement for the drafts: a "Copy" button beside each subject and text to copy.
// Without JavaScript (or without clipboard access) the boxes stay selectable, as before.
(function () {
  "use strict";
  if (!navigator.clipboard || !window.isSecureContext) {
    return;
  }
  document.querySelectorAll("[data-copy]").forEach(function (box) {
    var button = document.createElement("button");
    button.type = "button";
    button.className = "button button--secondary copy-button";
    button.textContent = "Copy the " + box.getAttribute("data-copy");
    var context = document.createElement("span");
    context.className = "visually-hidden";
    context.textContent = " (" + box.getAttribute("data-copy-for") + ")";
    button.appendChild(context);
    var status = document.createElement("span");
    status.className = "copy-status";
    status.setAttribute("role", "status");
    button.addEventListener("click", function () {
      navigator.clipboard.writeText(box.value).then(
        function () { status.textContent = "Copied."; },
        function () { box.select(); status.textContent = "Press Ctrl+C (or ⌘C) to copy the selected text."; }
      );
    });
    box.insertAdjacentElement("afterend", status);
    box.insertAdjacentElement("afterend", button);
  });
})();
