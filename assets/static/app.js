// Atlas client behaviour. Dependency-free and CSP-clean (script-src 'self'): no inline handlers,
// no eval, no style attributes. Document-level delegation covers content htmx swaps in later;
// enhance() runs once per new subtree (DOMContentLoaded and htmx:load).
(function () {
  'use strict';

  // ---------- Relative times (UI.md: "3 min ago", exact UTC on hover) ----------

  var MINUTE = 60, HOUR = 3600, DAY = 86400;

  function exactUTC(d) {
    return d.toISOString().replace('T', ' ').replace(/\.\d+Z$/, ' UTC');
  }

  function dayNumber(d) {
    return Math.floor((d.getTime() - d.getTimezoneOffset() * 60000) / 86400000);
  }

  function relative(d, now) {
    var s = Math.round((now - d) / 1000);
    var abs = Math.abs(s);
    var past = s >= 0;
    function say(n, unit) { return past ? n + ' ' + unit + ' ago' : 'in ' + n + ' ' + unit; }
    if (abs < 45) return 'just now';
    if (abs < HOUR) return say(Math.max(1, Math.round(abs / MINUTE)), 'min');
    if (abs < DAY) return say(Math.round(abs / HOUR), 'h');
    var days = dayNumber(now) - dayNumber(d);
    if (days === 1) return 'yesterday';
    if (days === -1) return 'tomorrow';
    if (Math.abs(days) < 7) return say(Math.abs(days), 'days');
    var opts = { day: 'numeric', month: 'short' };
    if (d.getFullYear() !== now.getFullYear()) opts.year = 'numeric';
    return d.toLocaleDateString('en-GB', opts);
  }

  function renderTimes(root) {
    var now = new Date();
    root.querySelectorAll('time[datetime]').forEach(function (el) {
      var v = el.getAttribute('datetime');
      if (!v || v.charAt(0) === 'P') return; // a duration: the server already wrote it
      var d = new Date(v);
      if (isNaN(d)) return;
      el.textContent = relative(d, now);
      el.title = exactUTC(d);
    });
  }

  // ---------- Typed confirmation: submit stays disabled until the text matches ----------

  function confirmMatches(form) {
    var input = form.querySelector('[name=confirm]');
    return !!input && input.value.trim() === form.getAttribute('data-confirm-text');
  }

  function syncConfirm(form) {
    var ok = confirmMatches(form);
    form.querySelectorAll('button[type=submit], button:not([type]), input[type=submit]').forEach(function (b) {
      b.disabled = !ok;
    });
  }

  document.addEventListener('input', function (e) {
    var form = e.target.closest && e.target.closest('form[data-confirm-text]');
    if (form) syncConfirm(form);
  });

  document.addEventListener('submit', function (e) {
    var form = e.target;
    // Capture phase, so neither the browser nor htmx's own submit listener sees a mismatch.
    if (form.matches('form[data-confirm-text]') && !confirmMatches(form)) {
      e.preventDefault();
      e.stopPropagation();
    }
  }, true);

  // ---------- Flash and toasts ----------

  var TOAST_MS = 6000;

  function toastRegion() {
    var region = document.querySelector('.toast-region');
    if (!region) {
      region = document.createElement('div');
      region.className = 'toast-region';
      document.body.appendChild(region);
    }
    region.setAttribute('role', 'status');
    region.setAttribute('aria-live', 'polite');
    return region;
  }

  function dismissToast(toast) {
    toast.classList.add('toast-leaving');
    setTimeout(function () { toast.remove(); }, 300);
  }

  // A toast waits while the pointer or focus is on it, so its link stays clickable.
  function armToast(toast) {
    var timer;
    function start() { clearTimeout(timer); timer = setTimeout(function () { dismissToast(toast); }, TOAST_MS); }
    function stop() { clearTimeout(timer); }
    toast.addEventListener('mouseenter', stop);
    toast.addEventListener('mouseleave', start);
    toast.addEventListener('focusin', stop);
    toast.addEventListener('focusout', start);
    start();
  }

  function collectToasts(root) {
    var found = root.matches && root.matches('[data-toast]') ? [root] : [];
    root.querySelectorAll('[data-toast]').forEach(function (el) { found.push(el); });
    found.forEach(function (el) {
      el.removeAttribute('data-toast');
      el.classList.add('toast');
      toastRegion().appendChild(el);
      armToast(el);
    });
  }

  document.addEventListener('click', function (e) {
    var close = e.target.closest('.flash button.close, .toast button.close');
    if (!close) return;
    var box = close.closest('.flash, .toast');
    if (box.classList.contains('toast')) dismissToast(box); else box.remove();
  });

  // ---------- Header menus: close open <details> menus on outside click or Escape ----------

  function closeMenus(except) {
    document.querySelectorAll('details.switcher[open], details.user-menu[open]').forEach(function (d) {
      if (d !== except) d.removeAttribute('open');
    });
  }

  document.addEventListener('click', function (e) {
    closeMenus(e.target.closest('details.switcher, details.user-menu'));
  });

  // ---------- Tables: let the header stick to the page when no horizontal scroll is needed ----------

  function fitTables(root) {
    var wraps = root.querySelectorAll('.table-wrap');
    if (root.closest) {
      var outer = root.closest('.table-wrap');
      if (outer) wraps = [outer];
    }
    wraps.forEach(function (wrap) {
      var table = wrap.querySelector('table');
      if (table) wrap.classList.toggle('fits', table.offsetWidth <= wrap.clientWidth);
    });
  }

  var resizeQueued = false;
  window.addEventListener('resize', function () {
    if (resizeQueued) return;
    resizeQueued = true;
    requestAnimationFrame(function () { resizeQueued = false; fitTables(document); });
  });

  // ---------- Drop zone ----------

  function showFileName(input) {
    var zone = input.closest('.dropzone');
    if (!zone) return;
    var label = zone.querySelector('.dropzone-file');
    if (!label) {
      label = document.createElement('span');
      label.className = 'dropzone-file';
      zone.appendChild(label);
    }
    label.textContent = Array.prototype.map.call(input.files, function (f) { return f.name; }).join(', ');
  }

  function zoneOf(e) {
    return e.target.closest ? e.target.closest('.dropzone') : null;
  }

  // File drags only, and only on pages with a drop zone: there a missed drop must not make the
  // browser open the file and leave the page.
  function fileDrag(e) {
    return !!document.querySelector('.dropzone') && !!e.dataTransfer &&
      Array.prototype.indexOf.call(e.dataTransfer.types, 'Files') !== -1;
  }

  ['dragenter', 'dragover'].forEach(function (type) {
    document.addEventListener(type, function (e) {
      if (!fileDrag(e)) return;
      e.preventDefault();
      var zone = zoneOf(e);
      e.dataTransfer.dropEffect = zone ? 'copy' : 'none';
      if (zone) zone.classList.add('dropzone-active');
    });
  });

  document.addEventListener('dragleave', function (e) {
    var zone = zoneOf(e);
    if (zone && !zone.contains(e.relatedTarget)) zone.classList.remove('dropzone-active');
  });

  document.addEventListener('drop', function (e) {
    if (!fileDrag(e)) return;
    e.preventDefault();
    var zone = zoneOf(e);
    if (!zone) return;
    zone.classList.remove('dropzone-active');
    var input = zone.querySelector('input[type=file]');
    var files = e.dataTransfer.files;
    if (!input || !files.length) return;
    var dt = new DataTransfer();
    var count = input.multiple ? files.length : 1;
    for (var i = 0; i < count; i++) dt.items.add(files[i]);
    input.files = dt.files;
    input.dispatchEvent(new Event('change', { bubbles: true }));
  });

  document.addEventListener('change', function (e) {
    if (e.target.matches && e.target.matches('.dropzone input[type=file]')) showFileName(e.target);
  });

  // ---------- Command palette (⌘K / Ctrl+K) ----------
  // The page's own entries (links marked data-palette) filter as you type; records
  // of every workspace come from the one search endpoint, /admin/search.

  var palette = { dialog: null, input: null, list: null, items: [], found: [], shown: [], selected: 0, timer: 0, asked: 0 };
  var SEARCH_DELAY_MS = 150;

  function paletteDialog() {
    var dialog = document.querySelector('dialog.palette');
    if (!dialog) {
      dialog = document.createElement('dialog');
      dialog.className = 'palette';
      dialog.innerHTML = '<input type="text" aria-label="Go to page" placeholder="Go to…"><ul></ul>';
      document.body.appendChild(dialog);
    }
    var input = dialog.querySelector('input');
    var list = dialog.querySelector('ul');
    if (!list.id) list.id = 'palette-results';
    list.setAttribute('role', 'listbox');
    input.setAttribute('role', 'combobox');
    input.setAttribute('aria-controls', list.id);
    input.setAttribute('aria-expanded', 'true');
    input.setAttribute('autocomplete', 'off');
    palette.dialog = dialog;
    palette.input = input;
    palette.list = list;
    return dialog;
  }

  // Entries come from the page itself: every link or button marked data-palette.
  function collectEntries() {
    var seen = {};
    var entries = [];
    document.querySelectorAll('[data-palette]').forEach(function (el) {
      if (el.closest('dialog.palette')) return;
      var label = (el.getAttribute('data-palette') || el.textContent).replace(/\s+/g, ' ').trim();
      var key = label + '\u0000' + (el.getAttribute('href') || '');
      if (!label || seen[key]) return;
      seen[key] = true;
      entries.push({ label: label, el: el, href: el.tagName === 'A' ? el.href : '', haystack: label.toLowerCase() });
    });
    return entries;
  }

  // Records matching the query, from the server's results fragment; a slower
  // answer to an older query is dropped.
  function searchRecords() {
    var q = palette.input.value.trim();
    var asked = ++palette.asked;
    if (!q) { palette.found = []; renderPalette(); return; }
    fetch('/admin/search?q=' + encodeURIComponent(q), { headers: { 'HX-Request': 'true' }, credentials: 'same-origin' })
      .then(function (r) { return r.ok ? r.text() : ''; })
      .then(function (html) {
        if (asked !== palette.asked) return;
        var doc = new DOMParser().parseFromString(html, 'text/html');
        palette.found = Array.prototype.map.call(doc.querySelectorAll('a[data-result]'), function (a) {
          return { label: a.getAttribute('data-label'), hint: a.getAttribute('data-hint'), href: a.href };
        });
        renderPalette();
      })
      .catch(function () {});
  }

  function renderPalette() {
    var terms = palette.input.value.toLowerCase().split(/\s+/).filter(Boolean);
    palette.shown = palette.items.filter(function (it) {
      return terms.every(function (t) { return it.haystack.indexOf(t) !== -1; });
    }).concat(palette.found);
    if (palette.selected >= palette.shown.length) palette.selected = 0;
    palette.list.textContent = '';
    if (!palette.shown.length) {
      var none = document.createElement('li');
      none.className = 'palette-empty';
      none.textContent = 'Nothing matches “' + palette.input.value + '”';
      palette.list.appendChild(none);
      palette.input.removeAttribute('aria-activedescendant');
      return;
    }
    palette.shown.forEach(function (it, i) {
      var li = document.createElement('li');
      li.id = 'palette-opt-' + i;
      li.setAttribute('role', 'option');
      li.setAttribute('aria-selected', i === palette.selected ? 'true' : 'false');
      var a;
      if (it.href) {
        a = document.createElement('a');
        a.href = it.href;
      } else {
        a = document.createElement('button');
        a.type = 'button';
      }
      a.tabIndex = -1;
      a.textContent = it.label;
      if (it.hint) {
        var hint = document.createElement('span');
        hint.className = 'palette-hint';
        hint.textContent = it.hint;
        a.appendChild(hint);
      }
      a.addEventListener('click', function (e) { e.preventDefault(); activate(i); });
      a.addEventListener('mousemove', function () { select(i); });
      li.appendChild(a);
      palette.list.appendChild(li);
    });
    palette.input.setAttribute('aria-activedescendant', 'palette-opt-' + palette.selected);
  }

  function select(i) {
    if (i === palette.selected || !palette.shown.length) return;
    var old = document.getElementById('palette-opt-' + palette.selected);
    if (old) old.setAttribute('aria-selected', 'false');
    palette.selected = (i + palette.shown.length) % palette.shown.length;
    var li = document.getElementById('palette-opt-' + palette.selected);
    li.setAttribute('aria-selected', 'true');
    li.scrollIntoView({ block: 'nearest' });
    palette.input.setAttribute('aria-activedescendant', li.id);
  }

  function activate(i) {
    var it = palette.shown[i];
    if (!it) return;
    palette.dialog.close();
    if (it.href) window.location.href = it.href; else it.el.click();
  }

  function openPalette() {
    var dialog = paletteDialog();
    if (dialog.open) { palette.input.select(); return; }
    if (!dialog.dataset.wired) {
      dialog.dataset.wired = '1';
      palette.input.addEventListener('input', function () {
        palette.selected = 0;
        renderPalette();
        clearTimeout(palette.timer);
        palette.timer = setTimeout(searchRecords, SEARCH_DELAY_MS);
      });
      palette.input.addEventListener('keydown', function (e) {
        if (e.key === 'ArrowDown') { e.preventDefault(); select(palette.selected + 1); }
        else if (e.key === 'ArrowUp') { e.preventDefault(); select(palette.selected - 1); }
        else if (e.key === 'Enter') { e.preventDefault(); activate(palette.selected); }
      });
      // A click on the backdrop lands on the dialog element itself.
      dialog.addEventListener('click', function (e) { if (e.target === dialog) dialog.close(); });
    }
    palette.items = collectEntries();
    palette.found = [];
    palette.input.value = '';
    palette.selected = 0;
    renderPalette();
    dialog.showModal();
    palette.input.focus();
  }

  document.addEventListener('click', function (e) {
    if (e.target.closest('.palette-trigger')) { e.preventDefault(); openPalette(); }
  });

  // The templates print the Mac hint (⌘K); elsewhere the key is Ctrl.
  function shortcutHints(root) {
    if (/Mac|iPhone|iPad/.test(navigator.platform)) return;
    root.querySelectorAll('.palette-trigger kbd').forEach(function (k) {
      k.textContent = k.textContent.replace('⌘', 'Ctrl ');
    });
  }

  // ---------- Keyboard shortcuts ----------

  // g o: the current workspace's operations, as its sidebar links them; g h: its hub.
  var GO = { o: '.sidebar [data-palette="Operations"]', h: '.sidebar [data-palette="Hub"]' };
  var pendingG = 0;

  function typing(el) {
    return el && (el.isContentEditable || /^(INPUT|TEXTAREA|SELECT)$/.test(el.tagName));
  }

  document.addEventListener('keydown', function (e) {
    if (e.key === 'Escape') closeMenus(null);
    if ((e.metaKey || e.ctrlKey) && !e.altKey && !e.shiftKey && e.key.toLowerCase() === 'k') {
      e.preventDefault();
      openPalette();
      return;
    }
    if (e.metaKey || e.ctrlKey || e.altKey || e.defaultPrevented || typing(e.target)) return;
    if (document.querySelector('dialog[open]')) return;
    if (pendingG && Date.now() - pendingG < 1500 && GO[e.key]) {
      pendingG = 0;
      e.preventDefault();
      var link = document.querySelector(GO[e.key]);
      window.location.href = link ? link.href : '/admin';
      return;
    }
    pendingG = e.key === 'g' ? Date.now() : 0;
    if (e.key === '/') {
      var filter = document.querySelector('form.filters input:not([type=hidden]), [data-filter]');
      if (filter) { e.preventDefault(); filter.focus(); if (filter.select) filter.select(); }
    }
  });

  // ---------- Wiring ----------

  function enhance(root) {
    renderTimes(root);
    shortcutHints(root);
    collectToasts(root);
    fitTables(root);
    var forms = root.querySelectorAll('form[data-confirm-text]');
    if (root.matches && root.matches('form[data-confirm-text]')) forms = [root];
    forms.forEach(syncConfirm);
  }

  if (document.readyState === 'loading') {
    document.addEventListener('DOMContentLoaded', function () { enhance(document); });
  } else {
    enhance(document);
  }
  document.addEventListener('htmx:load', function (e) {
    if (e.target && e.target.querySelectorAll) enhance(e.target);
  });
  setInterval(function () { renderTimes(document); }, 30000);
})();
