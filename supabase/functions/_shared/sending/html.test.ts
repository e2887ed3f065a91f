import assert from 'node:assert/strict'
import { sanitizeHtml, textToHtml } from './html.ts'

Deno.test('sanitizeHtml keeps formatting tags without attributes', () => {
  assert.equal(sanitizeHtml('<div class="x"><p style="color:red">Bonjour <b onclick="x()">Paul</b></p></div>'), '<p><p>Bonjour <b>Paul</b></p></p>')
  assert.equal(sanitizeHtml('Ligne 1<br/>Ligne 2'), 'Ligne 1<br>Ligne 2')
  assert.equal(sanitizeHtml('<blockquote>Le 3 mars, vous avez écrit&nbsp;: &eacute;t&#233;</blockquote>'), '<blockquote>Le 3 mars, vous avez écrit&nbsp;: &eacute;t&#233;</blockquote>')
})

Deno.test('sanitizeHtml removes scripts, handlers, links, images and styles', () => {
  const attacks = [
    '<script>alert(1)</script>Salut',
    '<img src=x onerror=alert(1)>Salut',
    '<a href="javascript:alert(1)">Salut</a>',
    '<svg><script>alert(1)</script></svg>Salut',
    '<style>body{display:none}</style>Salut',
    '<scr<script>ipt>alert(1)</script>Salut',
    '<a title=">" onclick="alert(1)">Salut</a>',
    '<!-- <script>alert(1)</script> -->Salut',
    '<iframe src="https://evil.test"></iframe>Salut',
    '<p onmouseover="alert(1)">Salut</p>',
    '<script>alert(1)',
  ]
  for (const a of attacks) {
    const r = sanitizeHtml(a) ?? ''
    assert.doesNotMatch(r, /<(script|img|a|svg|style|iframe)\b/i, a)
    assert.doesNotMatch(r, /<[a-z]+\s[^>]*=/i, `${a} → ${r}`)
  }
  assert.equal(sanitizeHtml('<p onmouseover="alert(1)">Salut</p>'), '<p>Salut</p>')
  assert.equal(sanitizeHtml('1 < 2 & 3 > 2'), '1 &lt; 2 &amp; 3 &gt; 2')
  assert.equal(sanitizeHtml(''), null)
  assert.equal(sanitizeHtml('<script>x</script>'), null)
})

Deno.test('textToHtml escapes and keeps line breaks', () => {
  assert.equal(textToHtml('a <b>\nc'), '<p>a &lt;b&gt;<br>c</p>')
})
