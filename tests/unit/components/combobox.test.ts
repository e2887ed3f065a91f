import './nuxt-shims'
import { mount } from '@vue/test-utils'
import { describe, expect, it } from 'vitest'
import UiIcon from '~~/components/ui/UiIcon.vue'
import UiCombobox from '~~/components/ui/UiCombobox.vue'
import UiDatePicker from '~~/components/ui/UiDatePicker.vue'
import UiTagInput from '~~/components/ui/UiTagInput.vue'

const global = { components: { UiIcon } }

describe('UiCombobox', () => {
  it('labels its input, shows the selected values as removable chips (multiple)', async () => {
    const options = [{ value: 'paris', label: 'Paris' }, { value: 'evry', label: 'Évry' }]
    const w = mount(UiCombobox, { props: { label: 'Zones', options, multiple: true, modelValue: ['evry'] }, global, attachTo: document.body })
    const input = w.get('input')
    expect(w.get('label').attributes('for')).toBe(input.attributes('id'))
    expect(w.text()).toContain('Évry')
    await w.get('button[aria-label="Retirer Évry"]').trigger('click')
    expect(w.emitted('update:modelValue')!.at(-1)).toEqual([[]])
    w.unmount()
  })
  it('announces an error on the input', () => {
    const w = mount(UiCombobox, { props: { label: 'Rôle', options: [], error: 'Choisissez un rôle.' }, global, attachTo: document.body })
    expect(w.get('input').attributes('aria-invalid')).toBe('true')
    expect(w.get('[role="alert"]').text()).toBe('Choisissez un rôle.')
    w.unmount()
  })
})

describe('UiDatePicker', () => {
  it('shows an ISO value as a French date (jj/mm/aaaa)', () => {
    const w = mount(UiDatePicker, { props: { label: 'Échéance', modelValue: '2026-03-09' }, global, attachTo: document.body })
    const segments = w.findAll('[data-reka-date-field-segment]').map((s) => s.text()).filter((x) => /\d/.test(x))
    expect(segments).toEqual(['09', '03', '2026'])
    expect(w.text()).toContain('Échéance')
    w.unmount()
  })
})

describe('UiTagInput', () => {
  it('adds a tag on Enter, ignores duplicates (accents and case), removes with Backspace', async () => {
    const w = mount(UiTagInput, { props: { label: 'Zones', modelValue: ['Évry'] }, global })
    const input = w.get('input')
    await input.setValue('evry')
    await input.trigger('keydown', { key: 'Enter' })
    expect(w.emitted('update:modelValue')).toBeUndefined()
    await input.setValue('Paris 8e')
    await input.trigger('keydown', { key: 'Enter' })
    expect(w.emitted('update:modelValue')![0]).toEqual([['Évry', 'Paris 8e']])
    await w.setProps({ modelValue: ['Évry', 'Paris 8e'] })
    await input.trigger('keydown', { key: 'Backspace' })
    expect(w.emitted('update:modelValue')!.at(-1)).toEqual([['Évry']])
  })
})
