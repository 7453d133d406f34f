// lmmbench HTML report: sortable tables and the sample browser. Untrusted text (questions, model
// answers, gold answers) is only ever assigned with textContent, never parsed as HTML; the only
// URLs used are the data: thumbnails the report itself embeds.
(function () {
  'use strict';

  function el(tag, className, text) {
    var node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined && text !== null) node.textContent = String(text);
    return node;
  }

  // ---- sortable tables: click a header; cells may carry data-v (a number) to sort by.
  function sortValue(row, index) {
    var cell = row.cells[index];
    if (!cell) return '';
    var v = cell.getAttribute('data-v');
    if (v !== null && v !== '') return parseFloat(v);
    return cell.textContent.trim().toLowerCase();
  }
  function makeSortable(table) {
    var heads = table.tHead ? table.tHead.rows[0].cells : [];
    Array.prototype.forEach.call(heads, function (th, index) {
      th.addEventListener('click', function () {
        var ascending = th.getAttribute('aria-sort') !== 'ascending';
        Array.prototype.forEach.call(heads, function (h) { h.removeAttribute('aria-sort'); });
        th.setAttribute('aria-sort', ascending ? 'ascending' : 'descending');
        var body = table.tBodies[0];
        var rows = Array.prototype.slice.call(body.rows);
        rows.sort(function (a, b) {
          var x = sortValue(a, index), y = sortValue(b, index);
          var nx = typeof x === 'number' && !isNaN(x), ny = typeof y === 'number' && !isNaN(y);
          if (nx && !ny) return -1;  // numbers before text ("n/a", outcomes) either way
          if (!nx && ny) return 1;
          if (x < y) return ascending ? -1 : 1;
          if (x > y) return ascending ? 1 : -1;
          return 0;
        });
        rows.forEach(function (r) { body.appendChild(r); });
      });
    });
  }
  Array.prototype.forEach.call(document.querySelectorAll('table.sortable'), makeSortable);

  // ---- sample browser
  var source = document.getElementById('sample-data');
  var root = document.getElementById('sample-browser');
  if (source && root) {
    var data = JSON.parse(source.textContent);
    var state = { task: 0, filter: 'all', who: -1, query: '', page: 0, size: 25 };
    var taskSelect = document.getElementById('sb-task');
    var whoSelect = document.getElementById('sb-who');
    var search = document.getElementById('sb-search');
    var body = document.getElementById('sb-body');
    var status = document.getElementById('sb-status');
    var prev = document.getElementById('sb-prev');
    var next = document.getElementById('sb-next');
    var note = document.getElementById('sb-note');
    var buttons = root.querySelectorAll('.seg button');

    data.tasks.forEach(function (t, i) {
      var o = el('option', null, t.name + ' (' + t.samples.length + ')');
      o.value = String(i);
      taskSelect.appendChild(o);
    });

    function fillWho() {
      var t = data.tasks[state.task];
      whoSelect.textContent = '';
      var any = el('option', null, 'any model');
      any.value = '-1';
      whoSelect.appendChild(any);
      t.models.forEach(function (name, i) {
        var o = el('option', null, name);
        o.value = String(i);
        whoSelect.appendChild(o);
      });
      whoSelect.value = String(state.who);
    }

    function failed(a) {
      return !a || a[2] < 1 || a[3] !== 'parsed' || !!a[4];
    }
    function keep(s) {
      if (state.filter === 'failures') {
        if (state.who >= 0) {
          if (!failed(s.a[state.who])) return false;
        } else if (!s.a.some(failed)) {
          return false;
        }
      } else if (state.filter === 'disagreements') {
        if (!s.d) return false;
      }
      if (state.query) {
        var q = state.query;
        var hay = (s.id + '\n' + s.q + '\n' + s.g.map(function (g) { return g[0]; }).join('\n') +
                   '\n' + s.a.map(function (a) { return a && a[0] !== null ? a[0] : ''; }).join('\n'))
                      .toLowerCase();
        if (hay.indexOf(q) < 0) return false;
      }
      return true;
    }

    function markFor(a) {
      if (!a) return el('span', 'mark error', 'no cell');
      if (a[4]) return el('span', 'mark error', 'error: ' + a[4]);
      var score = a[2];
      var text = (score >= 1 ? '\u2713 ' : score > 0 ? '\u25d0 ' : '\u2717 ') + score.toFixed(2);
      var cls = score >= 1 ? 'right' : score > 0 ? 'partial' : 'wrong';
      var m = el('span', 'mark ' + cls, a[3] === 'parsed' ? text : text + ' \u00b7 ' + a[3]);
      return m;
    }

    function row(t, s) {
      var tr = el('tr');
      var thumb = el('td', 'thumb');
      if (s.i >= 0 && data.thumbs[s.i].indexOf('data:image/') === 0) {
        var img = el('img');
        img.alt = 'image of ' + s.id;
        img.src = data.thumbs[s.i];
        thumb.appendChild(img);
      } else {
        thumb.appendChild(el('div', 'noimg', s.n ? s.n + ' image' + (s.n > 1 ? 's' : '') : 'no image'));
      }
      tr.appendChild(thumb);

      var q = el('td');
      var head = el('div', 'sid', s.id + (s.c ? ' \u00b7 ' + s.c : ''));
      q.appendChild(head);
      q.appendChild(el('div', 'question', s.q || '(no question recorded)'));
      if (s.o.length) {
        var ol = el('ol', 'options');
        ol.type = 'A';
        s.o.forEach(function (o) { ol.appendChild(el('li', null, o)); });
        q.appendChild(ol);
      }
      tr.appendChild(q);

      var gold = el('td', 'gold');
      s.g.forEach(function (g, i) {
        if (i) gold.appendChild(document.createTextNode(', '));
        gold.appendChild(document.createTextNode(g[0]));
        if (g[1] > 1) gold.appendChild(el('span', 'n', ' \u00d7' + g[1]));
      });
      tr.appendChild(gold);

      var answers = el('td');
      var list = el('div', 'answers');
      t.models.forEach(function (name, i) {
        var a = s.a[i];
        var line = el('div', 'ans');
        line.appendChild(el('span', 'who', name));
        if (a && a[0] !== null) {
          line.appendChild(el('span', 'pred', a[0]));
        } else {
          line.appendChild(el('span', 'pred none', 'no answer'));
        }
        line.appendChild(markFor(a));
        list.appendChild(line);
        if (a && a[5]) {  // a judge-scored task: the judge's verdict of each judge run
          a[5].forEach(function (reply, run) {
            var verdict = el('div', 'ans judge');
            verdict.appendChild(el('span', 'who', a[5].length > 1 ? 'judge ' + (run + 1) : 'judge'));
            verdict.appendChild(el('span', 'pred', reply));
            list.appendChild(verdict);
          });
        }
      });
      answers.appendChild(list);
      tr.appendChild(answers);
      return tr;
    }

    function render() {
      var t = data.tasks[state.task];
      var kept = t.samples.filter(keep);
      var pages = Math.max(1, Math.ceil(kept.length / state.size));
      if (state.page >= pages) state.page = pages - 1;
      var start = state.page * state.size;
      var shown = kept.slice(start, start + state.size);
      body.textContent = '';
      shown.forEach(function (s) { body.appendChild(row(t, s)); });
      if (!shown.length) {
        var tr = el('tr');
        var td = el('td', 'empty', 'No sample matches.');
        td.colSpan = 4;
        tr.appendChild(td);
        body.appendChild(tr);
      }
      status.textContent = kept.length ?
          (start + 1) + '\u2013' + (start + shown.length) + ' of ' + kept.length +
              (kept.length !== t.samples.length ? ' (of ' + t.samples.length + ')' : '') :
          '0 of ' + t.samples.length;
      prev.disabled = state.page === 0;
      next.disabled = state.page >= pages - 1;
      note.textContent = t.omitted ?
          t.omitted + ' more samples are not in this report (cap ' + data.cap + ' per task).' : '';
      whoSelect.disabled = state.filter !== 'failures';
    }

    taskSelect.addEventListener('change', function () {
      state.task = parseInt(taskSelect.value, 10);
      state.who = -1;
      state.page = 0;
      fillWho();
      render();
    });
    whoSelect.addEventListener('change', function () {
      state.who = parseInt(whoSelect.value, 10);
      state.page = 0;
      render();
    });
    search.addEventListener('input', function () {
      state.query = search.value.trim().toLowerCase();
      state.page = 0;
      render();
    });
    Array.prototype.forEach.call(buttons, function (b) {
      b.addEventListener('click', function () {
        state.filter = b.getAttribute('data-filter');
        state.page = 0;
        Array.prototype.forEach.call(buttons, function (x) {
          x.setAttribute('aria-pressed', x === b ? 'true' : 'false');
        });
        render();
      });
    });
    prev.addEventListener('click', function () { state.page -= 1; render(); });
    next.addEventListener('click', function () { state.page += 1; render(); });
    fillWho();
    render();
  }
  document.documentElement.setAttribute('data-report-ready', '1');
})();
