// The ballot page's one enhancement (api/templates/ballots/ballot.html): a button beside each
// candidate ranks them next, or takes them off and closes the gap, by filling in the same
// number inputs the page sends without script. Nothing else changes: the form posts as before.
(function () {
  var groups = document.querySelectorAll("fieldset[data-ranked]");
  Array.prototype.forEach.call(groups, function (group) {
    var inputs = Array.prototype.slice.call(group.querySelectorAll("input[type=number]"));
    var buttons = [];
    function rank(input) { var n = parseInt(input.value, 10); return isNaN(n) ? 0 : n; }
    function refresh() {
      inputs.forEach(function (input, i) {
        buttons[i].textContent = rank(input) ? group.getAttribute("data-remove") : group.getAttribute("data-add");
        buttons[i].setAttribute("aria-pressed", rank(input) ? "true" : "false");
      });
    }
    inputs.forEach(function (input) {
      var button = document.createElement("button");
      var label = group.querySelector("label[for='" + input.id + "']");
      button.type = "button";
      button.className = "tap";
      if (label) {
        label.id = label.id || input.id + "-name";
        button.setAttribute("aria-describedby", label.id);
      }
      button.addEventListener("click", function () {
        var mine = rank(input);
        if (mine) {
          input.value = "";
          inputs.forEach(function (other) {
            if (rank(other) > mine) { other.value = String(rank(other) - 1); }
          });
        } else {
          input.value = String(Math.max.apply(null, inputs.map(rank).concat([0])) + 1);
        }
        refresh();
      });
      input.addEventListener("input", refresh);
      input.parentNode.appendChild(button);
      buttons.push(button);
    });
    refresh();
  });
}());
