/*
 * app.js — the spectest page. Three parts, top to bottom:
 *   1. HTTP helpers   (fetch with the optional bearer token, problem+json errors)
 *   2. transport      (Socket.IO when the server offers it, Server-Sent Events otherwise)
 *   3. render         (state -> DOM; nothing here talks to the network)
 * plus the controller that wires the form, the hash and the transports together.
 * The pure state logic (dedup by seq, formatting) is in view-state.js so it can be unit tested.
 */
(function () {
  'use strict';

  var VS = window.ViewState;
  var TOKEN_KEY = 'token';
  var EVENT_TYPES = ['progress', 'completed', 'failed', 'cancelled'];

  function $(id) {
    return document.getElementById(id);
  }

  /* ------------------------------------------------------------------ 1. HTTP */

  function readToken() {
    try {
      return (localStorage.getItem(TOKEN_KEY) || '').trim();
    } catch (_e) {
      return ''; // storage can be blocked (private mode, file://); dev mode needs no token anyway
    }
  }

  function saveToken(value) {
    try {
      if (value) localStorage.setItem(TOKEN_KEY, value);
      else localStorage.removeItem(TOKEN_KEY);
    } catch (_e) {
      /* see readToken */
    }
  }

  function authHeaders(extra) {
    var headers = Object.assign({ Accept: 'application/json' }, extra || {});
    var token = readToken();
    if (token) headers.Authorization = 'Bearer ' + token;
    return headers;
  }

  /** An Error carrying the parsed problem (title/detail/code/status) so callers can show it as is. */
  function ProblemError(problem) {
    var err = new Error(problem.title + (problem.detail ? ': ' + problem.detail : ''));
    err.problem = problem;
    return err;
  }

  /** fetch + JSON; non-2xx answers become a ProblemError built from problem+json when there is one. */
  function apiRequest(method, path, options) {
    var opts = options || {};
    return fetch(path, { method: method, headers: authHeaders(opts.headers), body: opts.body })
      .catch(function () {
        throw ProblemError({ title: 'Cannot reach the server', detail: 'Check your connection and try again.', code: '', status: null });
      })
      .then(function (res) {
        return res.text().then(function (text) {
          var body = text;
          try {
            body = text ? JSON.parse(text) : null;
          } catch (_e) {
            /* not JSON: keep the text for the error message */
          }
          if (res.ok) return { status: res.status, body: body };
          var problem = VS.describeProblem(res.status, body);
          var retryAfter = res.headers.get('Retry-After');
          if (retryAfter && !problem.detail) problem.detail = 'Try again in ' + retryAfter + ' s.';
          else if (retryAfter) problem.detail += ' (retry in ' + retryAfter + ' s)';
          throw ProblemError(problem);
        });
      });
  }

  function getSnapshot(taskId) {
    return apiRequest('GET', '/v1/tasks/' + encodeURIComponent(taskId)).then(function (r) {
      return r.body;
    });
  }

  /* ------------------------------------------------------------- 2. transport */

  /**
   * Socket.IO: one socket on namespace /tasks. `connect` fires on every (re)connection, and the
   * server forgets subscriptions with the old connection, so we subscribe again each time with
   * the last seq this stream delivered: the server then replays exactly what we missed.
   */
  function watchWithSocket(taskId, afterSeq, handlers) {
    var lastSeq = afterSeq;
    var everConnected = false;
    var stopped = false;
    var socket = window.io('/tasks', { auth: { token: readToken() }, forceNew: true });

    function onEvent(ev) {
      if (!ev || ev.taskId !== taskId || stopped) return;
      if (typeof ev.seq === 'number' && ev.seq > lastSeq) lastSeq = ev.seq;
      handlers.onEvent(ev);
    }

    socket.on('connect', function () {
      everConnected = true;
      handlers.onStatus('live (Socket.IO)');
      socket.emit('subscribe', { taskId: taskId, afterSeq: lastSeq }, function (ack) {
        if (stopped) return;
        if (!(ack && ack.ok)) return handlers.onFatal(subscribeProblem(ack));
        handlers.onSnapshot(ack.snapshot);
        // An ended task replays its events right after the ack; if none come (expired), stop anyway.
        if (ack.snapshot && VS.isTerminalStatus(ack.snapshot.status)) {
          setTimeout(function () {
            if (!stopped) handlers.onEnded();
          }, 5000);
        }
      });
    });
    socket.on('connect_error', function (err) {
      if (stopped) return;
      if (err && err.message === 'unauthorized') {
        handlers.onFatal({ title: 'Not authorised', detail: 'Set a valid access token and reload.', code: 'unauthorized' });
      } else if (!everConnected) {
        // Script loaded but the namespace is not reachable (proxy, another origin): SSE still may be.
        handlers.onFallback(lastSeq);
      } else {
        handlers.onStatus('reconnecting…');
      }
    });
    socket.on('disconnect', function (reason) {
      if (stopped) return;
      handlers.onStatus('reconnecting…');
      // The client only retries by itself when the server did not close on purpose.
      if (reason === 'io server disconnect') socket.connect();
    });
    EVENT_TYPES.forEach(function (type) {
      socket.on(type, onEvent);
    });

    return {
      stop: function () {
        if (stopped) return;
        stopped = true;
        if (socket.connected) socket.emit('unsubscribe', { taskId: taskId });
        socket.disconnect();
      },
    };
  }

  function subscribeProblem(ack) {
    var code = ack && ack.error && ack.error.code;
    if (code === 'not_found') return { title: 'Task not found', detail: 'It may have expired or belong to someone else.', code: code };
    return { title: 'Cannot follow this task', detail: (ack && ack.error && ack.error.message) || '', code: code || '' };
  }

  /**
   * Server-Sent Events fallback. We reopen the stream ourselves with ?after=<last seq> instead of
   * relying on EventSource's own retry, because that retry keeps the original ?after and a server
   * may prefer it over Last-Event-ID; duplicates would be harmless (dedup by seq) but wasteful.
   */
  function watchWithSse(taskId, afterSeq, handlers) {
    var lastSeq = afterSeq;
    var stopped = false;
    var source = null;
    var retryTimer = null;
    var retryDelay = 1000;

    function open() {
      var url = '/v1/tasks/' + encodeURIComponent(taskId) + '/events?after=' + lastSeq;
      var token = readToken();
      // EventSource cannot set headers; the API accepts the token as a query parameter here.
      if (token) url += '&access_token=' + encodeURIComponent(token);
      source = new EventSource(url);
      source.onopen = function () {
        retryDelay = 1000;
        handlers.onStatus('live (Server-Sent Events)');
      };
      EVENT_TYPES.forEach(function (type) {
        source.addEventListener(type, function (msg) {
          if (stopped) return;
          var ev;
          try {
            ev = JSON.parse(msg.data);
          } catch (_e) {
            return; // a malformed message must not kill the page
          }
          if (typeof ev.seq === 'number' && ev.seq > lastSeq) lastSeq = ev.seq;
          handlers.onEvent(ev);
        });
      });
      source.onerror = function () {
        if (stopped) return;
        source.close();
        handlers.onStatus('reconnecting…');
        retryTimer = setTimeout(reconnect, retryDelay);
        retryDelay = Math.min(retryDelay * 2, 15000);
      };
    }

    /** EventSource hides the HTTP status, so ask the REST API why before reopening (404, 401…). */
    function reconnect() {
      if (stopped) return;
      getSnapshot(taskId).then(
        function (snap) {
          if (stopped) return;
          handlers.onSnapshot(snap);
          // The server closes the stream after the terminal event; if we only learn the end from
          // the snapshot (events expired), reopening would loop forever, so end here.
          if (snap && VS.isTerminalStatus(snap.status)) handlers.onEnded();
          else if (!stopped) open();
        },
        function (err) {
          if (stopped) return;
          var p = err.problem || {};
          if (p.status === 404 || p.status === 401 || p.status === 403) handlers.onFatal(p);
          else retryTimer = setTimeout(reconnect, retryDelay); // server unreachable: keep trying quietly
        },
      );
    }

    open();
    return {
      stop: function () {
        stopped = true;
        clearTimeout(retryTimer);
        if (source) source.close();
      },
    };
  }

  function socketIoAvailable() {
    return typeof window.io === 'function';
  }

  /* ---------------------------------------------------------------- 3. render */

  var STAGE_LABELS = { parsing: 'Parsing', foundation: 'Foundation cases', enhancing: 'AI enhancement', packaging: 'Packaging' };
  var STATUS_LABELS = { queued: 'Queued', running: 'Running', completed: 'Completed', failed: 'Failed', cancelled: 'Cancelled' };

  function setText(id, text) {
    var el = $(id);
    if (el.textContent !== text) el.textContent = text;
  }

  function showFact(id, visible) {
    $(id).hidden = !visible;
  }

  function renderProblem(container, problem) {
    container.textContent = '';
    if (!problem) {
      container.hidden = true;
      return;
    }
    var title = document.createElement('strong');
    title.textContent = problem.title || 'Error';
    container.appendChild(title);
    if (problem.code) {
      var code = document.createElement('code');
      code.className = 'code';
      code.textContent = problem.code;
      container.appendChild(document.createTextNode(' '));
      container.appendChild(code);
    }
    if (problem.detail) {
      var detail = document.createElement('p');
      detail.textContent = problem.detail;
      container.appendChild(detail);
    }
    container.hidden = false;
  }

  function renderTask(state) {
    $('task-panel').hidden = false;
    setText('task-name-out', state.name || '');
    setText('task-id', state.taskId || '');

    var stageText = state.stage && !state.terminal ? ' — ' + (STAGE_LABELS[state.stage] || state.stage) : '';
    setText('task-status', (STATUS_LABELS[state.status] || state.status) + stageText);
    $('task-panel').setAttribute('data-status', state.status);

    var percent = VS.formatPercent(state.progress);
    var bar = $('progress-bar');
    bar.setAttribute('aria-valuenow', String(parseInt(percent, 10)));
    bar.setAttribute('aria-valuetext', percent + stageText);
    $('progress-fill').style.width = percent;
    setText('progress-text', percent);

    renderStages(state.stages);
    setText('current-message', state.message || '');

    var hasEndpoints = !!state.endpointCount && !state.terminal && state.currentEndpoint != null;
    showFact('fact-endpoint', hasEndpoints);
    if (hasEndpoints) {
      setText('endpoint-out', state.currentEndpoint + ' of ' + state.endpointCount + (state.endpoint ? ' · ' + state.endpoint : ''));
    }
    showFact('fact-eta', !state.terminal && state.etaMs != null);
    setText('eta-out', VS.formatDuration(state.etaMs));
    showFact('fact-elapsed', state.elapsedMs > 0);
    setText('elapsed-out', VS.formatDuration(state.elapsedMs));
    var tokens = state.tokens || {};
    showFact('fact-tokens', tokens.total > 0);
    if (tokens.total > 0) {
      var rate = VS.formatRate(tokens.perSecond);
      setText('tokens-out', tokens.total + ' (' + tokens.prompt + ' prompt + ' + tokens.completion + ' completion)' + (rate ? ' · ' + rate : ''));
    }

    renderWarnings(state.warnings || []);
    renderOutcome(state);
    renderLog(state.log);

    var following = !state.terminal && !(current && current.fatal);
    $('cancel-button').hidden = !following;
    $('new-task-button').hidden = following;
  }

  function renderStages(stages) {
    var list = $('stages');
    list.textContent = '';
    stages.forEach(function (s) {
      var li = document.createElement('li');
      li.className = 'stage stage-' + s.status;
      var name = document.createElement('span');
      name.className = 'stage-name';
      name.textContent = STAGE_LABELS[s.name] || s.name;
      var status = document.createElement('span');
      status.className = 'stage-status';
      var duration = s.status === 'done' || s.status === 'failed' ? VS.formatStageDuration(s.durationMs) : '';
      status.textContent = s.status + (duration ? ' · ' + duration : '');
      li.appendChild(name);
      li.appendChild(status);
      if (s.status === 'running') li.setAttribute('aria-current', 'step');
      list.appendChild(li);
    });
  }

  function renderWarnings(warnings) {
    $('warnings').hidden = warnings.length === 0;
    var list = $('warnings-list');
    if (list.childElementCount === warnings.length) return;
    list.textContent = '';
    warnings.forEach(function (w) {
      var li = document.createElement('li');
      li.textContent = w;
      list.appendChild(li);
    });
  }

  function renderOutcome(state) {
    var box = $('outcome');
    box.textContent = '';
    box.className = 'outcome';
    if (!state.terminal) {
      box.hidden = true;
      return;
    }
    box.hidden = false;
    if (state.status === 'completed') {
      box.classList.add('outcome-ok');
      var link = document.createElement('a');
      link.href = VS.artifactUrl(state);
      link.className = 'download';
      link.setAttribute('download', (state.name || state.taskId || 'spectest') + '-tests.zip');
      var artifact = state.result && state.result.artifact;
      link.textContent = 'Download tests (ZIP' + (artifact && artifact.bytes != null ? ', ' + VS.formatBytes(artifact.bytes) : '') + ')';
      link.addEventListener('click', downloadWithToken);
      box.appendChild(link);
      if (state.result && state.result.caseCount != null) {
        var summary = document.createElement('p');
        summary.textContent =
          state.result.caseCount + ' test cases (' + state.result.foundationCaseCount + ' foundation, ' + state.result.aiCaseCount + ' from AI)';
        box.appendChild(summary);
      }
    } else if (state.status === 'failed') {
      box.classList.add('outcome-failed');
      var err = state.error || {};
      renderProblem(box, { title: 'Failed', code: err.code || '', detail: err.message || state.message || '' });
    } else {
      box.classList.add('outcome-cancelled');
      box.textContent = 'Cancelled';
    }
  }

  /**
   * A plain link cannot send the Authorization header. In dev mode (no token) the link works
   * as is; with a token we fetch the ZIP ourselves and hand the browser a blob to save.
   */
  function downloadWithToken(e) {
    var token = readToken();
    if (!token) return;
    e.preventDefault();
    var link = e.currentTarget;
    fetch(link.href, { headers: { Authorization: 'Bearer ' + token } })
      .then(function (res) {
        if (!res.ok) throw new Error('HTTP ' + res.status);
        return res.blob();
      })
      .then(function (blob) {
        var url = URL.createObjectURL(blob);
        var a = document.createElement('a');
        a.href = url;
        a.download = link.getAttribute('download') || 'tests.zip';
        document.body.appendChild(a);
        a.click();
        a.remove();
        setTimeout(function () {
          URL.revokeObjectURL(url);
        }, 10000);
      })
      .catch(function (err) {
        renderProblem($('watch-error'), { title: 'Download failed', detail: err.message, code: '' });
      });
  }

  /**
   * The log can hold a thousand lines and events arrive many times a second, so append when the
   * new log only grew at the end (the usual case) and rebuild only when history was inserted.
   */
  var renderedLog = [];
  function renderLog(log) {
    var list = $('log');
    var nearBottom = list.scrollHeight - list.scrollTop - list.clientHeight < 40;
    var n = renderedLog.length;
    var appendOnly = log.length >= n && (n === 0 || (log[0] === renderedLog[0] && log[n - 1] === renderedLog[n - 1]));
    if (!appendOnly) {
      list.textContent = '';
      n = 0;
    }
    for (var i = n; i < log.length; i++) list.appendChild(logLine(log[i]));
    renderedLog = log;
    if (nearBottom || !appendOnly) list.scrollTop = list.scrollHeight;
  }

  function logLine(entry) {
    var li = document.createElement('li');
    li.className = 'log-' + entry.type;
    var seq = document.createElement('span');
    seq.className = 'seq';
    seq.textContent = '#' + entry.seq;
    li.appendChild(seq);
    li.appendChild(document.createTextNode(' ' + entry.message));
    return li;
  }

  function resetTaskView() {
    renderedLog = [];
    $('log').textContent = '';
    renderProblem($('watch-error'), null);
    setText('transport', '');
  }

  /* ----------------------------------------------------------- controller */

  var current = null; // { taskId, state, transport, renderQueued }

  /** Many events can arrive in one frame (replays); render once per frame. */
  function scheduleRender() {
    if (!current || current.renderQueued) return;
    current.renderQueued = true;
    var watch = current;
    requestAnimationFrame(function () {
      watch.renderQueued = false;
      if (watch === current) renderTask(watch.state);
    });
  }

  function stopWatching() {
    if (current && current.transport) current.transport.stop();
    current = null;
  }

  /**
   * Follow a task: show what we know (a snapshot when we have one), then stream events from
   * `afterSeq`. Resuming after reload passes 0 so the whole log is rebuilt; older events only
   * fill the log, they never move the view back (see ViewState.applyEvent).
   */
  function watchTask(taskId, initialSnapshot, afterSeq) {
    stopWatching();
    resetTaskView();
    var watch = { taskId: taskId, state: VS.createViewState(taskId), transport: null, renderQueued: false };
    current = watch;
    if (history.replaceState) history.replaceState(null, '', VS.hashForTask(taskId));
    else location.hash = VS.hashForTask(taskId);

    if (initialSnapshot) watch.state = VS.applySnapshot(watch.state, initialSnapshot);
    renderTask(watch.state);
    // A fresh submit has no snapshot (202); SSE never sends one, so fetch it for the name and stage table.
    // applySnapshot ignores it if events already moved past it, so the race is harmless.
    if (!initialSnapshot) getSnapshot(taskId).then(function (snap) { applySnapshotTo(watch, snap); }, function () {});

    var handlers = {
      onEvent: function (ev) {
        if (watch !== current) return;
        watch.state = VS.applyEvent(watch.state, ev);
        scheduleRender();
        // The terminal event is the last one there is (even when it only fills history): stop streaming.
        if (VS.isTerminalStatus(ev.type)) finish(watch);
      },
      onSnapshot: function (snap) {
        if (watch !== current) return;
        watch.state = VS.applySnapshot(watch.state, snap);
        scheduleRender();
      },
      onStatus: function (text) {
        if (watch === current) setText('transport', text);
      },
      onFatal: function (problem) {
        if (watch !== current) return;
        if (watch.transport) watch.transport.stop();
        watch.fatal = true; // keeps Cancel hidden on later renders: we are no longer following the task
        renderProblem($('watch-error'), problem);
        setText('transport', '');
        $('cancel-button').hidden = true;
        $('new-task-button').hidden = false;
      },
      onEnded: function () {
        if (watch === current) finish(watch);
      },
      onFallback: function (seq) {
        if (watch !== current) return;
        watch.transport.stop();
        watch.transport = watchWithSse(taskId, seq, handlers);
      },
    };
    watch.transport = socketIoAvailable() ? watchWithSocket(taskId, afterSeq, handlers) : watchWithSse(taskId, afterSeq, handlers);
  }

  /** Stop the stream and fetch the final snapshot: it has the exact stage durations and warnings events lack. */
  function finish(watch) {
    if (watch.finished) return;
    watch.finished = true;
    watch.transport.stop();
    setText('transport', '');
    getSnapshot(watch.taskId).then(
      function (snap) {
        applySnapshotTo(watch, snap);
      },
      function () {
        /* the events already told the outcome; the snapshot only adds detail */
      },
    );
  }

  /** Reload or a pasted link: look the task up first so a bad id says "not found" instead of spinning. */
  function resumeFromHash() {
    var taskId = VS.taskIdFromHash(location.hash);
    if (!taskId || (current && current.taskId === taskId)) return;
    getSnapshot(taskId).then(
      function (snap) {
        watchTask(taskId, snap, 0);
      },
      function (err) {
        stopWatching();
        resetTaskView();
        $('task-panel').hidden = false;
        setText('task-id', taskId);
        setText('task-status', '');
        renderProblem($('watch-error'), err.problem || { title: 'Cannot load the task', detail: err.message });
        $('cancel-button').hidden = true;
        $('new-task-button').hidden = false;
      },
    );
  }

  function cancelCurrentTask() {
    if (!current) return;
    var watch = current;
    var button = $('cancel-button');
    button.disabled = true;
    apiRequest('POST', '/v1/tasks/' + encodeURIComponent(watch.taskId) + '/cancel')
      .then(function (r) {
        // The `cancelled` event will follow on the stream; the snapshot just makes the click feel immediate.
        applySnapshotTo(watch, r.body);
      })
      .catch(function (err) {
        var p = err.problem || {};
        // 409: it ended meanwhile; show how, rather than an error about a button that is now moot.
        if (p.status === 409) return getSnapshot(watch.taskId).then(function (snap) { applySnapshotTo(watch, snap); }, function () {});
        renderProblem($('watch-error'), p);
      })
      .then(function () {
        button.disabled = false;
      });
  }

  function applySnapshotTo(watch, snap) {
    if (watch !== current || !snap) return;
    watch.state = VS.applySnapshot(watch.state, snap);
    scheduleRender();
  }

  /* ------------------------------------------------------------------ form */

  function selectedFormats(form) {
    return Array.prototype.filter
      .call(form.querySelectorAll('input[name="formats"]'), function (c) {
        return c.checked;
      })
      .map(function (c) {
        return c.value;
      });
  }

  function buildOptions(form) {
    var provider = $('ai-provider').value;
    var ai = { provider: provider };
    var model = $('ai-model').value.trim();
    if (provider !== 'none' && model) ai.model = model;
    return { ai: ai, formats: selectedFormats(form) };
  }

  /**
   * A chosen file goes up as multipart (field `spec`, as the API documents) with `name` and
   * `options` (JSON text) as extra fields; pasted text goes up as JSON `{ spec, name, options }`.
   */
  function buildSubmitRequest(form) {
    var file = $('spec-file').files[0];
    var text = $('spec-text').value;
    var name = $('task-name').value.trim();
    var options = buildOptions(form);
    if (file) {
      var data = new FormData();
      data.append('spec', file, file.name);
      if (name) data.append('name', name);
      data.append('options', JSON.stringify(options));
      return { body: data, headers: {} };
    }
    var payload = { spec: text, options: options };
    if (name) payload.name = name;
    return { body: JSON.stringify(payload), headers: { 'Content-Type': 'application/json' } };
  }

  function validateForm(form) {
    if (!$('spec-file').files[0] && !$('spec-text').value.trim()) {
      return { title: 'No OpenAPI document', detail: 'Choose a YAML or JSON file, or paste the document.', code: '' };
    }
    if (selectedFormats(form).length === 0) {
      return { title: 'No format selected', detail: 'Pick at least one output format.', code: '' };
    }
    return null;
  }

  function onSubmit(e) {
    e.preventDefault();
    var form = e.currentTarget;
    var problem = validateForm(form);
    renderProblem($('form-error'), problem);
    if (problem) return; // role="alert" announces it; the fields keep focus so the user can fix them
    var button = $('submit-button');
    button.disabled = true;
    button.textContent = 'Submitting…';
    var req = buildSubmitRequest(form);
    apiRequest('POST', '/v1/tasks', req)
      .then(function (r) {
        var body = r.body || {};
        var taskId = body.taskId;
        if (!taskId) throw ProblemError({ title: 'Unexpected answer', detail: 'The server did not return a task id.', code: '' });
        // 202 has no snapshot; a 200 (Prefer: wait) would be one. Either way stream from the start.
        watchTask(taskId, body.seq != null ? body : null, 0);
        $('task-panel').scrollIntoView({ behavior: 'smooth', block: 'start' });
        $('task-heading').setAttribute('tabindex', '-1');
        $('task-heading').focus({ preventScroll: true });
      })
      .catch(function (err) {
        renderProblem($('form-error'), err.problem || { title: 'Submit failed', detail: err.message, code: '' });
      })
      .then(function () {
        button.disabled = false;
        button.textContent = 'Generate tests';
      });
  }

  function startNewTask() {
    stopWatching();
    resetTaskView();
    $('task-panel').hidden = true;
    if (history.replaceState) history.replaceState(null, '', location.pathname + location.search);
    $('spec-file').focus();
  }

  function init() {
    var form = $('task-form');
    form.addEventListener('submit', onSubmit);

    $('ai-provider').addEventListener('change', function () {
      $('ai-model').disabled = this.value === 'none';
    });
    $('spec-file').addEventListener('change', function () {
      $('clear-file').hidden = !this.files.length;
    });
    $('clear-file').addEventListener('click', function () {
      $('spec-file').value = '';
      this.hidden = true;
    });

    var tokenInput = $('token');
    tokenInput.value = readToken();
    tokenInput.addEventListener('change', function () {
      saveToken(tokenInput.value.trim());
    });

    $('cancel-button').addEventListener('click', cancelCurrentTask);
    $('new-task-button').addEventListener('click', startNewTask);
    window.addEventListener('hashchange', resumeFromHash);
    resumeFromHash();
  }

  init();
})();
