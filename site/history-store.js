// This browser's own predictions, kept in localStorage and nowhere else: what the answer said,
// its 28x28 preview, the receipt that lets this browser label the image, and the label given.
// The image itself is never kept here; the server is never asked for this list.

import { MAX_DIGITS } from "./config.js";

const STORAGE_KEY = "digits.history.v1";
const PREVIEW_PREFIX = "data:image/png;base64,";

/**
 * @typedef {object} Entry
 * @property {string} key the stored image's key, from the answer's image.key
 * @property {string} receipt proof that this browser sent that image, from the answer
 * @property {number|string} digit the digit read, or a number's digits ("42")
 * @property {number} confidence
 * @property {string} preview the 28x28 PNG the model saw, as a data URL (a number's first digit)
 * @property {string[]} previews a number's digits as the model saw them, left to right
 * @property {string} at when it was predicted (ISO 8601, this browser's clock)
 * @property {number|string|null} label what the person said it really is, if they did
 */

/** Return `value` as an entry, or null when it is not one (an old or hand-edited record). */
function asEntry(value) {
  if (!value || typeof value !== "object") return null;
  const { key, receipt, digit, confidence, preview, at } = value;
  const isDigit = (d) => Number.isInteger(d) && d >= 0 && d <= 9;
  const isNumber = (d) => typeof d === "string" && /^[0-9]+$/.test(d) && d.length <= MAX_DIGITS;
  const isRead = (d) => isDigit(d) || isNumber(d);
  // Only a data URL is ever shown: nothing kept here makes the page fetch anything.
  const isPreview = (p) => typeof p === "string" && p.startsWith(PREVIEW_PREFIX);
  if (typeof key !== "string" || !key || typeof receipt !== "string" || !receipt) return null;
  if (!isRead(digit) || typeof confidence !== "number") return null;
  if (!isPreview(preview)) return null;
  const previews = Array.isArray(value.previews) ? value.previews.filter(isPreview) : [];
  const label = isRead(value.label) ? value.label : null;
  return { key, receipt, digit, confidence, preview, previews, at: String(at ?? ""), label };
}

function browserStorage() {
  try {
    const storage = window.localStorage;
    storage.getItem(STORAGE_KEY); // throws where storage is turned off
    return storage;
  } catch {
    return null;
  }
}

export class HistoryStore {
  /** @param {number} size the most entries kept; older ones are dropped */
  constructor(size) {
    this.size = size;
    this.storage = browserStorage();
    this.memory = []; // used only when the browser keeps nothing (storage off, or full)
  }

  /** Whether the list outlives this page (false when the browser refuses to keep it). */
  get persistent() {
    return this.storage !== null;
  }

  /** Return the entries, newest first. */
  entries() {
    if (!this.storage) return this.memory.map((entry) => ({ ...entry }));
    let parsed;
    try {
      parsed = JSON.parse(this.storage.getItem(STORAGE_KEY) ?? "[]");
    } catch {
      return [];
    }
    return (Array.isArray(parsed) ? parsed : []).map(asEntry).filter(Boolean).slice(0, this.size);
  }

  /** Add a saved prediction (a POST /predict answer) on top; false if it has no receipt. */
  add(answer, now = new Date()) {
    const entry = asEntry({
      key: answer?.image?.key,
      receipt: answer?.receipt,
      // A number (several digits) has no top-level digit: its digits, read left to right, instead.
      digit: answer?.digit ?? answer?.number,
      confidence: answer?.confidence ?? answer?.number_confidence,
      preview: answer?.preview ?? answer?.digits?.[0]?.preview,
      previews: (answer?.digits?.length ?? 0) > 1 ? answer.digits.map((d) => d.preview) : [],
      at: now.toISOString(),
      label: null,
    });
    if (!entry) return false;
    this.#write([entry, ...this.entries().filter((e) => e.key !== entry.key)]);
    return true;
  }

  /** Record the label the person gave the image `key`. */
  setLabel(key, label) {
    this.#write(this.entries().map((e) => (e.key === key ? { ...e, label } : e)));
  }

  /** Forget every entry. */
  clear() {
    this.memory = [];
    this.storage?.removeItem(STORAGE_KEY);
  }

  /** Call `listener` when another tab of this page changes the list. */
  onOtherTabChange(listener) {
    window.addEventListener("storage", (event) => {
      if (event.key === STORAGE_KEY || event.key === null) listener();
    });
  }

  #write(entries) {
    const kept = entries.slice(0, this.size);
    if (this.storage) {
      try {
        this.storage.setItem(STORAGE_KEY, JSON.stringify(kept));
        return;
      } catch {
        // Full, or refused: keep the list for this page's life instead.
        this.storage = null;
      }
    }
    this.memory = kept;
  }
}
