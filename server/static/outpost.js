/* The console's only script (the Content-Security-Policy allows no inline code).
   Every form works without it; it adds confirmations and copy buttons. */
"use strict";

document.addEventListener("submit", (event) => {
  const form = event.target;
  if (form instanceof HTMLFormElement && form.dataset.confirm !== undefined) {
    if (!window.confirm(form.dataset.confirm)) event.preventDefault();
  }
});

document.addEventListener("click", (event) => {
  const button = event.target instanceof Element ? event.target.closest("[data-copy]") : null;
  if (!button) return;
  const source = document.getElementById(button.dataset.copy);
  if (!source) return;
  // Without clipboard access the text is selected for the person to copy themselves.
  const selectIt = () => { source.select(); button.textContent = "Press Ctrl+C"; };
  if (navigator.clipboard && window.isSecureContext) {
    navigator.clipboard.writeText(source.value).then(() => { button.textContent = "Copied"; }, selectIt);
  } else {
    selectIt();
  }
});

// Custom-role editor: when the base role changes, show what it includes and offer only the rest.
document.addEventListener("change", (event) => {
  const select = event.target;
  if (!(select instanceof HTMLSelectElement) || select.dataset.roleBase === undefined) return;
  const form = select.form;
  if (!form) return;
  for (const block of form.querySelectorAll("[data-base]")) {
    block.hidden = block.dataset.base !== select.value;
  }
  for (const item of form.querySelectorAll("[data-inherited-in]")) {
    const included = item.dataset.inheritedIn.split(" ").includes(select.value);
    item.hidden = included;
    if (included) item.querySelector("input").checked = false;
  }
});
