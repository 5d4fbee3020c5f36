// Browser side of the HTML report (inlined into index.html by src/report/html.ts): draws the plots
// with uPlot from the JSON island #redsim-data. No network; no eval of report text.
(function () {
  'use strict';
  var data = JSON.parse(document.getElementById('redsim-data').textContent);
  var COLORS = ['#1f77b4', '#d62728', '#2ca02c', '#9467bd', '#ff7f0e', '#17becf', '#8c564b', '#e377c2', '#7f7f7f', '#bcbd22'];

  function fmtBytes(n) {
    if (n == null) return '–';
    if (Math.abs(n) < 1024) return Math.round(n) + ' B';
    var units = ['KB', 'MB', 'GB', 'TB'];
    var v = n / 1024;
    var i = 0;
    while (Math.abs(v) >= 1024 && i < units.length - 1) { v /= 1024; i++; }
    return (v < 10 ? v.toFixed(1).replace(/\.0$/, '') : v.toFixed(0)) + ' ' + units[i];
  }
  // Byte axes tick at binary steps (128 KB, 256 KB, …), not at decimal ones.
  var BYTE_INCRS = [];
  [1, 1024, 1048576, 1073741824, 1099511627776].forEach(function (u) {
    [1, 2, 4, 8, 16, 32, 64, 128, 256, 512].forEach(function (m) { BYTE_INCRS.push(m * u); });
  });
  var TIME_INCRS = [];
  [1e-6, 1e-5, 1e-4, 1e-3, 1e-2, 1e-1, 1, 10, 100, 1000, 10000].forEach(function (u) {
    [1, 2, 5].forEach(function (m) { TIME_INCRS.push(+(m * u).toPrecision(6)); });
  });
  var COUNT_INCRS = [];
  [1, 10, 100, 1000, 10000, 100000, 1000000].forEach(function (u) {
    [1, 2, 5].forEach(function (m) { COUNT_INCRS.push(m * u); });
  });
  function fmtCount(n) { return n == null ? '–' : String(Math.round(n * 100) / 100); }
  function fmtSec(s) { return s == null ? '–' : s.toFixed(6).replace(/0{1,3}$/, '') + ' s'; }

  var plots = [];
  data.plots.forEach(function (p) {
    var el = document.getElementById('plot-' + p.id);
    if (!el || !p.series.length) return;
    var fmt = p.unit === 'bytes' ? fmtBytes : fmtCount;
    var series = [{ label: 'virtual time', value: function (u, v) { return fmtSec(v); } }];
    var strokes = [];
    p.series.forEach(function (s) {
      var color = s.kind === 'limit' ? (s.label.indexOf('soft') >= 0 ? '#e08a00' : '#b00020')
        : s.color != null ? COLORS[s.color % COLORS.length] : '#555555';
      var opt = {
        label: s.label,
        stroke: color,
        width: s.kind === 'limit' ? 1 : 1.75,
        value: function (u, v) { return fmt(v); },
      };
      if (s.kind === 'step') {
        opt.paths = uPlot.paths.stepped({ align: 1 });
        opt.fill = p.series.length === 1 ? color + '22' : undefined;
        opt.points = { show: false };
      } else if (s.kind === 'samples') {
        // Dots only: nothing is known of the buffer between two reads.
        opt.paths = function () { return null; };
        opt.points = { show: true, size: 5, fill: color, stroke: color };
      } else {
        opt.dash = [6, 4];
        opt.points = { show: false };
      }
      strokes.push(color);
      series.push(opt);
    });
    var opts = {
      width: Math.max(320, el.clientWidth || 900),
      height: 230,
      scales: {
        x: { time: false },
        // Quantities start at zero: a plot never exaggerates a small change.
        y: { range: function (u, min, max) { return [0, max > 0 ? max * 1.08 : 1]; } },
      },
      // Fixed right padding and y-axis width: the plot area lines up with the lanes above (html.ts CSS: .lanes padding-right 31px, .chart margin-left 107px).
      padding: [12, 32, 0, 0],
      series: series,
      cursor: { sync: { key: 'redsim' }, drag: { x: true, y: false } },
      axes: [
        // Virtual time is whole µs: no tick finer than that.
        { incrs: TIME_INCRS, values: function (u, ticks) { return ticks.map(function (t) { return +t.toFixed(6) + ' s'; }); } },
        p.unit === 'bytes'
          ? { size: 72, incrs: BYTE_INCRS, values: function (u, ticks) { return ticks.map(fmt); } }
          : { size: 72, incrs: COUNT_INCRS, values: function (u, ticks) { return ticks.map(fmt); } },
      ],
    };
    var u = new uPlot(opts, [p.x].concat(p.series.map(function (s) { return s.values; })), el);
    // For tests and tools: the series colours drawn on this plot.
    el.setAttribute('data-strokes', strokes.join(' '));
    plots.push({ u: u, el: el });
  });
  var pending = null;
  window.addEventListener('resize', function () {
    if (pending) return;
    pending = setTimeout(function () {
      pending = null;
      plots.forEach(function (p) { p.u.setSize({ width: Math.max(320, p.el.clientWidth), height: 230 }); });
    }, 100);
  });
  document.documentElement.setAttribute('data-plots-drawn', String(plots.length));
})();
