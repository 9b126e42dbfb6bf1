/* The static slider's behaviour (d2lutils.widgets.static). static_html
 * drops this comment and puts the code, with ${id} replaced by the
 * slider's element id, in a <script> right after the slider's <div>. On
 * "input" (dragging, keys) and "change" it shows frame i of the JSON data:
 * the image, its alt text and the value's label. */
(function () {
  var root = document.getElementById("${id}");
  if (!root) { return; }
  var data = JSON.parse(
    root.querySelector("script.d2l-slider-data").textContent);
  var input = root.querySelector("input.d2l-slider-input");
  var img = root.querySelector("img.d2l-slider-img");
  var shown = root.querySelector(".d2l-slider-value");
  function show() {
    var i = parseInt(input.value, 10);
    if (!(i >= 0 && i < data.frames.length)) { return; }
    img.src = "data:image/png;base64," + data.frames[i];
    img.alt = data.alts[i];
    shown.textContent = data.labels[i];
  }
  input.addEventListener("input", show);
  input.addEventListener("change", show);
})();
