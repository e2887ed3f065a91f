import './nuxt-shims'
import { mount } from '@vue/test-utils'
import { describe, expect, it } from 'vitest'
import { h } from 'vue'
import UiInput from '~~/components/ui/UiInput.vue'
import UiIcon from '~~/components/ui/UiIcon.vue'
import UiProgress from '~~/components/ui/UiProgress.vue'
import UiDataTable from '~~/components/ui/UiDataTable.vue'
import UiEmptyState from '~~/components/ui/UiEmptyState.vue'
import UiButton from '~~/components/ui/UiButton.vue'
import UiSkeleton from '~~/components/ui/UiSkeleton.vue'
import UiSpinner from '~~/components/ui/UiSpinner.vue'
import PasswordRules from '~~/components/app/PasswordRules.vue'

const global = { components: { UiIcon, UiButton, UiSkeleton, UiSpinner, NuxtLink: { props: ['to'], setup: (p: { to: string }, { slots }: { slots: { default?: () => unknown } }) => () => h('a', { href: p.to }, slots.default?.() as never) } } }

describe('UiInput', () => {
  it('validates inline on blur, links the error to the field and clears with the parent', async () => {
    const w = mount(UiInput, { props: { label: 'E-mail', modelValue: 'pas-un-email', validate: (v: string) => (v.includes('@') ? null : 'Adresse invalide') }, global })
    const input = w.get('input')
    expect(w.text()).not.toContain('Adresse invalide')
    await input.trigger('blur')
    expect(w.get('[role="alert"]').text()).toBe('Adresse invalide')
    expect(input.attributes('aria-invalid')).toBe('true')
    expect(input.attributes('aria-describedby')).toContain(w.get('[role="alert"]').attributes('id'))
    await w.setProps({ modelValue: 'a@b.fr' })
    expect(w.find('[role="alert"]').exists()).toBe(false)
    expect(w.get('label').text()).toContain('E-mail')
  })
  it('shows a server error given by the parent and toggles password visibility', async () => {
    const w = mount(UiInput, { props: { label: 'Mot de passe', type: 'password', error: 'Trop faible' }, global })
    expect(w.get('[role="alert"]').text()).toBe('Trop faible')
    expect(w.get('input').attributes('type')).toBe('password')
    await w.get('button').trigger('click')
    expect(w.get('input').attributes('type')).toBe('text')
    expect(w.get('button').attributes('aria-label')).toBe('Masquer le mot de passe')
  })
})

describe('UiDataTable', () => {
  const columns = [{ key: 'name', label: 'Nom', sortable: true }, { key: 'role', label: 'Rôle' }]
  const rows = [{ id: 'a', name: 'Alice', role: 'admin' }, { id: 'b', name: 'Bruno', role: 'owner' }]
  it('sorts through its headers and exposes aria-sort', async () => {
    const w = mount(UiDataTable, { props: { columns, rows, rowKey: 'id', caption: 'Équipe', sort: null }, global })
    const th = w.get('th[aria-sort]')
    expect(th.attributes('aria-sort')).toBe('none')
    await th.get('button').trigger('click')
    expect(w.emitted('update:sort')![0]).toEqual([{ key: 'name', dir: 'asc' }])
    await w.setProps({ sort: { key: 'name', dir: 'asc' } })
    expect(w.get('th[aria-sort]').attributes('aria-sort')).toBe('ascending')
    await w.get('th[aria-sort] button').trigger('click')
    expect(w.emitted('update:sort')![1]).toEqual([{ key: 'name', dir: 'desc' }])
    expect(w.get('caption').text()).toBe('Équipe')
  })
  it('selects rows in bulk, skipping rows that cannot be selected, and shows the bulk bar', async () => {
    const w = mount(UiDataTable, {
      props: { columns, rows, rowKey: 'id', caption: 'Équipe', selectable: true, selected: [], isRowSelectable: (r: { role: string }) => r.role !== 'owner' },
      slots: { bulk: '<button>Retirer</button>' },
      global,
    })
    expect(w.findAll('tbody input[type="checkbox"]')).toHaveLength(1)
    await w.get('thead input[type="checkbox"]').trigger('change')
    expect(w.emitted('update:selected')![0]).toEqual([['a']])
    await w.setProps({ selected: ['a'] })
    expect(w.text()).toContain('1 sélectionné')
    expect(w.text()).toContain('Retirer')
  })
  it('offers keyset pagination buttons only when there is another page', async () => {
    const w = mount(UiDataTable, { props: { columns, rows, rowKey: 'id', caption: 'Équipe', hasNext: true, hasPrevious: false }, global })
    const buttons = w.get('nav[aria-label="Pagination"]').findAll('button')
    expect(buttons[0]!.attributes('disabled')).toBeDefined()
    await buttons[1]!.trigger('click')
    expect(w.emitted('next')).toHaveLength(1)
  })
})

describe('small components', () => {
  it('UiProgress reports its value to assistive technology', () => {
    const w = mount(UiProgress, { props: { value: 42.4, label: 'Configuration' } })
    const bar = w.get('[role="progressbar"]')
    expect(bar.attributes('aria-valuenow')).toBe('42')
    expect(bar.attributes('aria-label')).toBe('Configuration')
    expect(w.text()).toMatch(/42\s?%/)
  })
  it('UiEmptyState tells what to do next', () => {
    const w = mount(UiEmptyState, { props: { title: 'Aucun contact', description: 'Importez un fichier CSV.', actionLabel: 'Importer', actionTo: '/prospects' }, global })
    expect(w.text()).toContain('Importez un fichier CSV.')
    expect(w.get('a').attributes('href')).toBe('/prospects')
  })
  it('PasswordRules ticks each rule as the password satisfies it', () => {
    const w = mount(PasswordRules, { props: { password: 'abcdefghij' }, global })
    const items = w.findAll('li')
    expect(items.map((li) => li.classes().includes('text-success'))).toEqual([true, true, false, false])
    expect(items[2]!.text()).toContain('manquant')
  })
})
