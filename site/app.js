// Wires the page together: pad and upload in, prediction and this browser's history out.

import * as config from "./config.js";
import { Api, ApiError, plainWords } from "./api.js";
import { refreshTimes, renderHistory } from "./history.js";
import { HistoryStore } from "./history-store.js";
import { DrawingPad } from "./pad.js";
import { clearBoxes, showBoxes, shownImageFrame } from "./boxes.js";
import { clearResult, percent, readConfidence, readText, showResult } from "./result.js";

const LIVE_DELAY_MS = 450; // long enough to start the next stroke of a 4 or a 7
const HISTORY_SIZE = 12; // entries this browser keeps; each is under a kilobyte
// The function's own body limit (config.js is made with it): saying so early saves an upload
// that would fail.
const MAX_UPLOAD_BYTES = Number(config.MAX_UPLOAD_BYTES);
// The function's answer that means it found no writing at all in an image (one refused as not a
// digit says so in its own words).
const NOTHING_FOUND = new Set(["nothing_drawn"]);

const $ = (id) => document.getElementById(id);
const api = new Api(config.FUNCTION_URL);
const localHistory = new HistoryStore(HISTORY_SIZE);

const state = {
  file: null, // an uploaded File waiting to be predicted; null means "predict the drawing"
  previewUrl: null,
  liveTimer: 0,
  inFlight: null, // AbortController of the newest prediction request
  inFlightInput: null, // what that request sends: the File, or the pad's revision
  shownInput: null, // what the result on screen was predicted from
  sequence: 0,
};

const pad = new DrawingPad($("pad"), {
  onStrokeStart() {
    cancelPending();
    clearBoxes($("boxes"));
    if (state.file) dropFile();
    hideError();
  },
  onStrokeEnd() {
    if ($("live").checked) schedulePrediction();
  },
  onChange() {
    updateTools();
    clearBoxes($("boxes")); // they mark the drawing as it was
  },
});

function updateTools() {
  $("undo").disabled = pad.isEmpty();
  $("pad-wrap").classList.toggle("has-ink", !pad.isEmpty());
}

// ---- messages -------------------------------------------------------------------------------

function showError(message) {
  const box = $("error");
  box.textContent = message; // role="alert" announces it
  box.hidden = false;
}

function hideError() {
  $("error").hidden = true;
  $("error").textContent = "";
}

function announce(message) {
  $("status").textContent = message;
}

// ---- predicting -----------------------------------------------------------------------------

function cancelPending() {
  clearTimeout(state.liveTimer);
  state.inFlight?.abort();
  state.inFlight = null;
  setBusy(false);
}

function schedulePrediction() {
  clearTimeout(state.liveTimer);
  state.liveTimer = setTimeout(predict, LIVE_DELAY_MS);
}

function setBusy(busy) {
  $("predict").classList.toggle("is-busy", busy);
  $("result").setAttribute("aria-busy", String(busy));
  $("result-card").classList.toggle("is-busy", busy);
}

async function predict() {
  clearTimeout(state.liveTimer);
  if (pad.isDrawing()) return; // the stroke's end will ask again
  hideError();
  if (!state.file && pad.isEmpty()) {
    clearResult();
    showError(plainWords("nothing_drawn"));
    return;
  }
  // The same drawing or file is never sent twice: each request stores an image.
  const input = state.file ?? pad.revision;
  if (state.inFlight && state.inFlightInput === input) return;
  if (state.shownInput === input && !$("result").hidden) return;
  state.inFlight?.abort();
  const controller = new AbortController();
  state.inFlight = controller;
  state.inFlightInput = input;
  const mine = ++state.sequence;
  setBusy(true);
  try {
    const body = state.file
      ? await api.predictFile(state.file, controller.signal)
      : await api.predictDrawing(pad.toDataURL(), controller.signal);
    if (mine !== state.sequence) return; // a newer request owns the panel
    showResult(body);
    markDigits(body);
    if (body.saved) state.shownInput = input; // an unsaved image may be sent again
    const saved = body.saved ? "" : " The image was not saved.";
    announce(`Predicted ${readText(body)}, ${percent(readConfidence(body))} sure.${saved}`);
    if (body.saved && localHistory.add(body)) showHistory();
  } catch (error) {
    if (error.name === "AbortError" || mine !== state.sequence) return;
    clearResult();
    if (!(error instanceof ApiError)) {
      showError(plainWords("server"));
    } else if (state.file && NOTHING_FOUND.has(error.code)) {
      showError(plainWords("nothing_in_image"));
    } else {
      showError(error.message);
    }
  } finally {
    if (mine === state.sequence) {
      state.inFlight = null;
      setBusy(false);
    }
  }
}

/**
 * Box each digit where it was found: every digit on an uploaded image (a photo shows where the
 * writing was read), the digits of a number on the drawing.
 */
function markDigits(body) {
  const digits = body.digits ?? [];
  if (digits.length < (state.file ? 1 : 2)) {
    clearBoxes($("boxes"));
    return;
  }
  if (state.file) {
    const img = $("upload-preview-img");
    if (!img.naturalWidth) return; // the browser cannot show this file: nothing to box
    showBoxes($("boxes"), digits, shownImageFrame(img), {
      width: img.naturalWidth,
      height: img.naturalHeight,
    });
    return;
  }
  const canvas = $("pad");
  const frame = { left: canvas.offsetLeft, top: canvas.offsetTop };
  showBoxes($("boxes"), digits, { ...frame, width: canvas.clientWidth, height: canvas.clientHeight }, pad.exportSize());
}

