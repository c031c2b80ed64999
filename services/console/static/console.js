// Progressive charts: the tables work without this; with it, the grant view draws its charts
// with Chart.js (vendored, static/vendor/chart.js-4.6.1, MIT).
(function () {
  "use strict";
  const yuan = (fen) => "¥" + (fen / 100).toLocaleString("en-US", { minimumFractionDigits: 2, maximumFractionDigits: 2 });
  const axis = { ticks: { callback: (v) => yuan(v) } };
  const trend = document.getElementById("grant-chart");
  if (trend && window.Chart) {
    const d = JSON.parse(trend.dataset.chart);
    const say = JSON.parse(trend.dataset.legend);
    new Chart(trend, {
      type: "line",
      data: {
        labels: d.labels,
        datasets: [
          { label: say.expended, data: d.expended, borderColor: "#12355b", backgroundColor: "#12355b", tension: 0 },
          { label: say.target, data: d.target, borderColor: "#b54708", borderDash: [6, 4], pointRadius: 0 },
          { label: say.projection, data: d.projection, borderColor: "#7b8794", borderDash: [2, 3], pointRadius: 0, spanGaps: false },
        ],
      },
      options: { animation: false, responsive: false, scales: { y: axis } },
    });
  }
  const bars = document.getElementById("category-chart");
  if (bars && window.Chart) {
    const c = JSON.parse(bars.dataset.categories);
    const say = JSON.parse(bars.dataset.legend);
    const names = Object.keys(c);
    new Chart(bars, {
      type: "bar",
      data: {
        labels: names,
        datasets: [
          { label: say.expended, data: names.map((n) => c[n].expended), backgroundColor: "#12355b" },
          { label: say.encumbered, data: names.map((n) => c[n].encumbered), backgroundColor: "#f79009" },
          { label: say.available, data: names.map((n) => c[n].available), backgroundColor: "#84caff" },
        ],
      },
      options: { animation: false, responsive: false, scales: { x: { stacked: true }, y: { stacked: true, ...axis } } },
    });
  }
})();
