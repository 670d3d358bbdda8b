// Showing one prediction: the digit, how sure, all ten probabilities, what the model saw, where
// the image went.

import { clearBoxes } from "./boxes.js";

const $ = (id) => document.getElementById(id);

/** Return a few words for a confidence between 0 and 1. */
export function confidenceWords(p) {
  if (p >= 0.9) return "sure";
  if (p >= 0.7) return "fairly sure";
  if (p >= 0.45) return "unsure";
  return "guessing";
}

/** Return a percentage for people: whole numbers, but never "100%" or "0%" for what is not. */
export function percent(p) {
  const value = p * 100;
  if (value > 99 && value < 100) return "99%";
  if (value > 0 && value < 1) return "<1%";
  return `${Math.round(value)}%`;
}

/** Return the readable tail of an S3 key: the file name without its date folders. */
export function fileName(key) {
  return String(key).split("/").at(-1);
}

/** Build the ten probability bars once; later calls only update them. */
function ensureBars(list) {
  if (list.children.length === 10) return;
  list.replaceChildren();
  for (let d = 0; d < 10; d++) {
    const item = document.createElement("li");
    item.className = "prob";
    item.innerHTML =
      '<span class="prob-value"></span><span class="prob-track"><span class="prob-fill"></span></span>' +
      `<span class="prob-digit">${d}</span>`;
    list.append(item);
  }
}

/** Return what was read: the number, or the digit when there is one. */
export function readText(body) {
  return body.number ?? String(body.digit);
}

/** Return how sure the model is of all that was read. */
export function readConfidence(body) {
  return body.digit === null ? body.number_confidence : body.confidence;
}

/** Show a successful prediction body from POST /predict. */
export function showResult(body) {
  $("result-empty").hidden = true;
  $("result").hidden = false;

  const several = (body.digits?.length ?? 1) > 1;
  const confidence = readConfidence(body);
  $("digit").textContent = readText(body);
  $("digit").classList.toggle("is-number", several);
  $("digit").style.setProperty("--length", String(readText(body).length));
  $("digit-words").textContent = several ? "Predicted number: " : "Predicted digit: ";
  $("confidence-value").textContent = percent(confidence);
  $("confidence-words").textContent = confidenceWords(confidence);
  $("confidence-bar").style.setProperty("--p", String(confidence));

  showDigits(several ? body.digits : []);
  $("probs-heading").hidden = several;
  $("probs").hidden = several;
  if (several) {
    showSaved(body);
    return;
  }

  const list = $("probs");
  ensureBars(list);
  const probabilities = body.probabilities ?? [];
  [...list.children].forEach((item, d) => {
    const p = Number(probabilities[d] ?? 0);
    item.classList.toggle("top", d === body.digit);
    item.style.setProperty("--p", String(p));
    item.querySelector(".prob-value").textContent = percent(p);
    item.setAttribute("aria-label", `${d}: ${percent(p)}`);
  });

  showSaved(body);
}

/** List each digit of a number: what the model saw, what it read, how sure. */
function showDigits(digits) {
  const list = $("digit-list");
  list.replaceChildren(
    ...digits.map((found) => {
      const item = document.createElement("li");
      item.className = "digit-item";
      const img = document.createElement("img");
      img.src = found.preview;
      img.alt = `What the model saw for this digit, read as ${found.digit}`;
      img.width = 42;
      img.height = 42;
      const digit = document.createElement("strong");
      digit.textContent = String(found.digit);
      const sure = document.createElement("span");
      sure.className = "muted small";
      sure.textContent = percent(found.confidence);
      item.append(img, digit, sure);
      return item;
    }),
  );
  list.hidden = digits.length === 0;
  $("digits-heading").hidden = digits.length === 0;
}

function showSaved(body) {
  const preview = $("preview");
  if (body.preview) {
    preview.src = body.preview;
    preview.hidden = false;
  } else {
    preview.hidden = true;
  }
  preview.closest("figure").hidden = !body.preview;

  const saved = $("saved");
  saved.replaceChildren();
  saved.removeAttribute("title");
  saved.classList.toggle("notice", !body.saved);
  saved.classList.toggle("notice-warning", !body.saved);
  if (body.saved && body.image?.key) {
    saved.append("Saved as ");
    const name = fileName(body.image.key);
    if (body.image.url) {
      const link = document.createElement("a");
      link.href = body.image.url;
      link.target = "_blank";
      link.rel = "noopener";
      link.textContent = name;
      link.title = body.image.key;
      saved.append(link);
    } else {
      const code = document.createElement("code");
      code.textContent = name;
      saved.append(code);
    }
  } else {
    saved.textContent =
      "Image not saved. The prediction above still holds, but the image could not be stored, " +
      "so it is not added to your history and cannot be labelled.";
    saved.title = body.warning ?? "";
  }
}

/** Go back to the empty result panel (and take the digits' boxes off the picture). */
export function clearResult() {
  clearBoxes($("boxes"));
  $("result").hidden = true;
  $("result-empty").hidden = false;
  $("digit").textContent = "";
}
