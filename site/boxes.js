// Where each digit of a number was found: boxes drawn over the pad or the uploaded image, each
// tagged with what the model read there. Boxes come in the sent image's pixels (POST /predict's
// digits[].box); the layer maps them onto the picture as it is shown.

/**
 * Show `digits` (each with a box and a digit) over the picture shown in `frame`.
 * @param {HTMLElement} layer an absolutely placed element over the pad
 * @param {Array<{digit: number, confidence: number, box: {x: number, y: number, width: number, height: number}}>} digits
 * @param {{left: number, top: number, width: number, height: number}} frame the picture's place in the layer's parent, in CSS pixels
 * @param {{width: number, height: number}} size the sent image's size, in its pixels
 */
export function showBoxes(layer, digits, frame, size) {
  const scaleX = frame.width / size.width;
  const scaleY = frame.height / size.height;
  layer.replaceChildren(
    ...digits.map((found, i) => {
      const box = document.createElement("div");
      box.className = "digit-box-mark";
      box.dataset.testid = "digit-box";
      box.style.left = `${frame.left + found.box.x * scaleX}px`;
      box.style.top = `${frame.top + found.box.y * scaleY}px`;
      box.style.width = `${found.box.width * scaleX}px`;
      box.style.height = `${found.box.height * scaleY}px`;
      const tag = document.createElement("span");
      tag.className = "digit-box-tag";
      tag.textContent = String(found.digit);
      tag.title = `Digit ${i + 1}: ${found.digit}`;
      box.append(tag);
      return box;
    }),
  );
  layer.hidden = digits.length === 0;
}

/** Remove the boxes. */
export function clearBoxes(layer) {
  layer.replaceChildren();
  layer.hidden = true;
}

/** Return where an <img> with object-fit: contain shows its picture, in its parent's pixels. */
export function shownImageFrame(img) {
  const style = getComputedStyle(img);
  const padLeft = parseFloat(style.paddingLeft) || 0;
  const padTop = parseFloat(style.paddingTop) || 0;
  const boxWidth = img.clientWidth - padLeft - (parseFloat(style.paddingRight) || 0);
  const boxHeight = img.clientHeight - padTop - (parseFloat(style.paddingBottom) || 0);
  const scale = Math.min(boxWidth / img.naturalWidth, boxHeight / img.naturalHeight);
  const width = img.naturalWidth * scale;
  const height = img.naturalHeight * scale;
  return {
    left: img.offsetLeft + padLeft + (boxWidth - width) / 2,
    top: img.offsetTop + padTop + (boxHeight - height) / 2,
    width,
    height,
  };
}
