import type { RealtimeChannel } from '@supabase/supabase-js'
import { z } from 'zod'
import {
  applyDealRow, dealRowSchema, overlayPending, parseBoardDeals, type BoardDeal, type BoardStage, type PendingMove,
} from './usePipelineModel'

export interface PipelineSummary { id: string; name: string; is_default: boolean; position: number; loss_reasons: string[] }

const stageSchema = z.object({ id: z.string(), name: z.string(), position: z.number(), probability: z.number(), kind: z.enum(['open', 'won', 'lost']) })
const pipelineSchema = z.object({ id: z.string(), name: z.string(), is_default: z.boolean(), position: z.number(), loss_reasons: z.array(z.string()).default([]) })

/** A move refused because someone moved the deal first (move_deal's 40001). */
export class DealMovedMeanwhile extends Error {
  constructor(public stageId: string, public movedBy: string | null) {
    super('deal_moved_meanwhile')
  }
}

/** PostgREST error → its stable message and JSON detail. */
export function pipelineRpcError(e: unknown): { code: string | null; message: string | null; detail: Record<string, unknown> } {
  const o = (e ?? {}) as { code?: unknown; message?: unknown; details?: unknown }
  let detail: Record<string, unknown> = {}
  if (typeof o.details === 'string') {
    try { detail = JSON.parse(o.details) as Record<string, unknown> } catch { /* not JSON */ }
  }
  return { code: typeof o.code === 'string' ? o.code : null, message: typeof o.message === 'string' ? o.message : null, detail }
}

/** The tenant's pipelines (the default one is created on first use) and their stages. */
export function usePipelines() {
  const supabase = useSupabase()
  const session = useSessionStore()

  async function list(): Promise<PipelineSummary[]> {
    const tenantId = session.currentTenantId
    if (!tenantId) return []
    let { data, error } = await supabase.from('pipelines').select('id, name, is_default, position, loss_reasons').eq('tenant_id', tenantId).order('position')
    if (error) throw error
    if (!data?.length) {
      const made = await supabase.rpc('ensure_default_pipeline', { p_tenant_id: tenantId })
      if (made.error) throw made.error
      ;({ data, error } = await supabase.from('pipelines').select('id, name, is_default, position, loss_reasons').eq('tenant_id', tenantId).order('position'))
      if (error) throw error
    }
    return z.array(pipelineSchema).parse(data ?? []).sort((a, b) => Number(b.is_default) - Number(a.is_default) || a.position - b.position)
  }

  async function stages(pipelineId: string): Promise<BoardStage[]> {
    const { data, error } = await supabase.from('pipeline_stages').select('id, name, position, probability, kind').eq('pipeline_id', pipelineId).order('position')
    if (error) throw error
    return z.array(stageSchema).parse(data ?? [])
  }

  async function save(pipelineId: string, name: string, lossReasons: string[], stageList: { id: string | null; name: string; probability: number; kind: string }[]) {
    const { error } = await supabase.rpc('save_pipeline', { p_pipeline_id: pipelineId, p_name: name, p_loss_reasons: lossReasons, p_stages: stageList })
    if (error) throw error
  }

  async function create(name: string): Promise<string> {
    const { data, error } = await supabase.rpc('create_pipeline', { p_tenant_id: session.currentTenantId, p_name: name })
    if (error) throw error
    return z.string().parse(data)
  }

  /** Prospect bases of the tenant, for the board's base filter. */
  async function bases(): Promise<{ value: string; label: string }[]> {
    const tenantId = session.currentTenantId
    if (!tenantId) return []
    const { data, error } = await supabase.from('prospect_bases').select('id, name').eq('tenant_id', tenantId).is('archived_at', null).order('name')
    if (error) throw error
    return z.array(z.object({ id: z.string(), name: z.string() })).parse(data ?? []).map((b) => ({ value: b.id, label: b.name }))
  }

  return { list, stages, save, create, bases }
}

/**
 * One pipeline's board: the cards (server state + optimistic moves), moves
 * through move_deal, and a Realtime channel on `deals` of the tenant so moves
 * by others appear within a second. Reconciliation rules: docs/pipeline.md.
 */
