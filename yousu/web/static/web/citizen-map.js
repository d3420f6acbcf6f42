/* The citizen portal's place picker: Leaflet with the city's own area boundaries as the only base layer
   (an intranet has no tile server on the internet), optionally tiles from the platform's own intranet.
   A tap puts a marker and fills the form's longitude and latitude; nothing else is sent anywhere. */
(function () {
  "use strict";
  var box = document.getElementById("map");
  if (!box || typeof L === "undefined") return;
  var d = box.dataset;
  var lon = document.getElementById("id_" + d.longitude);
  var lat = document.getElementById("id_" + d.latitude);
  var picked = document.getElementById(d.picked);
  var clear = document.getElementById(d.clear);
  var marker = null;

  var map = L.map(box, { attributionControl: false, zoomSnap: 0.5 });
  if (d.tileUrl) L.tileLayer(d.tileUrl, { maxZoom: 19 }).addTo(map);

  function say(text) { picked.textContent = text; }

  function put(latlng, where) {
    var x = latlng.lng.toFixed(6), y = latlng.lat.toFixed(6);
    lon.value = x;
    lat.value = y;
    if (marker) marker.setLatLng(latlng);
    else marker = L.marker(latlng, { keyboard: false, alt: d.wordPicked }).addTo(map);
    say(d.wordPicked + "：" + x + ", " + y + (where ? "（" + d.wordIn + " " + where + "）" : ""));
    clear.hidden = false;
  }

  clear.addEventListener("click", function () {
    lon.value = "";
    lat.value = "";
    if (marker) { map.removeLayer(marker); marker = null; }
    say("");
    clear.hidden = true;
  });

  function unavailable(text) {
    box.classList.add("unavailable");
    say(text);
  }

  fetch(d.areasUrl, { credentials: "same-origin", headers: { Accept: "application/json" } })
    .then(function (response) {
      if (!response.ok) throw new Error(response.status);
      return response.json();
    })
    .then(function (data) {
      if (!data.features.length && !d.tileUrl) { unavailable(d.wordEmpty); return; }
      var layer = L.geoJSON(data, {
        style: function (feature) {
          var grid = feature.properties.level === "grid";
          return { color: grid ? "#b42318" : "#3e4c59", weight: grid ? 1 : 2, fillOpacity: grid ? 0.08 : 0.04 };
        },
        onEachFeature: function (feature, shape) {
          // The finest area is drawn last, so it is the one tapped; it names the place for the citizen.
          shape.on("click", function (event) {
            L.DomEvent.stopPropagation(event);
            put(event.latlng, feature.properties.name);
          });
        }
      }).addTo(map);
      if (layer.getLayers().length) map.fitBounds(layer.getBounds(), { padding: [8, 8] });
      else map.setView([0, 0], 2);
      if (lon.value && lat.value) put(L.latLng(Number(lat.value), Number(lon.value)), "");
    })
    .catch(function () { unavailable(d.wordFailed); });

  map.on("click", function (event) { put(event.latlng, ""); });
})();
