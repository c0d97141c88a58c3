/* The page /report/own-images/: a person picks pictures or videos, this script works out their hashes on the
   device (hashing.js) and puts only the hashes into the form's hidden field; the form is then sent as an
   ordinary POST (no fetch, no upload). The file input is outside the form and has no name, so the browser
   has no way to send the files themselves. Without JavaScript the picker stays hidden and a <noscript> note
   points to the ordinary report form. Texts come from the page (data-msg-*), translated on the server. */

import { hashFiles, missingFeatures } from "./hashing.js";

const root = document.getElementById("own-images");
const input = document.getElementById("own-files");
const status = document.getElementById("own-files-status");
const list = document.getElementById("own-file-list");
const form = document.getElementById("own-form");
const field = document.getElementById("own-hashes");
const maxFiles = Number(root.dataset.maxFiles) || 20;
let busy = false;
let tooMany = false;

const text = (name, values = {}) =>
  (root.dataset[name] || "").replace(/\{(\w+)\}/g, (whole, key) => (key in values ? String(values[key]) : whole));

function say(message, { problem = false } = {}) {
  status.textContent = message;
  status.classList.toggle("error", problem);
  if (problem) input.setAttribute("aria-invalid", "true");
  else input.removeAttribute("aria-invalid");
}

function showFiles(files, results) {
  list.replaceChildren(
    ...files.map((file, i) => {
      const item = document.createElement("li");
      const result = results[i];
      // The name is shown only here, on the device; it is never sent.
      item.textContent = `${file.name}: ${result && !result.error ? text("msgCodes") : text("msgUnreadable")}`;
      return item;
    }),
  );
}

/** What the server receives for each readable file: its hashes, nothing about the file itself. */
function payload(results) {
  return results
    .filter((r) => !r.error && r.sha256 && r.md5)
    .map((r) => (r.pdq ? { sha256: r.sha256, md5: r.md5, pdq: r.pdq.hash, quality: r.pdq.quality } : { sha256: r.sha256, md5: r.md5 }));
}

async function onPick() {
  field.value = "";
  list.replaceChildren();
  const files = Array.from(input.files || []);
  if (!files.length) return say("");
  tooMany = files.length > maxFiles;
  if (tooMany) return say(text("msgTooMany"), { problem: true });
  busy = true;
  say(text("msgWorking", { done: 0, count: files.length }));
  try {
    const results = await hashFiles(files, {
      onProgress: ({ index, count, stage }) => {
        if (stage === "done") say(text("msgWorking", { done: index + 1, count }));
      },
    });
    const hashes = payload(results);
    field.value = hashes.length ? JSON.stringify(hashes) : "";
    showFiles(files, results);
    say(hashes.length ? text("msgReady") : text("msgNone"), { problem: !hashes.length });
  } finally {
    busy = false;
  }
}

if (missingFeatures().length) {
  const note = document.createElement("p");
  const link = document.createElement("a");
  note.textContent = `${text("msgUnsupported")} `;
  link.href = "/report/";
  link.textContent = text("msgForm");
  note.append(link);
  root.replaceWith(note);
} else {
  field.value = ""; // never a value a back button restored: the hashes are of the files picked now
  root.hidden = false;
  input.addEventListener("change", onPick);
  form.addEventListener("submit", (event) => {
    if (busy || !field.value) {
      event.preventDefault();
      say(text(busy ? "msgBusy" : tooMany ? "msgTooMany" : "msgNone"), { problem: true });
      input.focus();
    }
  });
  document.getElementById("own-errors")?.focus();
}
