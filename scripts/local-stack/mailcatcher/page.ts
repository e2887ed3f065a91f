/**
 * The web inbox of the mail catcher: one self-contained page (no build step,
 * no external assets) over the JSON API. French UI, refreshes every 3 s, the
 * HTML body shown in a sandboxed iframe (no scripts).
 */
export function inboxPage(): string {
  return `<!doctype html>
<html lang="fr">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Boîte de réception locale — immo-ai</title>
<link rel="icon" href="data:,">
<style>
  :root { --bg:#f6f7f9; --panel:#fff; --line:#e3e6eb; --text:#1d2330; --muted:#6b7385; --accent:#2f5bea; --sel:#eef2ff; }
  * { box-sizing: border-box; }
  body { margin:0; font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif; color:var(--text); background:var(--bg); height:100vh; display:flex; flex-direction:column; }
  header { display:flex; align-items:center; gap:12px; padding:10px 16px; background:var(--panel); border-bottom:1px solid var(--line); }
  header h1 { font-size:16px; margin:0; font-weight:600; }
  header .count { color:var(--muted); }
  header input { flex:1; max-width:360px; padding:6px 10px; border:1px solid var(--line); border-radius:6px; font:inherit; }
  button { font:inherit; padding:6px 12px; border-radius:6px; border:1px solid var(--line); background:var(--panel); cursor:pointer; }
  button:hover { border-color:var(--accent); color:var(--accent); }
  button.danger:hover { border-color:#c0392b; color:#c0392b; }
  main { flex:1; display:grid; grid-template-columns:minmax(280px,380px) 1fr; min-height:0; }
  #list { overflow:auto; border-right:1px solid var(--line); background:var(--panel); margin:0; padding:0; list-style:none; }
  #list li { padding:10px 14px; border-bottom:1px solid var(--line); cursor:pointer; }
  #list li:hover { background:#fafbfc; }
  #list li[aria-selected="true"] { background:var(--sel); }
  #list li.unread .subj { font-weight:600; }
  .meta { display:flex; justify-content:space-between; gap:8px; color:var(--muted); font-size:12px; }
  .subj { white-space:nowrap; overflow:hidden; text-overflow:ellipsis; margin:2px 0; }
  .who { white-space:nowrap; overflow:hidden; text-overflow:ellipsis; }
  #view { display:flex; flex-direction:column; min-width:0; min-height:0; }
  #empty { margin:auto; color:var(--muted); text-align:center; }
  .head { padding:14px 18px; background:var(--panel); border-bottom:1px solid var(--line); }
  .head h2 { margin:0 0 6px; font-size:18px; }
  .head dl { display:grid; grid-template-columns:auto 1fr; gap:2px 10px; margin:0; color:var(--muted); }
  .head dd { margin:0; color:var(--text); word-break:break-all; }
  .tabs { display:flex; gap:4px; padding:8px 18px 0; background:var(--panel); border-bottom:1px solid var(--line); }
  .tabs button { border:none; border-bottom:2px solid transparent; border-radius:0; background:none; }
  .tabs button[aria-selected="true"] { border-bottom-color:var(--accent); color:var(--accent); }
  .body { flex:1; min-height:0; overflow:auto; background:var(--panel); }
  .body iframe { width:100%; height:100%; border:0; display:block; background:#fff; }
  .body pre { margin:0; padding:16px 18px; white-space:pre-wrap; word-break:break-word; font:13px/1.5 ui-monospace,Menlo,Consolas,monospace; }
  table.h { border-collapse:collapse; margin:12px 18px; font-size:13px; }
  table.h td { border-bottom:1px solid var(--line); padding:4px 8px; vertical-align:top; word-break:break-all; }
  table.h td:first-child { color:var(--muted); white-space:nowrap; }
  .badge { display:inline-block; font-size:11px; padding:1px 6px; border-radius:10px; background:#e8f5e9; color:#2e7d32; margin-left:6px; }
</style>
</head>
<body>
<header>
  <h1>📬 Boîte de réception locale</h1>
  <span class="count" id="count"></span>
  <input id="filter" type="search" placeholder="Filtrer par destinataire, expéditeur ou objet…" aria-label="Filtrer">
  <button id="refresh" title="Actualiser">Actualiser</button>
  <button id="clear" class="danger" title="Supprimer tous les messages">Tout supprimer</button>
</header>
<main>
  <ul id="list" role="listbox" aria-label="Messages"></ul>
  <section id="view"><p id="empty">Aucun message sélectionné.<br>Les e-mails envoyés par la pile locale arrivent ici.</p></section>
</main>
<script>
const state = { messages: [], selected: null, tab: 'html', seen: new Set(JSON.parse(sessionStorage.getItem('seen') || '[]')) };
const $ = (s) => document.querySelector(s);
const esc = (s) => String(s ?? '').replace(/[&<>"']/g, (c) => ({'&':'&amp;','<':'&lt;','>':'&gt;','"':'&quot;',"'":'&#39;'})[c]);
const fmt = (d) => new Date(d).toLocaleString('fr-FR', { dateStyle: 'short', timeStyle: 'medium' });

async function load() {
  try {
    const r = await fetch('/api/messages');
    state.messages = await r.json();
    renderList();
  } catch (e) { $('#count').textContent = 'Catcher injoignable'; }
}

function visible() {
  const q = $('#filter').value.trim().toLowerCase();
  if (!q) return state.messages;
  return state.messages.filter((m) => [m.subject, m.from, ...m.to].join(' ').toLowerCase().includes(q));
}

function renderList() {
  const items = visible();
  const n = state.messages.length;
  $('#count').textContent = n === 0 ? 'aucun message' : n === 1 ? '1 message' : n + ' messages';
  $('#list').innerHTML = items.map((m) =>
    '<li role="option" data-id="' + m.id + '" aria-selected="' + (m.id === state.selected) + '" class="' + (state.seen.has(m.id) ? '' : 'unread') + '">' +
    '<div class="meta"><span class="who">' + esc(m.from || '(sans expéditeur)') + '</span><span>' + fmt(m.date) + '</span></div>' +
    '<div class="subj">' + esc(m.subject || '(sans objet)') + '</div>' +
    '<div class="meta"><span class="who">→ ' + esc(m.to.join(', ')) + '</span></div></li>').join('');
  if (state.selected && !state.messages.some((m) => m.id === state.selected)) { state.selected = null; renderView(); }
}

function renderView() {
  const m = state.messages.find((x) => x.id === state.selected);
  if (!m) { $('#view').innerHTML = '<p id="empty">Aucun message sélectionné.</p>'; return; }
  const unsub = m.headers['list-unsubscribe'] ? '<span class="badge">désinscription en un clic</span>' : '';
  const tabs = [['html', 'HTML'], ['text', 'Texte'], ['headers', 'En-têtes'], ['raw', 'Source']];
  let body = '';
  if (state.tab === 'html') body = '<iframe sandbox="allow-popups allow-popups-to-escape-sandbox" title="Contenu HTML" src="/api/messages/' + m.id + '/html"></iframe>';
  else if (state.tab === 'text') body = '<pre>' + esc(m.text || '(pas de version texte)') + '</pre>';
  else if (state.tab === 'headers') body = '<table class="h">' + Object.entries(m.headers).map(([k, v]) => '<tr><td>' + esc(k) + '</td><td>' + esc(v) + '</td></tr>').join('') + '</table>';
  else body = '<pre id="raw">Chargement…</pre>';
  $('#view').innerHTML =
    '<div class="head"><h2>' + esc(m.subject || '(sans objet)') + unsub + '</h2><dl>' +
    '<dt>De</dt><dd>' + esc(m.from) + '</dd><dt>À</dt><dd>' + esc(m.to.join(', ')) + '</dd><dt>Reçu</dt><dd>' + fmt(m.date) + '</dd></dl></div>' +
    '<div class="tabs" role="tablist">' + tabs.map(([k, l]) => '<button role="tab" data-tab="' + k + '" aria-selected="' + (state.tab === k) + '">' + l + '</button>').join('') +
    '<span style="flex:1"></span><button data-del="' + m.id + '" class="danger">Supprimer</button></div>' +
    '<div class="body">' + body + '</div>';
  if (state.tab === 'raw') fetch('/api/messages/' + m.id + '/raw').then((r) => r.text()).then((t) => { const el = $('#raw'); if (el) el.textContent = t; });
}

$('#list').addEventListener('click', (e) => {
  const li = e.target.closest('li'); if (!li) return;
  state.selected = li.dataset.id; state.seen.add(li.dataset.id);
  sessionStorage.setItem('seen', JSON.stringify([...state.seen].slice(-2000)));
  renderList(); renderView();
});
$('#view').addEventListener('click', async (e) => {
  const t = e.target.closest('[data-tab]');
  if (t) { state.tab = t.dataset.tab; return renderView(); }
  const d = e.target.closest('[data-del]');
  if (d) { await fetch('/api/messages/' + d.dataset.del, { method: 'DELETE' }); state.selected = null; renderView(); load(); }
});
$('#filter').addEventListener('input', renderList);
$('#refresh').addEventListener('click', load);
$('#clear').addEventListener('click', async () => {
  if (!confirm('Supprimer tous les messages ?')) return;
  await fetch('/api/messages', { method: 'DELETE' }); state.selected = null; renderView(); load();
});
load();
setInterval(() => { if (!document.hidden) load(); }, 3000);
</script>
</body>
</html>`
}
