// Starts Swagger UI on the API docs page (templates/swagger_ui.html) with the settings the
// page carries, so that the page needs no inline script.
window.addEventListener("load", function () {
  var holder = document.getElementById("swagger-ui-container");
  var config = JSON.parse(holder.dataset.config);
  config.url = holder.dataset.specUrl;
  config.dom_id = "#swagger-ui-container";
  window.ui = SwaggerUIBundle(config);
});
