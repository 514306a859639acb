/*
 * app.js — the spectest page: its form and its rendering. Three parts, top to bottom:
 *   1. HTTP helpers   (fetch with the optional bearer token, problem+json errors) for submit and cancel
 *   2. following      (the SDK's watchTask: Socket.IO, the SSE and polling fallbacks, reconnect,
 *                      resume by seq; sdk/spectest-client.js defines window.SpectestClient)
 *   3. render         (state -> DOM; nothing here talks to the network)
 * plus the controller that wires the form, the hash and the watch together.
 * The pure state logic (dedup by seq, formatting) is in view-state.js so it can be unit tested.
 */
(function (root) {
  'use strict';

  var VS = root.ViewState;
  var SDK = root.SpectestClient;
  var TOKEN_KEY = 'token';

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

  /* ------------------------------------------------------------- 2. following */

  var TRANSPORT_LABELS = { socket: 'live (Socket.IO)', sse: 'live (Server-Sent Events)', polling: 'polling', reconnecting: 'reconnecting…' };

  /** The SDK asks for the token before each connection, so a token set meanwhile is picked up; none in dev mode. */
  function currentToken() {
    return readToken() || undefined;
  }

  function watchProblem(error) {
    if (error.code === 'not_found') return { title: 'Task not found', detail: 'It may have expired or belong to someone else.', code: error.code };
    if (error.code === 'unauthorized') return { title: 'Not authorised', detail: 'Set a valid access token and reload.', code: error.code };
    return { title: 'Cannot follow this task', detail: error.message || '', code: error.code || '' };
  }

  /**
   * Follow a task with the SDK from `afterSeq`: the gateway of this origin first (the embedded app
   * serves both), the API's Server-Sent Events and then REST polling when no socket gets through.
   */
  function follow(taskId, afterSeq, handlers) {
    var origin = root.location.origin;
    var watch = SDK.watchTask(
      taskId,
      {
        onEvent: handlers.onEvent,
        onSnapshot: handlers.onSnapshot,
        onEnd: handlers.onEnded,
        onError: function (error) {
          handlers.onFatal(watchProblem(error));
        },
        onState: function (state) {
          handlers.onStatus(TRANSPORT_LABELS[state] || '');
        },
      },
      { gatewayUrls: [origin], apiUrl: origin, token: currentToken, afterSeq: afterSeq, failuresBeforeFallback: 2 },
    );
    return {
      stop: function () {
        watch.close();
      },
    };
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

  var current = null; // { taskId, state, transport (the watch), renderQueued }

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
   * Show a task and follow it: what we know first (a snapshot when we have one), then its events from
   * `afterSeq`. Resuming after reload passes 0 so the whole log is rebuilt; older events only fill the
   * log, they never move the view back (see ViewState.applyEvent).
   */
  function showTask(taskId, initialSnapshot, afterSeq) {
    stopWatching();
    resetTaskView();
    var watch = { taskId: taskId, state: VS.createViewState(taskId), transport: null, renderQueued: false };
    current = watch;
    if (history.replaceState) history.replaceState(null, '', VS.hashForTask(taskId));
    else location.hash = VS.hashForTask(taskId);

    if (initialSnapshot) watch.state = VS.applySnapshot(watch.state, initialSnapshot);
    renderTask(watch.state);
    // A fresh submit has no snapshot (202), and SSE sends none, so fetch it for the name and stage table.
    // applySnapshot ignores it if events already moved past it, so the race is harmless.
    if (!initialSnapshot) getSnapshot(taskId).then(function (snap) { applySnapshotTo(watch, snap); }, function () {});

    watch.transport = follow(taskId, afterSeq, {
      onEvent: function (ev) {
        if (watch !== current) return;
        watch.state = VS.applyEvent(watch.state, ev);
        scheduleRender();
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
        watch.transport.stop();
        watch.fatal = true; // keeps Cancel hidden on later renders: we are no longer following the task
        renderProblem($('watch-error'), problem);
        setText('transport', '');
        $('cancel-button').hidden = true;
        $('new-task-button').hidden = false;
      },
      // The task ended (its terminal event, or an ended snapshot): the watch is over.
      onEnded: function () {
        if (watch === current) finish(watch);
      },
    });
  }

  /** Stop following and fetch the final snapshot: it has the exact stage durations and warnings events lack. */
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
        showTask(taskId, snap, 0);
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
        showTask(taskId, body.seq != null ? body : null, 0);
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

  if (!SDK || !VS) {
    // Without the SDK the page can submit nothing it could follow: say why instead of failing later.
    renderProblem($('form-error'), {
      title: 'The page did not load completely',
      detail: 'Its script sdk/spectest-client.js could not be loaded: reload, or check that the server was built (npm run build).',
      code: '',
    });
    $('submit-button').disabled = true;
    return;
  }
  init();
})(window);
