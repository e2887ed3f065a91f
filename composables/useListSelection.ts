import { computed, ref } from 'vue'

/** The selection after the user ticks or unticks every row of the page on screen (other pages' ids stay). */
export function togglePage(selected: readonly string[], pageIds: readonly string[], on: boolean): string[] {
  if (!on) {
    const off = new Set(pageIds)
    return selected.filter((id) => !off.has(id))
  }
  const have = new Set(selected)
  return [...selected, ...pageIds.filter((id) => !have.has(id))]
}

/**
 * The bulk selection of a list, kept apart from the rows on screen.
 *
 * - The selected ids survive every reload of the rows (a page turn, a filter
 *   change, a refresh nobody asked for): only the user, or a bulk action that
 *   went through, takes ids out of it.
 * - A bulk dialog acts on the ids captured when it opened (`hold`), whatever
 *   the selection or the rows become while it is open.
 * - While the user is working on a selection (a dialog open, or rows ticked),
 *   a change made elsewhere does not reload the rows under their cursor:
 *   `externalChange()` says to wait and `stale` asks for a discreet
 *   "list updated" notice; the next reload clears it.
 */
export function useListSelection() {
  const selected = ref<string[]>([])
  const held = ref<string[] | null>(null)
  const stale = ref(false)

  /** Opens a bulk dialog: the ids it will act on, fixed now. */
  function hold(): string[] {
    held.value = [...new Set(selected.value)]
    return held.value
  }
  /** The dialog closed without acting. */
  function release() {
    held.value = null
  }
  /** The ids a bulk action applies to: those captured when its dialog opened, else the current selection. */
  function target(): string[] {
    return [...(held.value ?? selected.value)]
  }
  /** A bulk action went through on `ids`: they leave the selection (ids ticked meanwhile stay) and the dialog is done. */
  function settle(ids: readonly string[]) {
    const done = new Set(ids)
    selected.value = selected.value.filter((id) => !done.has(id))
    held.value = null
  }
  function clear() {
    selected.value = []
  }
  /**
   * The list changed outside the user's hands (an import finished, another tab).
   * True when the rows may be reloaded now; false when the user is busy with
   * a selection, in which case `stale` turns on instead.
   */
  function externalChange(): boolean {
    if (held.value !== null || selected.value.length > 0) {
      stale.value = true
      return false
    }
    return true
  }
  /** The rows were reloaded, whoever asked for it. */
  function reloaded() {
    stale.value = false
  }

  const holding = computed(() => held.value !== null)
  const count = computed(() => (held.value ?? selected.value).length)
  return { selected, held, holding, count, stale, hold, release, target, settle, clear, externalChange, reloaded }
}
export type ListSelection = ReturnType<typeof useListSelection>
