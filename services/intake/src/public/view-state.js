/*
 * view-state.js — the pure part of the spectest page: formatting helpers and the
 * "apply a snapshot / apply an event" logic that turns the server's progress stream into
 * the state the page renders. No DOM, no network: that lives in app.js.
 *
 * Written as a tiny UMD so the same file is a plain <script> in the browser (window.ViewState)
 * and a CommonJS module in Node (unit tests in tests/web/view-state.spec.ts). Kept in ES2017-ish
 * syntax, because the page has no build step. Its one dependency is the terminal check of
 * @spectest/contracts, handed in: on the page from the SDK's browser build (window.SpectestClient);
 * in Node the module is that factory, and the tests give it the package.
 */
(function (root, factory) {
  'use strict';
  if (typeof module === 'object' && module && module.exports) module.exports = factory;
  else if (root.SpectestClient) root.ViewState = factory(root.SpectestClient); // app.js says so when it is missing
})(typeof self !== 'undefined' ? self : this, function (contracts) {
  'use strict';

  /** The stages of a task, in the only order they may run (API.md "Words"). */
  var STAGES = ['parsing', 'foundation', 'enhancing', 'packaging'];
  /** Enough history to be useful without letting a long AI run (one event per token chunk) grow the DOM forever. */
  var MAX_LOG_ENTRIES = 1000;

  var isTerminalStatus = contracts.isTerminalStatus;
  var isTerminalEvent = contracts.isTerminalEvent;

  function pendingStages() {
    return STAGES.map(function (name) {
      return { name: name, status: 'pending', startedAt: null, finishedAt: null, durationMs: null };
    });
  }

  /** The view before anything is known about the task: seq 0, so every real event or snapshot is newer. */
  function createViewState(taskId) {
    return {
      taskId: taskId || null,
      name: '',
      status: 'queued',
      stage: null,
      progress: 0,
      message: '',
      seq: 0,
      endpointCount: null,
      currentEndpoint: null,
      endpoint: null,
      stages: pendingStages(),
      tokens: { prompt: 0, completion: 0, total: 0, perSecond: 0 },
      etaMs: null,
      elapsedMs: 0,
      result: null,
      error: null,
      warnings: [],
      /** [{ seq, type, message, timestamp }] sorted by seq, one entry per seq. */
      log: [],
      terminal: false,
    };
  }

  function copyStages(stages) {
    return (stages || []).map(function (s) {
      return Object.assign({}, s);
    });
  }

  /**
   * Insert a log entry keeping the log sorted by seq with no duplicates. Events can reach us
   * twice (a replay after reconnect overlaps what we saw) or late (history replayed after a
   * snapshot already moved the view on), so the log is keyed by seq rather than appended blindly.
   */
  function insertLogEntry(log, entry) {
    var i = log.length;
    while (i > 0 && log[i - 1].seq > entry.seq) i--;
    if (i > 0 && log[i - 1].seq === entry.seq) {
      // Same seq already there: keep the first copy, unless it was only a placeholder taken from a snapshot.
      if (!log[i - 1].fromSnapshot) return log;
      var replaced = log.slice();
      replaced[i - 1] = entry;
      return replaced;
    }
    if (log.length >= MAX_LOG_ENTRIES && i === 0) return log; // older than everything we keep
    var next = log.slice(0, i).concat([entry], log.slice(i));
    if (next.length > MAX_LOG_ENTRIES) next = next.slice(next.length - MAX_LOG_ENTRIES);
    return next;
  }

  function msBetween(fromIso, toIso) {
    var a = Date.parse(fromIso);
    var b = Date.parse(toIso);
    if (!isFinite(a) || !isFinite(b)) return null;
    return Math.max(0, b - a);
  }

  function closeStage(info, status, atIso) {
    var startedAt = info.startedAt || atIso;
    return Object.assign({}, info, {
      status: status,
      startedAt: startedAt,
      finishedAt: atIso,
      durationMs: info.durationMs != null && info.finishedAt ? info.durationMs : msBetween(startedAt, atIso),
    });
  }

  /**
   * Events carry the current stage but not the per-stage table the snapshot has, so we
   * re-derive it the way the server's reducer does: entering a later stage closes the earlier
   * ones (running -> done, pending -> skipped); `<stage>.skipped` / `<stage>.done` message keys
   * close the stage itself; the terminal event closes whatever is still open. The snapshot
   * fetched after the terminal event replaces this with the server's exact numbers.
   */
  function deriveStages(stages, ev) {
    var next = copyStages(stages && stages.length ? stages : pendingStages());
    var at = ev.timestamp || null;
    var target = ev.stage ? STAGES.indexOf(ev.stage) : -1;
    if (target !== -1 && next[target]) {
      for (var i = 0; i < target; i++) {
        if (next[i].status === 'running') next[i] = closeStage(next[i], 'done', at);
        else if (next[i].status === 'pending') next[i] = closeStage(next[i], 'skipped', at);
      }
      var info = next[target];
      var key = String(ev.messageKey || '');
      var open = info.status === 'pending' || info.status === 'running';
      if (open) {
        if (key === ev.stage + '.skipped') next[target] = closeStage(info, 'skipped', at);
        else if (key === ev.stage + '.done') next[target] = closeStage(info, 'done', at);
        else if (!isTerminalEvent(ev)) next[target] = Object.assign({}, info, { status: 'running', startedAt: info.startedAt || at });
      }
    }
    if (ev.type === 'completed') {
      next = next.map(function (s) {
        if (s.status === 'running') return closeStage(s, 'done', at);
        if (s.status === 'pending') return closeStage(s, 'skipped', at);
        return s;
      });
    } else if (isTerminalEvent(ev)) {
      var closing = ev.type === 'failed' ? 'failed' : 'skipped';
      next = next.map(function (s) {
        return s.status === 'running' ? closeStage(s, closing, at) : s;
      });
    }
    return next;
  }

  function addWarning(warnings, text) {
    if (!text || warnings.indexOf(text) !== -1) return warnings;
    return warnings.concat([text]);
  }

  /**
   * Apply one event (same JSON on Socket.IO and SSE). Rules:
   * - an event of another task is ignored (a socket may watch several tasks);
   * - every event lands in the log once, in seq order (dedup by seq);
   * - only an event newer than what the view shows (seq > state.seq) changes the view, so a
   *   replayed or out-of-order older event can never move the page backwards;
   * - nothing changes the view after a terminal event (the server sends exactly one, last);
   * - `progress` never goes down, even if an older-looking value slips through.
   * Returns a new state object; the input is not modified.
   */
  function applyEvent(state, ev) {
    if (!ev || typeof ev.seq !== 'number' || !isFinite(ev.seq)) return state;
    if (state.taskId && ev.taskId && ev.taskId !== state.taskId) return state;

    var log = insertLogEntry(state.log, {
      seq: ev.seq,
      type: ev.type || 'progress',
      message: ev.message || '',
      timestamp: ev.timestamp || null,
    });
    if (ev.seq <= state.seq || state.terminal) {
      return log === state.log ? state : Object.assign({}, state, { log: log });
    }

    var terminal = isTerminalEvent(ev);
    var next = Object.assign({}, state, {
      log: log,
      seq: ev.seq,
      status: terminal ? ev.type : ev.status || state.status,
      stage: ev.stage !== undefined ? ev.stage : state.stage,
      progress: Math.max(state.progress || 0, typeof ev.progress === 'number' ? ev.progress : 0),
      message: ev.message != null ? ev.message : state.message,
      endpointCount: ev.endpointCount != null ? ev.endpointCount : state.endpointCount,
      currentEndpoint: ev.currentEndpoint != null ? ev.currentEndpoint : state.currentEndpoint,
      endpoint: ev.endpoint !== undefined ? ev.endpoint : state.endpoint,
      tokens: ev.tokens || state.tokens,
      etaMs: ev.etaMs !== undefined ? ev.etaMs : state.etaMs,
      elapsedMs: typeof ev.elapsedMs === 'number' ? ev.elapsedMs : state.elapsedMs,
      stages: deriveStages(state.stages, ev),
      terminal: terminal,
    });
    if (ev.type === 'completed') {
      next.progress = 100;
      next.etaMs = 0;
      if (ev.result) next.result = ev.result;
    }
    if (ev.type === 'failed' && ev.error) next.error = ev.error;
    // Events do not carry the snapshot's `warnings`; the model-fallback message is exactly that warning.
    if (ev.messageKey === 'enhancing.fallback') next.warnings = addWarning(state.warnings, ev.message);
    return next;
  }

  /**
   * Apply a snapshot (GET /v1/tasks/{id}, the socket ack, the cancel answer). A snapshot is
   * authoritative for everything it covers, so it replaces the view when it is at least as new
   * as what we show; an older one (an ack that lost the race with live events) is ignored.
   * The log is kept: it is built from events only, plus a placeholder for the snapshot's own
   * message so a page that only follows from here still shows where the task stood.
   */
  function applySnapshot(state, snap) {
    if (!snap || typeof snap.seq !== 'number') return state;
    if (state.taskId && snap.taskId && snap.taskId !== state.taskId) return state;
    if (snap.seq < state.seq) return state;
    var log = state.log;
    if (snap.seq > 0 && snap.message) {
      log = insertLogEntry(log, {
        seq: snap.seq,
        type: isTerminalStatus(snap.status) ? snap.status : 'progress',
        message: snap.message,
        timestamp: snap.finishedAt || null,
        fromSnapshot: true,
      });
    }
    return Object.assign({}, state, {
      taskId: snap.taskId || state.taskId,
      name: snap.name != null ? snap.name : state.name,
      status: snap.status || state.status,
      stage: snap.stage !== undefined ? snap.stage : state.stage,
      progress: Math.max(snap.seq === state.seq ? state.progress : 0, snap.progress || 0),
      message: snap.message != null ? snap.message : state.message,
      seq: snap.seq,
      endpointCount: snap.endpointCount !== undefined ? snap.endpointCount : state.endpointCount,
      currentEndpoint: snap.currentEndpoint !== undefined ? snap.currentEndpoint : state.currentEndpoint,
      stages: snap.stages && snap.stages.length ? copyStages(snap.stages) : state.stages,
      tokens: snap.tokens || state.tokens,
      etaMs: snap.etaMs !== undefined ? snap.etaMs : state.etaMs,
      elapsedMs: typeof snap.elapsedMs === 'number' ? snap.elapsedMs : state.elapsedMs,
      result: snap.result !== undefined ? snap.result : state.result,
      error: snap.error !== undefined ? snap.error : state.error,
      warnings: Array.isArray(snap.warnings) ? snap.warnings.slice() : state.warnings,
      log: log,
      terminal: isTerminalStatus(snap.status),
    });
  }

  /** "—" when unknown, "<1 s", "42 s", "3 min 05 s", "1 h 02 min": short and stable for an ETA. */
  function formatDuration(ms) {
    if (ms == null || typeof ms !== 'number' || !isFinite(ms) || ms < 0) return '—';
    if (ms < 1000) return '<1 s';
    var totalSeconds = Math.round(ms / 1000);
    if (totalSeconds < 60) return totalSeconds + ' s';
    var minutes = Math.floor(totalSeconds / 60);
    var seconds = totalSeconds % 60;
    if (minutes < 60) return minutes + ' min ' + pad2(seconds) + ' s';
    var hours = Math.floor(minutes / 60);
    return hours + ' h ' + pad2(minutes % 60) + ' min';
  }

  /** Stage durations are often milliseconds, so they keep sub-second detail: "12 ms", "1.4 s", then formatDuration. */
  function formatStageDuration(ms) {
    if (ms == null || typeof ms !== 'number' || !isFinite(ms) || ms < 0) return '';
    if (ms < 1000) return Math.round(ms) + ' ms';
    if (ms < 10000) return (Math.round(ms / 100) / 10).toFixed(1) + ' s';
    return formatDuration(ms);
  }

  function pad2(n) {
    return n < 10 ? '0' + n : String(n);
  }

  /** Binary units, as a download size: "512 B", "12.1 KiB", "3.4 MiB". */
  function formatBytes(bytes) {
    if (bytes == null || typeof bytes !== 'number' || !isFinite(bytes) || bytes < 0) return '—';
    if (bytes < 1024) return Math.round(bytes) + ' B';
    var units = ['KiB', 'MiB', 'GiB', 'TiB'];
    var value = bytes;
    var unit = -1;
    do {
      value /= 1024;
      unit++;
    } while (value >= 1024 && unit < units.length - 1);
    return (value >= 100 ? Math.round(value) : Math.round(value * 10) / 10) + ' ' + units[unit];
  }

  /** Whole percent for people; floor so "100%" only shows when the task really reached 100. */
  function formatPercent(progress) {
    var p = typeof progress === 'number' && isFinite(progress) ? progress : 0;
    p = Math.min(100, Math.max(0, p));
    return (p >= 100 ? 100 : Math.floor(p)) + '%';
  }

  /** "1.2/s" style rate with at most one decimal; "" when there is no rate to show. */
  function formatRate(perSecond) {
    if (typeof perSecond !== 'number' || !isFinite(perSecond) || perSecond <= 0) return '';
    return (Math.round(perSecond * 10) / 10).toString() + ' tokens/s';
  }

  /** The download address: the server's own when it gave one, otherwise the documented path. */
  function artifactUrl(state) {
    var url = state && state.result && state.result.artifact && state.result.artifact.url;
    if (url) return url;
    return '/v1/tasks/' + encodeURIComponent(state && state.taskId ? state.taskId : '') + '/artifact';
  }

  /** `#task=<id>` -> id (or null). Other hash parameters are tolerated so links can grow. */
  function taskIdFromHash(hash) {
    var h = String(hash || '').replace(/^#/, '');
    var parts = h.split('&');
    for (var i = 0; i < parts.length; i++) {
      var kv = parts[i].split('=');
      if (kv[0] === 'task' && kv[1]) {
        try {
          return decodeURIComponent(kv.slice(1).join('='));
        } catch (_e) {
          return null;
        }
      }
    }
    return null;
  }

  function hashForTask(taskId) {
    return '#task=' + encodeURIComponent(taskId);
  }

  /**
   * One readable line from an HTTP error: problem+json gives title/detail/code; anything else
   * falls back to the status. Returned as parts so the page can lay them out.
   */
  function describeProblem(status, body) {
    var p = body && typeof body === 'object' ? body : {};
    return {
      title: p.title || (status ? 'Request failed (HTTP ' + status + ')' : 'Request failed'),
      detail: p.detail || (typeof body === 'string' && body.trim() ? body.trim().slice(0, 500) : ''),
      code: p.code || '',
      status: p.status || status || null,
    };
  }

  return {
    STAGES: STAGES,
    createViewState: createViewState,
    applyEvent: applyEvent,
    applySnapshot: applySnapshot,
    deriveStages: deriveStages,
    formatDuration: formatDuration,
    formatStageDuration: formatStageDuration,
    formatBytes: formatBytes,
    formatPercent: formatPercent,
    formatRate: formatRate,
    artifactUrl: artifactUrl,
    taskIdFromHash: taskIdFromHash,
    hashForTask: hashForTask,
    describeProblem: describeProblem,
    MAX_LOG_ENTRIES: MAX_LOG_ENTRIES,
  };
});
