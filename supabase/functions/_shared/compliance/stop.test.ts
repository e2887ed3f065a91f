import assert from 'node:assert/strict'
import { isOptOut } from './stop.ts'

Deno.test('STOP in its usual spellings is an opt-out', () => {
  for (const t of ['STOP', 'stop', ' Stop. ', 'ARRET', 'ARRÊT', 'Arrêt', 'STOP SMS', 'stop sms', 'désinscrire', 'Désinscription',
    'unsubscribe', 'UNSUBSCRIBE', 'Stop merci', 'ARRÊT svp !', 'STOP 36173']) {
    assert.equal(isOptOut(t), true, t)
  }
})

Deno.test('free-text opt-outs are recognised', () => {
  for (const t of ['Merci de me désinscrire de votre liste', 'Je ne veux plus recevoir vos messages', 'please unsubscribe me',
    'Ne plus me contacter svp', 'stop les sms']) {
    assert.equal(isOptOut(t), true, t)
  }
})

Deno.test('ordinary replies are not opt-outs', () => {
  for (const t of ['Oui, rappelez-moi demain', 'Je suis intéressé par une estimation', "La visite ne peut pas s'arrêter là, on continue ?",
    'Pouvez-vous arrêter de passer par la rue de Rivoli pour la visite et prendre le boulevard ?', '', null]) {
    assert.equal(isOptOut(t as string), false, String(t))
  }
})
