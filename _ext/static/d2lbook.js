/* The book's static sliders (d2lutils.widgets.views.static_html): on
 * "input" (dragging, keys) and "change", show frame i of the slider's JSON
 * data: the image, its alt text, the value's label, and the value a
 * screen reader announces (aria-valuetext). */
document.addEventListener("DOMContentLoaded", function () {
  document.querySelectorAll("div.d2l-slider").forEach(function (root) {
    var data = JSON.parse(
      root.querySelector("script.d2l-slider-data").textContent);
    var input = root.querySelector("input.d2l-slider-input");
    var img = root.querySelector("img.d2l-slider-img");
    var shown = root.querySelector(".d2l-slider-value");
    function show() {
      var i = parseInt(input.value, 10);
      if (!(i >= 0 && i < data.frames.length)) { return; }
      img.src = data.frames[i];
      img.alt = data.alts[i];
      shown.textContent = data.labels[i];
      input.setAttribute("aria-valuetext", data.name + " = " + data.labels[i]);
    }
    input.addEventListener("input", show);
    input.addEventListener("change", show);
  });
});
