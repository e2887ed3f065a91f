import { describe, expect, it } from 'vitest'
import { togglePage, useListSelection } from '~~/composables/useListSelection'

describe('list selection', () => {
  it('keeps the ticked ids whatever the rows on screen become', () => {
    const s = useListSelection()
    s.selected.value = ['a', 'b']
    // a reload (page turn, filters, background refresh) replaces the rows, not the selection
    expect(s.externalChange()).toBe(false)
    expect(s.selected.value).toEqual(['a', 'b'])
    expect(s.stale.value).toBe(true)
    s.reloaded()
    expect(s.stale.value).toBe(false)
    expect(s.selected.value).toEqual(['a', 'b'])
  })

  it('a bulk dialog acts on the ids chosen when it opened', () => {
    const s = useListSelection()
    s.selected.value = ['a', 'b']
    expect(s.hold()).toEqual(['a', 'b'])
    expect(s.holding.value).toBe(true)
    // something empties or changes the selection while the dialog is open
    s.selected.value = []
    expect(s.target()).toEqual(['a', 'b'])
    expect(s.count.value).toBe(2)
    s.selected.value = ['c']
    expect(s.target()).toEqual(['a', 'b'])
    // the action went through: its ids leave the selection, the one ticked meanwhile stays
    s.settle(['a', 'b'])
    expect(s.holding.value).toBe(false)
    expect(s.selected.value).toEqual(['c'])
    expect(s.target()).toEqual(['c'])
  })

  it('a dialog closed without acting leaves the selection as it is', () => {
    const s = useListSelection()
    s.selected.value = ['a', 'b', 'a']
    expect(s.hold()).toEqual(['a', 'b'])
    s.release()
    expect(s.holding.value).toBe(false)
    expect(s.selected.value).toEqual(['a', 'b', 'a'])
  })

  it('defers a change made elsewhere while the user works on a selection, not otherwise', () => {
    const s = useListSelection()
    expect(s.externalChange()).toBe(true)
    expect(s.stale.value).toBe(false)
    s.selected.value = ['a']
    s.hold()
    s.selected.value = []
    expect(s.externalChange()).toBe(false)
    expect(s.stale.value).toBe(true)
    s.settle(['a'])
    s.reloaded()
    expect(s.externalChange()).toBe(true)
  })

  it('ticking a whole page adds its rows; unticking it removes only them', () => {
    expect(togglePage(['x', 'a'], ['a', 'b', 'c'], true)).toEqual(['x', 'a', 'b', 'c'])
    expect(togglePage(['x', 'a', 'b', 'c'], ['a', 'b', 'c'], false)).toEqual(['x'])
    expect(togglePage([], [], true)).toEqual([])
  })

  it('clears only when asked', () => {
    const s = useListSelection()
    s.selected.value = ['a']
    s.clear()
    expect(s.selected.value).toEqual([])
    expect(s.target()).toEqual([])
  })
})
