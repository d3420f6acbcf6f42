// The leader's dashboard: polls the dashboard summary, updates the figures, charts and tables in place,
// and keeps the last figures on screen when a poll fails. Every word a person reads comes from the page
// (the "dashboard-words" JSON), so it is translated with the page.
(function () {
  "use strict";

  var root = document.getElementById("dashboard");
  if (!root || !window.echarts) {
    return;
  }
  var words = JSON.parse(document.getElementById("dashboard-words").textContent);
  var pollSeconds = Math.max(1, parseInt(root.dataset.pollSeconds, 10) || 30);
  var state = { period: "today", start: "", end: "", district: "" };
  var timer = null;
  var loadedMap = null; // the district whose boundaries are registered ("" for the city)
  var mapFeatures = 0;
  var inFlight = 0; // answers arriving after a newer request are dropped
  var last = null;

  var PALETTE = ["#1d4ed8", "#b42318", "#2f855a", "#b54708", "#6941c6", "#0e7490", "#c11574", "#4d5761", "#854d0e", "#155e75"];

  function format(text, values) {
    return text.replace(/%\((\w+)\)s/g, function (_m, key) {
      return values[key] === undefined || values[key] === null ? "" : String(values[key]);
    });
  }

  function el(tag, text, className) {
    var node = document.createElement(tag);
    if (text !== undefined && text !== null) {
      node.textContent = String(text);
    }
    if (className) {
      node.className = className;
    }
    return node;
  }

  // Tooltips are drawn on the chart's canvas: an HTML tooltip is markup with style attributes, which
  // the Content-Security-Policy refuses (and the area names would be HTML there).
  var TOOLTIP_MODE = "richText";

  var charts = {};
  ["channel", "kind", "categories", "hot", "map", "proactive-modes"].forEach(function (name) {
    charts[name] = echarts.init(document.getElementById("chart-" + name), null, { renderer: "canvas" });
  });
  window.addEventListener("resize", function () {
    Object.keys(charts).forEach(function (name) {
      charts[name].resize();
    });
  });

  function emptyGraphic(rows) {
    // ECharts draws nothing for an empty series; say so instead of leaving a blank box.
    return rows.length ? [] : [{ type: "text", left: "center", top: "middle", style: { text: words.no_data, fill: "#616e7c", fontSize: 14 } }];
  }

  function pie(chart, all) {
    // Every channel and kind is listed, most with nothing in a short period: a slice of 0 only clutters.
    var rows = all.filter(function (row) {
      return row.received > 0;
    });
    chart.setOption(
      {
        color: PALETTE,
        tooltip: { trigger: "item", renderMode: TOOLTIP_MODE, formatter: "{b}: {c} " + words.pieces + " ({d}%)" },
        legend: { type: "scroll", bottom: 0 },
        graphic: emptyGraphic(rows),
        series: [
          {
            type: "pie",
            radius: ["38%", "66%"],
            center: ["50%", "45%"],
            label: { formatter: "{b}\n{c}" },
            data: rows.map(function (row) {
              return { name: row.name, value: row.received };
            }),
          },
        ],
      },
      { replaceMerge: ["graphic"] }
    );
  }

  function bars(chart, rows, labelOf, color) {
    // Largest at the top: ECharts draws a category axis from the bottom up.
    var ordered = rows.slice().reverse();
    chart.setOption(
      {
        tooltip: { trigger: "axis", renderMode: TOOLTIP_MODE, axisPointer: { type: "shadow" } },
        grid: { left: 8, right: 48, top: 8, bottom: 8, containLabel: true },
        xAxis: { type: "value", minInterval: 1 },
        yAxis: {
          type: "category",
          data: ordered.map(labelOf),
          axisLabel: { width: 150, overflow: "truncate" },
        },
        graphic: emptyGraphic(rows),
        series: [
          {
            type: "bar",
            name: words.received,
            itemStyle: { color: color },
            label: { show: true, position: "right" },
            data: ordered.map(function (row) {
              return row.received;
            }),
          },
        ],
      },
      { replaceMerge: ["graphic"] }
    );
  }

  function loadMap(district) {
    var url = root.dataset.areasUrl + (district ? "?district=" + encodeURIComponent(district) : "");
    return fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (response) {
        if (!response.ok) {
          throw new Error(String(response.status));
        }
        return response.json();
      })
      .then(function (geojson) {
        mapFeatures = geojson.features.length;
        if (mapFeatures) {
          echarts.registerMap("yousu-" + (district || "city"), geojson);
        }
        loadedMap = district;
      });
  }

  function drawAreas(rows) {
    var note = document.getElementById("map-note");
    var chart = charts.map;
    if (!mapFeatures) {
      // No boundaries recorded for these areas: the same figures as bars, so nothing is hidden.
      note.textContent = words.no_boundaries;
      note.hidden = false;
      chart.clear();
      bars(
        chart,
        rows.slice().sort(function (a, b) {
          return b.received - a.received;
        }),
        function (row) {
          return row.name;
        },
        "#1d4ed8"
      );
      return;
    }
    note.hidden = true;
    var names = {};
    var settled = {};
    rows.forEach(function (row) {
      names[row.code] = row.name;
      settled[row.code] = row.settled;
    });
    var max = rows.reduce(function (m, row) {
      return Math.max(m, row.received);
    }, 0);
    chart.setOption(
      {
        tooltip: {
          trigger: "item",
          renderMode: TOOLTIP_MODE,
          formatter: function (p) {
            var name = names[p.name] || p.name;
            var received = isNaN(p.value) ? 0 : p.value;
            return name + "\n" + words.received + ": " + received + "\n" + words.settled + ": " + (settled[p.name] || 0);
          },
        },
        visualMap: {
          min: 0,
          max: Math.max(max, 1),
          left: 8,
          bottom: 8,
          calculable: true,
          inRange: { color: ["#e0ecff", "#1d4ed8"] },
          text: [String(Math.max(max, 1)), "0"],
        },
        series: [
          {
            type: "map",
            map: "yousu-" + (loadedMap || "city"),
            // The features' code joins the summary's by_area; the label shows the area's name.
            nameProperty: "code",
            roam: true,
            label: {
              show: true,
              formatter: function (p) {
                return names[p.name] || "";
              },
            },
            data: rows.map(function (row) {
              return { name: row.code, value: row.received };
            }),
          },
        ],
      },
      { notMerge: true }
    );
  }

  function setFigure(id, value) {
    document.querySelector("#" + id + " [data-value]").textContent = value === null || value === undefined ? "—" : String(value);
  }

  function rate(value) {
    return value === null || value === undefined ? null : (value * 100).toFixed(1) + "%";
  }

  function time(iso) {
    // The server's local time, as the figures are counted in its days.
    return iso ? iso.slice(11, 19) : "";
  }

  function when(iso) {
    return iso ? iso.slice(0, 10) + " " + iso.slice(11, 16) : "";
  }

  function fillTable(id, rows, columns, emptyText, rowClass) {
    var body = document.querySelector("#" + id + " tbody");
    body.replaceChildren();
    if (!rows.length) {
      var tr = el("tr");
      var td = el("td", emptyText, "muted");
      td.colSpan = columns.length;
      tr.appendChild(td);
      body.appendChild(tr);
      return;
    }
    rows.forEach(function (row) {
      var tr = el("tr", null, rowClass ? rowClass(row) : "");
      columns.forEach(function (column) {
        var cell = column(row);
        tr.appendChild(cell instanceof Node ? wrap(cell) : el("td", cell));
      });
      body.appendChild(tr);
    });
  }

  function wrap(node) {
    var td = el("td");
    td.appendChild(node);
    return td;
  }

  function render(data) {
    last = data;
    setFigure("fig-today-received", data.today.received);
    setFigure("fig-today-completed", data.today.completed);
    setFigure("fig-received", data.totals.received);
    setFigure("fig-settled", data.totals.settled);
    setFigure("fig-completion-rate", rate(data.totals.completion_rate));
    setFigure("fig-answered-at-intake", data.totals.answered_at_intake);
    setFigure("fig-answered-at-intake-rate", rate(data.totals.answered_at_intake_rate));
    setFigure("fig-knowledge-from-entries", data.knowledge.from_entries);
    setFigure("fig-knowledge-helped-rate", rate(data.knowledge.helped_rate));
    document.querySelectorAll("[data-definition]").forEach(function (node) {
      node.textContent = data.definitions[node.dataset.definition] || "";
    });
    document.getElementById("scope").textContent = data.district ? data.district.name : words.all_city;
    document.getElementById("period-range").textContent =
      data.period.start === data.period.end ? data.period.start : format(words.period_custom, { start: data.period.start, end: data.period.end });

    pie(charts.channel, data.by_channel);
    pie(charts.kind, data.by_kind);
    bars(charts.categories, data.top_categories, function (row) { return row.name; }, "#1d4ed8");
    bars(charts.hot, data.hot_issues, function (row) { return row.category.name + " · " + row.area.name; }, "#b42318");
    drawAreas(data.by_area);

    fillTable(
      "detected-hot-issues",
      data.detected_hot_issues || [],
      [
        function (h) { return h.name; },
        function (h) { return h.area ? h.area.name : "—"; },
        function (h) { return h.appeals; },
        function (h) { return Number(h.heat).toFixed(1); },
        function (h) { return when(h.first_at); },
        function (h) { return when(h.last_at); },
      ],
      words.no_hot_issues
    );

    document.getElementById("overdue-count").textContent = data.overdue.count;
    fillTable(
      "overdue",
      data.overdue.orders,
      [
        function (o) { return o.appeal_code; },
        function (o) { return o.title; },
        function (o) { return o.unit; },
        function (o) { return when(o.completion_due); },
        function (o) { return o.overdue_hours.toFixed(1); },
      ],
      words.no_overdue
    );

    var ranking = data.ranking;
    document.getElementById("ranking-title").textContent = ranking
      ? format(words.ranking_of, ranking) + (ranking.is_provisional ? words.provisional : "")
      : "";
    fillTable(
      "ranking",
      ranking ? ranking.rows : [],
      [
        function (r) { return words.levels[r.level] || r.level; },
        function (r) { return words.unit_kinds[r.kind] || r.kind; },
        function (r) { return r.unit.name; },
        function (r) { return r.score === null ? "—" : Number(r.score).toFixed(2); },
        function (r) { return r.rank + " / " + r.peers; },
        function (r) { return el("span", words.zones[r.zone] || r.zone, "zone zone-" + r.zone); },
      ],
      words.no_ranking,
      function (r) { return "zone-row-" + r.zone; }
    );

    if (data.proactive) {
      renderProactive(data.proactive);
    }
  }

  function renderProactive(p) {
    // 未诉先办: the period's totals, solved by mode as a pie, a row per street (per community of the
    // chosen district) and the departments' on-the-spot acceptances.
    var t = p.totals;
    setFigure("fig-proactive-found", t.found);
    setFigure("fig-proactive-before", rate(t.before_complaint_share));
    setFigure("fig-proactive-solved", t.solved);
    var hours = t.median_hours_to_solve;
    if (hours === null && t.mean_hours_to_solve !== null && t.mean_hours_to_solve !== undefined) {
      hours = format(words.proactive_mean, { hours: t.mean_hours_to_solve });
    }
    setFigure("fig-proactive-hours", hours);
    setFigure("fig-proactive-missing", t.daily_reports_missing);
    setFigure("fig-proactive-whistles", t.whistles + " / " + t.report_ins_answered);
    document.querySelectorAll("[data-proactive-definition]").forEach(function (node) {
      node.textContent = p.definitions[node.dataset.proactiveDefinition] || "";
    });
    document.getElementById("proactive-rows-title").textContent =
      p.level === "community" ? words.proactive_by_community : words.proactive_by_street;
    pie(
      charts["proactive-modes"],
      ["self", "assisted", "joint"].map(function (mode) {
        return { name: words.proactive_modes[mode], received: t["solved_" + mode] || 0 };
      })
    );
    fillTable(
      "proactive-rows",
      p.rows,
      [
        function (r) { return r.area; },
        function (r) { return r.found; },
        function (r) { return rate(r.before_complaint_share) || "—"; },
        function (r) { return r.solved; },
        function (r) { return r.solved_self; },
        function (r) { return r.solved_assisted; },
        function (r) { return r.solved_joint; },
        function (r) { return r.median_hours_to_solve === null ? "—" : r.median_hours_to_solve; },
        function (r) { return r.daily_reports + " / " + r.daily_reports_missing; },
        function (r) { return r.whistles + " / " + r.report_ins_answered; },
      ],
      words.no_proactive
    );
    fillTable(
      "proactive-on-spot",
      p.on_spot,
      [
        function (r) { return r.unit; },
        function (r) { return r.accepted_on_spot; },
        function (r) { return r.solved; },
      ],
      words.no_on_spot
    );
  }

  function query() {
    var params = new URLSearchParams({ period: state.period });
    if (state.period === "custom") {
      params.set("start", state.start);
      params.set("end", state.end);
    }
    if (state.district) {
      params.set("district", state.district);
    }
    return params.toString();
  }

  function showError(message) {
    var box = document.getElementById("poll-error");
    box.textContent = format(words.failed, { reason: message });
    box.hidden = false;
    root.classList.add("stale");
  }

  function poll() {
    clearTimeout(timer);
    var ticket = ++inFlight;
    var district = state.district;
    var mapReady = loadedMap === district ? Promise.resolve() : loadMap(district);
    var summary = fetch(root.dataset.summaryUrl + "?" + query(), {
      credentials: "same-origin",
      headers: { Accept: "application/json" },
    }).then(function (response) {
      return response
        .json()
        .catch(function () {
          return null;
        })
        .then(function (body) {
          if (!response.ok) {
            var reason = body && body.error ? body.error.message : String(response.status);
            throw new Error(reason);
          }
          return body;
        });
    });
    Promise.all([summary, mapReady])
      .then(function (results) {
        if (ticket !== inFlight) {
          return;
        }
        render(results[0]);
        document.getElementById("updated").textContent = format(words.updated_at, { time: time(results[0].as_of) });
        document.getElementById("poll-error").hidden = true;
        root.classList.remove("stale");
      })
      .catch(function (error) {
        if (ticket !== inFlight) {
          return;
        }
        showError(error instanceof TypeError ? words.network : error.message);
      })
      .then(function () {
        if (ticket === inFlight) {
          timer = setTimeout(poll, pollSeconds * 1000);
        }
      });
  }

  function showPeriod(period) {
    document.querySelectorAll("[data-period]").forEach(function (button) {
      button.setAttribute("aria-pressed", String(button.dataset.period === period));
    });
    document.getElementById("custom-dates").hidden = period !== "custom";
  }

  function remember() {
    // The filters live in the address, so a wall screen can be bookmarked on its district and period.
    history.replaceState(null, "", "?" + query());
  }

  document.querySelectorAll("[data-period]").forEach(function (button) {
    button.addEventListener("click", function () {
      var period = button.dataset.period;
      showPeriod(period);
      if (period === "custom") {
        // Dates are read when they are submitted.
        document.getElementById("start").focus();
        return;
      }
      state.period = period;
      remember();
      poll();
    });
  });

  document.getElementById("filters").addEventListener("submit", function (event) {
    event.preventDefault();
    state.period = "custom";
    state.start = document.getElementById("start").value;
    state.end = document.getElementById("end").value;
    remember();
    poll();
  });

  document.getElementById("district").addEventListener("change", function (event) {
    state.district = event.target.value;
    remember();
    poll();
  });

  (function fromAddress() {
    // Only values the page offers are taken; anything else leaves the default (today, the whole city).
    var params = new URLSearchParams(window.location.search);
    var period = params.get("period");
    if (period && document.querySelector("[data-period='" + CSS.escape(period) + "']")) {
      state.period = period;
      state.start = params.get("start") || "";
      state.end = params.get("end") || "";
      document.getElementById("start").value = state.start;
      document.getElementById("end").value = state.end;
    }
    var district = params.get("district");
    var select = document.getElementById("district");
    if (district && Array.prototype.some.call(select.options, function (option) { return option.value === district; })) {
      state.district = district;
      select.value = district;
    }
    showPeriod(state.period);
  })();

  poll();
  // For the browser tests and anyone debugging on a wall screen: the last answer drawn.
  root.lastSummary = function () {
    return last;
  };
})();