export function usePipelineBoard(pipelineId: Ref<string | null>, closedDays: Ref<number>) {
  const supabase = useSupabase()
  const session = useSessionStore()
  // shallowRef: 2,000 cards are replaced or patched whole, then triggered once.
  const deals = shallowRef<Record<string, BoardDeal>>({})
  const pending = ref<Record<string, PendingMove>>({})
  const loading = ref(false)
  const loaded = ref(false)
  const live = ref(false)
  let channel: RealtimeChannel | null = null
  let reloadTimer: ReturnType<typeof setTimeout> | null = null
  let opSeq = 0

  const view = computed(() => overlayPending(deals.value, pending.value))

  async function load() {
    const id = pipelineId.value
    if (!id) return
    loading.value = true
    try {
      const { data, error } = await supabase.rpc('pipeline_board', { p_pipeline_id: id, p_closed_days: closedDays.value })
      if (error) throw error
      const next: Record<string, BoardDeal> = {}
      for (const d of parseBoardDeals(data)) {
        // Keep a newer copy a Realtime event brought while the request ran.
        const cur = deals.value[d.id]
        next[d.id] = cur && cur.version > d.version ? { ...d, ...cur } : d
      }
      deals.value = next
      loaded.value = true
    } finally {
      loading.value = false
    }
  }

  function scheduleReload() {
    if (reloadTimer) return
    reloadTimer = setTimeout(() => {
      reloadTimer = null
      void load()
    }, 300)
  }

  function onChange(payload: { eventType: string; new: unknown; old: { id?: string } }) {
    if (payload.eventType === 'DELETE') {
      if (payload.old?.id && deals.value[payload.old.id]) {
        delete deals.value[payload.old.id]
        triggerRef(deals)
      }
      return
    }
    const parsed = dealRowSchema.safeParse(payload.new)
    if (!parsed.success || !pipelineId.value) return
    const r = applyDealRow(deals.value, parsed.data, pipelineId.value)
    if (r.changed) triggerRef(deals)
    if (r.needsCard) scheduleReload()
  }

  function subscribe() {
    unsubscribe()
    const tenantId = session.currentTenantId
    if (!tenantId || !pipelineId.value) return
    channel = supabase
      .channel(`pipeline-board:${tenantId}:${pipelineId.value}`)
      .on('postgres_changes' as never, { event: 'INSERT', schema: 'public', table: 'deals', filter: `tenant_id=eq.${tenantId}` }, onChange as never)
      .on('postgres_changes' as never, { event: 'UPDATE', schema: 'public', table: 'deals', filter: `tenant_id=eq.${tenantId}` }, onChange as never)
      // Deletes carry only the id under RLS and cannot be filtered: unknown ids are ignored.
      .on('postgres_changes' as never, { event: 'DELETE', schema: 'public', table: 'deals' }, onChange as never)
      .subscribe((status: string) => {
        live.value = status === 'SUBSCRIBED'
        // After a reconnection, changes missed meanwhile are fetched once.
        if (status === 'SUBSCRIBED' && loaded.value) scheduleReload()
      })
  }

  function unsubscribe() {
    if (channel) void supabase.removeChannel(channel)
    channel = null
    live.value = false
  }

  /**
   * Moves a card: shown at once (pending), confirmed by move_deal's row, or
   * undone on error. A DealMovedMeanwhile error leaves the card where the
   * other person put it.
   */
  async function move(dealId: string, stageId: string, afterId: string | null, rank: number, extra: { lostReason?: string; wonAmount?: number | null; wonOn?: string | null } = {}) {
    const d = deals.value[dealId]
    if (!d) return
    const opId = ++opSeq
    pending.value = { ...pending.value, [dealId]: { stageId, rank, baseVersion: d.version, opId } }
    const clear = () => {
      if (pending.value[dealId]?.opId === opId) {
        const { [dealId]: _gone, ...rest } = pending.value
        pending.value = rest
      }
    }
    const { data, error } = await supabase.rpc('move_deal', {
      p_deal_id: dealId,
      p_stage_id: stageId,
      p_after_deal_id: afterId,
      p_expected_version: d.version,
      p_lost_reason: extra.lostReason ?? null,
      p_won_amount: extra.wonAmount ?? null,
      p_won_on: extra.wonOn ?? null,
    })
    if (error) {
      clear()
      const e = pipelineRpcError(error)
      if (e.message === 'deal_moved_meanwhile') {
        await refreshOne(dealId)
        throw new DealMovedMeanwhile(String(e.detail.stage_id ?? ''), typeof e.detail.moved_by === 'string' ? e.detail.moved_by : null)
      }
      throw error
    }
    const parsed = dealRowSchema.safeParse(Array.isArray(data) ? data[0] : data)
    if (parsed.success && pipelineId.value && applyDealRow(deals.value, parsed.data, pipelineId.value).changed) triggerRef(deals)
    clear()
  }

  async function refreshOne(dealId: string) {
    const { data } = await supabase.from('deals').select('*').eq('id', dealId).maybeSingle()
    const parsed = dealRowSchema.safeParse(data)
    if (parsed.success && pipelineId.value && applyDealRow(deals.value, parsed.data, pipelineId.value).changed) triggerRef(deals)
  }

  onMounted(() => {
    void load()
    subscribe()
  })
  onBeforeUnmount(() => {
    unsubscribe()
    if (reloadTimer) clearTimeout(reloadTimer)
  })
  watch([pipelineId, closedDays, () => session.currentTenantId], () => {
    deals.value = {}
    pending.value = {}
    loaded.value = false
    void load()
    if (import.meta.client) subscribe()
  })

  return { deals, pending, view, loading, loaded, live, load, move }
}
