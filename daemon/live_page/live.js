// sfcrimed's live page: renders each state the daemon pushes on /api/events (the same JSON
// as /api/live; lib/service/include/sfcrimed/live_view.hpp describes it).
'use strict';

const byId = (id) => document.getElementById(id);
const whole = new Intl.NumberFormat('en-US');
const one = new Intl.NumberFormat('en-US', { maximumFractionDigits: 1 });
const palette = ['#1f6feb', '#d1495b', '#edae49', '#00798c', '#6a4c93', '#66a182'];
// Window starts are the calls' wall times as written: drawn as UTC so they read as written.
const asWritten = (ts) => uPlot.tzDate(new Date(ts * 1e3), 'Etc/UTC');
let updates = 0;

function text(id, value) {
  byId(id).textContent = value;
}

function row(cells) {
  const tr = document.createElement('tr');
  for (const [className, content] of cells) {
    const td = document.createElement('td');
    td.className = className;
    if (content instanceof Node) td.append(content); else td.textContent = content;
    tr.append(td);
  }
  return tr;
}

function bar(count, largest) {
  const i = document.createElement('i');
  i.style.width = `${largest > 0 ? (100 * count) / largest : 0}%`;
  return i;
}

function fillTable(id, rows, cellsOf) {
  const table = byId(id);
  table.replaceChildren(...rows.map(cellsOf));
  if (rows.length === 0) table.replaceChildren(row([['', 'nothing counted yet']]));
}

// Every partition of the calls topic, owned or not: lag can never hide an unread one. Its
// owner is a thread here, or a member of the group in another instance (<instance>.<thread>).
function partitionTable(partitions) {
  const isUnowned = (p) => p.owner === null && p.member === null;
  const owner = (p) => {
    if (p.owner !== null) return `thread ${p.owner}`;
    return p.member === null ? 'unowned' : p.member;
  };
  const unowned = partitions.filter(isUnowned);
  text('unowned', unowned.length > 0 ? `${unowned.length} unowned` : '');
  fillTable('partitions', partitions, (p) => {
    const tr = row([['', `p${p.partition}`], ['', owner(p)], ['count', whole.format(p.lag)]]);
    if (isUnowned(p)) tr.className = 'unowned';
    return tr;
  });
}

function crimeTypeTable(id, types) {
  const largest = types.length > 0 ? types[0].count : 0;
  fillTable(id, types, (t) => row([['', t.name], ['count', whole.format(t.count)], ['bar', bar(t.count, largest)]]));
}

// One chart, created on the first data and resized with the window.
class Chart {
  constructor(id, seriesOf) {
    this.element = byId(id);
    this.seriesOf = seriesOf;
    this.plot = null;
    this.names = '';
    window.addEventListener('resize', () => this.plot && this.plot.setSize(this.size()));
  }

  size() {
    return { width: Math.max(300, this.element.clientWidth), height: 260 };
  }

  update(names, data) {
    // New series (another crime type became one of the largest): build it anew.
    if (this.plot && this.names !== names.join('\n')) {
      this.plot.destroy();
      this.plot = null;
    }
    if (!this.plot) {
      this.names = names.join('\n');
      const series = [{}].concat(names.map((name, i) => this.seriesOf(name, palette[i % palette.length])));
      const options = { ...this.size(), tzDate: asWritten, series, axes: [{}, { size: 60 }], legend: { live: false } };
      this.plot = new uPlot(options, data, this.element);
    } else {
      this.plot.setData(data);
    }
  }
}

const line = (label, stroke) => ({ label, stroke, width: 1.5, points: { show: false } });
const hoursChart = new Chart('hours-chart', (label, stroke) => ({ ...line(label, stroke), fill: `${stroke}22` }));
const trendChart = new Chart('trend-chart', line);

// Hourly counts summed per day (as written): a trend reads better than the hours' noise.
function perDay(starts, series) {
  const days = [];
  const sums = series.map(() => []);
  starts.forEach((start, i) => {
    const day = start - (start % 86400);
    if (days.length === 0 || days[days.length - 1] !== day) {
      days.push(day);
      sums.forEach((sum) => sum.push(0));
    }
    series.forEach((counts, s) => { sums[s][sums[s].length - 1] += counts[i]; });
  });
  return [days, ...sums];
}

function render(state) {
  updates += 1;
  text('updates', updates);
  text('status', state.status);
  text('calls', whole.format(state.calls));
  text('malformed', whole.format(state.malformed));
  text('late', whole.format(state.late));
  const p = state.pipeline;
  if (p) {
    text('input-rate', one.format(p.input_rate));
    text('processed-rate', one.format(p.processed_rate));
    text('lag', whole.format(p.lag));
    partitionTable(p.partitions);
    const ms = (v) => (v === null ? '–' : one.format(v));
    text('latency', `${ms(p.latency_ms.p50)} / ${ms(p.latency_ms.p99)}`);
    text('duplicates', whole.format(p.duplicates));
  } else if (state.ingest) {
    text('input-rate', one.format(state.ingest.rate));
  }

  const w = state.current_window;
  text('window', w ? `${w.start.replace('T', ' ').slice(0, 16)} to ${w.end.slice(11, 16)}, ${whole.format(w.calls)} calls` : '');
  crimeTypeTable('window-types', w ? w.crime_types : []);
  text('type-count', `(${whole.format(state.crime_type_count)} kinds; the largest)`);
  crimeTypeTable('types', state.crime_types);
  const largest = state.dispositions.length > 0 ? state.dispositions[0].count : 0;
  fillTable('dispositions', state.dispositions, (d) =>
    row([['code', d.code], ['', d.description ?? '(not in the radio-code table)'],
      ['count', whole.format(d.count)], ['bar', bar(d.count, largest)]]));

  if (state.windows.start.length > 0) {
    hoursChart.update(['calls'], [state.windows.start, state.windows.calls]);
    trendChart.update(state.trend.names, perDay(state.windows.start, state.trend.counts));
  }
}

function connect() {
  const events = new EventSource('/api/events');
  events.onopen = () => {
    byId('connection').className = 'up';
    text('connection', 'live');
  };
  events.onmessage = (message) => render(JSON.parse(message.data));
  // EventSource reconnects by itself (after the 2 s the daemon asks for).
  events.onerror = () => {
    byId('connection').className = 'down';
    text('connection', 'disconnected, retrying');
  };
}

connect();
