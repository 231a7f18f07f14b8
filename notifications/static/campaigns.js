// The campaign editor's script (see notifications/pages.py); console.js does the rest (the
// form's live side panel through data-preview, sending forms with the CSRF token).
//  - The tile map: each tile is a checkbox (role="checkbox") that toggles the commune's box in
//    the list beside it, so the form sends one choice whichever was used. Click, Space or
//    Enter toggles; arrow keys move between tiles (one tab stop for the whole map).
//  - Search boxes above the commune and agency lists hide the entries whose name does not
//    contain the words typed (ignoring case and Vietnamese diacritics). They are left out of
//    the live preview (nothing about the campaign changed).
// Everything is delegated from the document, so it keeps working after console.js swaps the
// form in again (a refused save).
(function () {
  "use strict";

  function fold(text) {
    return (text || "").toLowerCase().normalize("NFD").replace(/[\u0300-\u036f]/g, "").replace(/đ/g, "d");
  }

  function boxOf(tile) {
    return document.getElementById("commune-" + tile.getAttribute("data-tile"));
  }

  function showTile(tile, on) {
    tile.classList.toggle("on", on);
    tile.setAttribute("aria-checked", on ? "true" : "false");
  }

  function updateCount() {
    var count = document.querySelectorAll('input[name="communes"]:checked').length;
    document.querySelectorAll("[data-chosen-count]").forEach(function (el) {
      var chosen = document.documentElement.lang === "en" ? "chosen" : "đã chọn";
      el.textContent = "(" + count + " " + chosen + ")";
    });
  }

  function toggle(tile) {
    var box = boxOf(tile);
    if (!box) return;
    box.checked = !box.checked;
    showTile(tile, box.checked);
    box.dispatchEvent(new Event("input", { bubbles: true }));
    box.dispatchEvent(new Event("change", { bubbles: true }));
  }

  function centre(tile) {
    var rect = tile.getBoundingClientRect();
    return { x: rect.left + rect.width / 2, y: rect.top + rect.height / 2 };
  }

  function neighbour(tile, key) {
    var tiles = Array.prototype.slice.call(tile.ownerSVGElement.querySelectorAll("[data-tile]"));
    var index = tiles.indexOf(tile);
    if (key === "ArrowRight") return tiles[index + 1];
    if (key === "ArrowLeft") return tiles[index - 1];
    if (key === "Home") return tiles[0];
    if (key === "End") return tiles[tiles.length - 1];
    var here = centre(tile);
    var down = key === "ArrowDown";
    var best = null;
    var bestScore = Infinity;
    tiles.forEach(function (other) {
      if (other === tile) return;
      var there = centre(other);
      var dy = down ? there.y - here.y : here.y - there.y;
      if (dy <= 2) return;
      var score = dy * 2 + Math.abs(there.x - here.x);
      if (score < bestScore) { bestScore = score; best = other; }
    });
    return best;
  }

  function moveFocus(from, to) {
    if (!to) return;
    from.setAttribute("tabindex", "-1");
    to.setAttribute("tabindex", "0");
    to.focus();
  }

  document.addEventListener("click", function (event) {
    var tile = event.target.closest && event.target.closest("[data-tile]");
    if (!tile) return;
    event.preventDefault();
    toggle(tile);
  });

  document.addEventListener("keydown", function (event) {
    var tile = event.target.closest && event.target.closest("[data-tile]");
    if (!tile) return;
    if (event.key === " " || event.key === "Enter") {
      event.preventDefault();
      toggle(tile);
    } else if (["ArrowRight", "ArrowLeft", "ArrowUp", "ArrowDown", "Home", "End"].indexOf(event.key) >= 0) {
      event.preventDefault();
      moveFocus(tile, neighbour(tile, event.key));
    }
  });

  document.addEventListener("change", function (event) {
    var box = event.target;
    if (!(box instanceof HTMLInputElement) || box.name !== "communes") return;
    var tile = document.querySelector('[data-tile="' + box.value + '"]');
    if (tile) showTile(tile, box.checked);
    updateCount();
  });

  document.addEventListener("input", function (event) {
    var input = event.target;
    if (!(input instanceof HTMLInputElement) || !input.hasAttribute("data-filter")) return;
    event.stopPropagation(); // a search is no change to the campaign: no live preview
    var list = document.querySelector(input.getAttribute("data-filter"));
    if (!list) return;
    var words = fold(input.value).split(/\s+/).filter(Boolean);
    list.querySelectorAll("li[data-name]").forEach(function (item) {
      var name = fold(item.getAttribute("data-name"));
      item.hidden = !words.every(function (word) { return name.indexOf(word) >= 0; });
    });
  }, true);
})();
