import assert from 'node:assert/strict'
import { countSms, gsm7Septets, isGsm7Char } from './gsm.ts'

Deno.test('gsm: 160 GSM-7 characters are one part, 161 are two of 153', () => {
  assert.deepEqual([countSms('a'.repeat(160)).segments, countSms('a'.repeat(160)).encoding], [1, 'GSM-7'])
  const two = countSms('a'.repeat(161))
  assert.deepEqual([two.segments, two.perSegment, two.remaining], [2, 153, 153 * 2 - 161])
  assert.equal(countSms('a'.repeat(306)).segments, 2)
  assert.equal(countSms('a'.repeat(307)).segments, 3)
  assert.equal(countSms('').segments, 0)
})

Deno.test('gsm: extension characters take two septets and are never split across parts', () => {
  assert.equal(gsm7Septets('€'), 2)
  assert.equal(gsm7Septets('e'), 1)
  assert.equal(countSms('€'.repeat(80)).units, 160)
  assert.equal(countSms('€'.repeat(80)).segments, 1)
  assert.equal(countSms('€'.repeat(81)).segments, 2)
  // 152 septets then an escape pair: 154 does not fit in the first part's 153.
  const s = 'a'.repeat(152) + '€' + 'a'.repeat(10)
  const c = countSms(s)
  assert.equal(c.units, 164)
  assert.equal(c.segments, 2)
  assert.equal(c.remaining, 153 - (2 + 10))
})

Deno.test('gsm: French letters outside GSM 03.38 switch the message to UCS-2 (70 / 67)', () => {
  assert.ok(isGsm7Char('é') && isGsm7Char('à') && isGsm7Char('Ç') && isGsm7Char('ù'))
  assert.ok(!isGsm7Char('ç') && !isGsm7Char('ê') && !isGsm7Char('’') && !isGsm7Char('œ'))
  const c = countSms('Très bel appartement, à côté du marché')
  assert.equal(c.encoding, 'UCS-2')
  assert.deepEqual(c.nonGsm, ['ô'])
  assert.equal(countSms('ê'.repeat(70)).segments, 1)
  assert.equal(countSms('ê'.repeat(71)).segments, 2)
  assert.equal(countSms('ê'.repeat(134)).segments, 2)
  assert.equal(countSms('ê'.repeat(135)).segments, 3)
})

Deno.test('gsm: an emoji is two UTF-16 units and a surrogate pair is not split', () => {
  const c = countSms('🏠')
  assert.deepEqual([c.encoding, c.units, c.characters], ['UCS-2', 2, 1])
  // 66 units then an emoji: 68 > 67, so the emoji starts the second part.
  const d = countSms('a'.repeat(66) + '🏠' + 'a'.repeat(3))
  assert.equal(d.units, 71)
  assert.equal(d.segments, 2)
  assert.equal(d.remaining, 67 - 5)
})