// ---- uploads: picker, drag and drop, paste --------------------------------------------------

function acceptFile(file) {
  cancelPending();
  hideError();
  if (!file) return;
  if (file.type && !file.type.startsWith("image/")) {
    showError(plainWords("unsupported_media_type"));
    return;
  }
  if (file.size > MAX_UPLOAD_BYTES) {
    const limit = Math.round(MAX_UPLOAD_BYTES / (1024 * 1024));
    showError(`That image is too large: the limit is ${limit} MB. Try a smaller one.`);
    return;
  }
  state.file = file;
  if (state.previewUrl) URL.revokeObjectURL(state.previewUrl);
  state.previewUrl = URL.createObjectURL(file);
  const img = $("upload-preview-img");
  img.alt = `Preview of ${file.name || "the pasted image"}`;
  img.src = state.previewUrl;
  $("upload-preview-name").textContent = file.name || "Pasted image";
  $("upload-preview").hidden = false;
  $("pad-wrap").classList.add("has-file");
  clearResult();
  announce(`Image ready: ${file.name || "pasted image"}. Press Predict to see which digit it is.`);
  const rect = $("pad-wrap").getBoundingClientRect();
  if (rect.top < 0 || rect.bottom > window.innerHeight) {
    $("pad-wrap").scrollIntoView({ block: "center", behavior: "smooth" });
  }
}

function dropFile() {
  state.file = null;
  if (state.previewUrl) URL.revokeObjectURL(state.previewUrl);
  state.previewUrl = null;
  $("upload-preview").hidden = true;
  $("upload-preview-img").removeAttribute("src");
  $("pad-wrap").classList.remove("has-file");
  $("upload").value = "";
  $("camera").value = "";
}

$("upload").addEventListener("change", (e) => acceptFile(e.target.files?.[0]));
$("camera").addEventListener("change", (e) => acceptFile(e.target.files?.[0]));
$("upload-preview-img").addEventListener("error", () => {
  // The browser cannot show it (some BMPs, damaged files); the function may still read it.
  $("upload-preview-img").alt = "No preview for this file; Predict will still try it.";
});
$("upload-remove").addEventListener("click", () => {
  dropFile();
  clearResult();
  $("brush").focus();
  announce("Back to drawing.");
});

for (const zone of [$("dropzone"), $("pad-wrap")]) {
  zone.addEventListener("dragover", (e) => {
    if (![...(e.dataTransfer?.types ?? [])].includes("Files")) return;
    e.preventDefault();
    e.dataTransfer.dropEffect = "copy";
    zone.classList.add("is-dragging");
  });
  zone.addEventListener("dragleave", () => zone.classList.remove("is-dragging"));
  zone.addEventListener("drop", (e) => {
    zone.classList.remove("is-dragging");
    const file = e.dataTransfer?.files?.[0];
    if (!file) return;
    e.preventDefault();
    acceptFile(file);
  });
}
// A file dropped beside the zones would otherwise replace the page.
window.addEventListener("dragover", (e) => e.preventDefault());
window.addEventListener("drop", (e) => e.preventDefault());

document.addEventListener("paste", (e) => {
  const files = [...(e.clipboardData?.files ?? [])];
  if (files.length === 0) return; // plain text pasted into a field stays there
  e.preventDefault();
  acceptFile(files.find((f) => f.type.startsWith("image/")) ?? files[0]);
});

// ---- tools ----------------------------------------------------------------------------------

const brush = $("brush");
function updateBrush() {
  const size = Number(brush.value);
  pad.setBrushSize(size);
  $("brush-value").textContent = String(size);
  brush.setAttribute("aria-valuetext", `${size} pixels`);
  $("brush-dot").style.setProperty("--size", `${size}px`);
}
brush.addEventListener("input", updateBrush);
updateBrush();

$("undo").addEventListener("click", () => {
  cancelPending();
  pad.undo();
  if (pad.isEmpty()) {
    clearResult();
  } else if ($("live").checked) {
    schedulePrediction();
  }
});

$("clear").addEventListener("click", () => {
  cancelPending();
  dropFile();
  pad.clear();
  hideError();
  clearResult();
  announce("Cleared.");
});

$("predict").addEventListener("click", predict);

document.addEventListener("keydown", (e) => {
  // In a text field Ctrl+Z belongs to the field; everywhere else it undoes a stroke.
  const typing = e.target.matches?.(
    "textarea, [contenteditable], input:not([type=checkbox], [type=radio], [type=range], [type=file])",
  );
  if ((e.ctrlKey || e.metaKey) && !e.shiftKey && e.key.toLowerCase() === "z" && !typing) {
    e.preventDefault();
    $("undo").click();
  }
});

// ---- history: this browser's own, kept in localStorage, never fetched --------------------------

async function sendLabel(entry, label) {
  await api.sendFeedback(entry.key, label, entry.receipt);
  localHistory.setLabel(entry.key, label);
}

function showHistory() {
  const entries = localHistory.entries();
  renderHistory($("history"), entries, sendLabel);
  $("history-clear").disabled = entries.length === 0;
  const status = entries.length ? "" : "Nothing yet: your predictions will show up here.";
  const fleeting = localHistory.persistent
    ? ""
    : " This browser is not keeping data for pages, so the list ends when you leave.";
  $("history-status").textContent = (status + fleeting).trim();
}

$("history-clear").addEventListener("click", () => {
  localHistory.clear();
  showHistory();
  announce("History cleared.");
  $("history-heading").focus();
});
localHistory.onOtherTabChange(showHistory);
setInterval(() => refreshTimes($("history")), 60_000);

updateTools();
showHistory();
