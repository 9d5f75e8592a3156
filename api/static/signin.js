// The sign-in page's one enhancement: a QR code opens /sign-in#code=..., and this puts the code
// into the form and wipes it from the address bar and history. The code travels in the
// fragment, which a browser never sends to the server, so no access log or proxy ever sees it.
// The person still presses "Sign in": a link alone never signs anyone in.
(function () {
  var match = /^#code=([A-Za-z0-9_-]{1,200})$/.exec(window.location.hash);
  var input = document.getElementById("code");
  if (!match) { return; }
  if (input) { input.value = match[1]; }
  history.replaceState(null, "", window.location.pathname + window.location.search);
  var button = document.querySelector("form.sign-in button");
  if (button) { button.focus(); }
}());
