/**
 * The sandbox page (French): recent traffic and webhook deliveries, and
 * buttons that trigger provider events through the /_sandbox JSON endpoints.
 * Self-contained, refreshes every 3 s.
 */
export function sandboxPage(): string {
  return `<!doctype html>
<html lang="fr">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Bac à sable des fournisseurs — immo-ai</title>
<link rel="icon" href="data:,">
<style>
  :root { --line:#e3e6eb; --muted:#6b7385; --accent:#2f5bea; --ok:#2e7d32; --ko:#c0392b; }
  * { box-sizing:border-box; }
  body { margin:0; font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif; color:#1d2330; background:#f6f7f9; }
  header { padding:12px 20px; background:#fff; border-bottom:1px solid var(--line); display:flex; gap:16px; align-items:baseline; }
  header h1 { margin:0; font-size:17px; }
  header span { color:var(--muted); }
  main { display:grid; grid-template-columns:repeat(auto-fit,minmax(560px,1fr)); gap:16px; padding:16px 20px; }
  section { background:#fff; border:1px solid var(--line); border-radius:8px; padding:12px 14px; min-width:0; }
  section h2 { font-size:15px; margin:0 0 8px; }
  table { width:100%; border-collapse:collapse; font-size:12.5px; table-layout:fixed; }
  td, th { text-align:left; padding:4px 6px; border-bottom:1px solid var(--line); vertical-align:top; overflow:hidden; text-overflow:ellipsis; overflow-wrap:anywhere; }
  th { color:var(--muted); font-weight:500; }
  td.s { white-space:nowrap; }
  .ok { color:var(--ok); } .ko { color:var(--ko); }
  .trunc { white-space:nowrap; }
  button { font:inherit; font-size:12px; padding:3px 8px; margin:1px; border-radius:5px; border:1px solid var(--line); background:#fff; cursor:pointer; }
  button:hover { border-color:var(--accent); color:var(--accent); }
  input, select { font:inherit; padding:4px 6px; border:1px solid var(--line); border-radius:5px; }
  form.row { display:flex; gap:6px; flex-wrap:wrap; align-items:center; margin:6px 0; }
  .empty { color:var(--muted); font-style:italic; }
  #toast { position:fixed; bottom:16px; right:16px; background:#1d2330; color:#fff; padding:8px 12px; border-radius:6px; opacity:0; transition:opacity .2s; }
  #toast.show { opacity:.92; }
  label { color:var(--muted); font-size:12px; }
</style>
</head>
<body>
<header><h1>🧪 Bac à sable des fournisseurs</h1><span>OpenAI · Brevo · Twilio · Stripe · Recherche d'entreprises — tout reste sur cette machine.</span></header>
<main>
  <section><h2>E-mails envoyés (Brevo)</h2><div id="brevo"></div></section>
  <section><h2>SMS et WhatsApp (Twilio)</h2><div id="twilio"></div>
    <form class="row" id="inbound"><b>Message entrant :</b>
      <input name="from" placeholder="De (+336…)" value="+33612345678" size="14">
      <input name="to" placeholder="Vers (+337…)" value="+33700000000" size="14">
      <input name="body" placeholder="Texte" value="STOP" size="16"><button>Simuler</button></form>
  </section>
  <section><h2>Paiements (Stripe)</h2><div id="stripe"></div></section>
  <section><h2>Webhooks envoyés</h2><div id="deliveries"></div></section>
  <section><h2>Trafic récent</h2><div id="traffic"></div></section>
  <section><h2>Destinations des webhooks</h2><form id="config"></form></section>
</main>
<div id="toast"></div>
<script>
const $ = (s) => document.querySelector(s);
const esc = (s) => String(s ?? '').replace(/[&<>"']/g, (c) => ({'&':'&amp;','<':'&lt;','>':'&gt;','"':'&quot;',"'":'&#39;'})[c]);
const time = (d) => new Date(d).toLocaleTimeString('fr-FR');
const get = (p) => fetch('/_sandbox' + p).then((r) => r.json());
function toast(t) { const el = $('#toast'); el.textContent = t; el.classList.add('show'); setTimeout(() => el.classList.remove('show'), 2500); }
async function post(p, body) {
  const r = await fetch('/_sandbox' + p, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  const j = await r.json().catch(() => ({}));
  toast(r.ok ? (j.status != null ? 'Webhook envoyé → HTTP ' + j.status : j.error ? 'Webhook en échec : ' + j.error : 'Fait') : 'Erreur : ' + JSON.stringify(j));
  refresh();
}
// head: [label, width?][]; columns without a width share what is left.
const table = (head, rows) => rows.length ? '<table><colgroup>' + head.map(([, w]) => '<col' + (w ? ' style="width:' + w + '"' : '') + '>').join('') + '</colgroup><tr>' + head.map(([h]) => '<th>' + h + '</th>').join('') + '</tr>' + rows.join('') + '</table>' : '<p class="empty">Rien pour l’instant.</p>';
const status = (s) => '<span class="' + (s >= 200 && s < 300 ? 'ok' : 'ko') + '">' + (s || 'échec') + '</span>';

async function refresh() {
  const [sent, sms, objects, deliveries, traffic] = await Promise.all([get('/brevo/sent'), get('/twilio/messages'), get('/stripe/objects'), get('/deliveries?limit=30'), get('/traffic?limit=40')]);
  $('#brevo').innerHTML = table([['Heure', '76px'], ['Destinataire', '28%'], ['Objet'], ['Événements', '250px']], sent.slice(0, 15).map((m) =>
    '<tr><td class="s">' + time(m.date) + '</td><td>' + esc(m.email) + '</td><td class="trunc">' + esc(m.subject) + '</td><td>' +
    [['delivered', 'Délivré'], ['opened', 'Ouvert'], ['click', 'Clic'], ['hard_bounce', 'Rebond'], ['unsubscribed', 'Désinscrit'], ['spam', 'Spam']]
      .map(([e, l]) => '<button data-brevo="' + e + '" data-id="' + esc(m.messageId) + '" data-email="' + esc(m.email) + '">' + l + '</button>').join('') +
    '<button data-reply="' + esc(m.messageId) + '">Réponse</button></td></tr>'));
  $('#twilio').innerHTML = table([['Heure', '76px'], ['De → vers', '170px'], ['Texte'], ['Statut', '80px'], ['', '190px']], sms.slice(0, 15).map((m) =>
    '<tr><td class="s">' + esc(m.date_created.slice(17, 25)) + '</td><td class="s">' + esc(m.from) + '<br>→ ' + esc(m.to) + '</td><td class="trunc">' + esc(m.body) + '</td><td>' + esc(m.status) + '</td><td>' +
    (m.direction === 'inbound' ? '' : [['delivered', 'Délivré'], ['undelivered', 'Non délivré'], ['failed', 'Échec'], ['read', 'Lu']].map(([s, l]) => '<button data-sms="' + s + '" data-sid="' + m.sid + '">' + l + '</button>').join('')) + '</td></tr>'));
  $('#stripe').innerHTML = table([['Objet', '38%'], ['Détail'], ['', '240px']], objects.filter((o) => ['checkout.session', 'subscription', 'customer'].includes(o.object)).slice(0, 15).map((o) =>
    '<tr><td class="s">' + esc(o.object) + '<br><small>' + esc(o.id) + '</small></td><td>' +
    (o.object === 'customer' ? esc(o.email || o.name || '') : o.object === 'subscription' ? esc(o.status) + (o.cancel_at_period_end ? ' (fin de période)' : '') : esc(o.mode + ' · ' + o.status + ' · ' + (o.amount_total / 100) + ' ' + (o.currency || '').toUpperCase())) + '</td><td>' +
    (o.object === 'checkout.session' && o.status === 'open' ? '<button data-pay="' + o.id + '">Payer</button><a href="' + esc(o.url) + '" target="_blank"><button>Ouvrir</button></a>' : '') +
    (o.object === 'subscription' ? '<button data-stripe="invoice.paid" data-id="' + o.id + '">Facture payée</button><button data-stripe="invoice.payment_failed" data-id="' + o.id + '">Paiement échoué</button><button data-stripe="customer.subscription.updated" data-id="' + o.id + '">Renvoyer updated</button>' : '') +
    '</td></tr>'));
  $('#deliveries').innerHTML = table([['Heure', '76px'], ['Fournisseur', '96px'], ['Événement', '150px'], ['Destination'], ['HTTP', '50px']], deliveries.map((d) =>
    '<tr><td class="s">' + time(d.at) + '</td><td>' + esc(d.provider) + '</td><td>' + esc(d.event) + '</td><td class="trunc" title="' + esc(d.url) + '">' + esc(d.url) + '</td><td title="' + esc(d.error || d.response || '') + '">' + status(d.status) + '</td></tr>'));
  $('#traffic').innerHTML = table([['Heure', '76px'], ['Fournisseur', '96px'], ['Requête', '34%'], ['HTTP', '50px'], ['Résumé']], traffic.map((t) =>
    '<tr><td class="s">' + time(t.at) + '</td><td>' + esc(t.provider) + (t.direction === 'out' ? ' ↗' : '') + '</td><td class="trunc">' + esc(t.method + ' ' + t.path) + '</td><td>' + status(t.status) + '</td><td class="trunc" title="' + esc(t.summary) + '">' + esc(t.summary) + '</td></tr>'));
}

async function loadConfig() {
  const c = await get('/config');
  $('#config').innerHTML = Object.entries(c).map(([k, v]) => typeof v === 'boolean'
    ? '<div class="row"><label><input type="checkbox" name="' + k + '"' + (v ? ' checked' : '') + '> ' + k + '</label></div>'
    : '<div><label>' + k + '</label><br><input name="' + k + '" value="' + esc(v) + '" style="width:100%"></div>').join('') +
    '<p><button>Enregistrer</button> <button type="button" id="reset">Valeurs par défaut</button></p>';
  $('#reset').onclick = async () => { await fetch('/_sandbox/config', { method: 'DELETE' }); loadConfig(); toast('Configuration réinitialisée'); };
}
$('#config').addEventListener('submit', async (e) => {
  e.preventDefault();
  const body = {};
  for (const el of e.target.elements) if (el.name) body[el.name] = el.type === 'checkbox' ? el.checked : el.value;
  const r = await fetch('/_sandbox/config', { method: 'PATCH', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  toast(r.ok ? 'Configuration enregistrée' : 'Configuration invalide');
});
$('#inbound').addEventListener('submit', (e) => { e.preventDefault(); const f = new FormData(e.target); post('/twilio/inbound', Object.fromEntries(f)); });
document.body.addEventListener('click', (e) => {
  const b = e.target.closest('button'); if (!b) return;
  if (b.dataset.brevo) post('/brevo/events', { messageId: b.dataset.id, event: b.dataset.brevo, email: b.dataset.email });
  else if (b.dataset.reply) post('/brevo/reply', { messageId: b.dataset.reply });
  else if (b.dataset.sms) post('/twilio/status', { sid: b.dataset.sid, status: b.dataset.sms });
  else if (b.dataset.pay) post('/stripe/checkout/' + b.dataset.pay + '/complete', {});
  else if (b.dataset.stripe) post('/stripe/trigger', { type: b.dataset.stripe, id: b.dataset.id });
});
refresh(); loadConfig();
setInterval(() => { if (!document.hidden) refresh(); }, 3000);
</script>
</body>
</html>`
}
