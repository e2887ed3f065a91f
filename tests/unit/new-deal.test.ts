import { describe, expect, it } from 'vitest'
import { NEW_DEAL_MAX_VALUE, newDealServerError, parseAmountInput, validateNewDeal, type NewDealForm } from '../../composables/useNewDeal'

const base: NewDealForm = { contactId: null, title: 'Appartement Neuilly', value: '420 000', stageId: 's1', ownerId: 'u1', expectedClose: null }

describe('parseAmountInput', () => {
  it('reads French and plain amounts, empty as null, anything else as NaN', () => {
    expect(parseAmountInput('420 000')).toBe(420000)
    expect(parseAmountInput('420\u202f000,50 €')).toBe(420000.5)
    expect(parseAmountInput('420000.5')).toBe(420000.5)
    expect(parseAmountInput('  ')).toBeNull()
    expect(parseAmountInput('-5')).toBeNaN()
    expect(parseAmountInput('4e5')).toBeNaN()
    expect(parseAmountInput('12,345')).toBeNaN()
    expect(parseAmountInput('quatre cent mille')).toBeNaN()
  })
})

describe('validateNewDeal', () => {
  it('accepts a complete deal and trims the title', () => {
    const r = validateNewDeal({ ...base, title: '  Loft  ', contactId: 'c1', expectedClose: '2027-03-31' })
    expect(r.ok).toBe(true)
    expect(r.deal).toEqual({ contactId: 'c1', title: 'Loft', value: 420000, stageId: 's1', ownerId: 'u1', expectedClose: '2027-03-31' })
  })
  it('a deal without amount or contact is allowed (the board shows "Sans montant" / "Sans contact")', () => {
    const r = validateNewDeal({ ...base, value: '' })
    expect(r.ok).toBe(true)
    expect(r.deal?.value).toBeNull()
  })
  it('names each wrong field with its message key, never NaN', () => {
    const r = validateNewDeal({ contactId: null, title: '   ', value: '12abc', stageId: '', ownerId: '', expectedClose: '2027-02-30' })
    expect(r.ok).toBe(false)
    expect(r.errors).toEqual({ title: 'titleRequired', value: 'valueInvalid', stageId: 'stageRequired', ownerId: 'ownerRequired', expectedClose: 'dateInvalid' })
  })
  it('refuses a title over 200 characters and an amount the column cannot hold', () => {
    expect(validateNewDeal({ ...base, title: 'x'.repeat(201) }).errors.title).toBe('titleTooLong')
    expect(validateNewDeal({ ...base, value: String(Math.ceil(NEW_DEAL_MAX_VALUE) + 1) }).errors.value).toBe('valueTooLarge')
  })
})

describe('newDealServerError', () => {
  it('maps the database refusals to a field or a general message', () => {
    expect(newDealServerError({ code: '42501', message: 'new row violates row-level security policy for table "deals"' })).toEqual({ field: null, key: 'forbidden' })
    expect(newDealServerError({ code: '23514', message: 'new row for relation "deals" violates check constraint "deals_title_length"' })).toEqual({ field: 'title', key: 'titleRequired' })
    expect(newDealServerError({ code: '23503', message: 'insert or update on table "deals" violates foreign key constraint "deals_tenant_id_contact_id_fkey"' })).toEqual({ field: 'contactId', key: 'contactGone' })
    expect(newDealServerError({ code: '23503', message: 'violates foreign key constraint "deals_tenant_id_pipeline_id_stage_id_fkey"' })).toEqual({ field: 'stageId', key: 'stageGone' })
    expect(newDealServerError(new Error('network'))).toEqual({ field: null, key: 'failed' })
  })
})
