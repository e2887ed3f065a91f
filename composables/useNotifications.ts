import type { RealtimeChannel } from '@supabase/supabase-js'

export interface AppNotification {
  id: string
  tenant_id: string
  kind: string
  title: string
  body: string | null
  link: string | null
  read_at: string | null
  created_at: string
}

/**
 * The bell: the user's latest notifications in the current tenant and the
 * unread count, kept live by a Realtime channel on `notifications` opened on
 * mount and removed on unmount (and re-opened when the tenant changes).
 */
export function useNotifications(limit = 15) {
  const supabase = useSupabase()
  const session = useSessionStore()
  const items = ref<AppNotification[]>([])
  const unread = ref(0)
  const loading = ref(false)
  let channel: RealtimeChannel | null = null

  async function load() {
    const tenantId = session.currentTenantId
    const userId = session.user?.id
    if (!tenantId || !userId) return
    loading.value = true
    try {
      const [list, count] = await Promise.all([
        supabase.from('notifications').select('id, tenant_id, kind, title, body, link, read_at, created_at')
          .eq('tenant_id', tenantId).eq('user_id', userId).order('created_at', { ascending: false }).limit(limit),
        supabase.from('notifications').select('id', { count: 'exact', head: true })
          .eq('tenant_id', tenantId).eq('user_id', userId).is('read_at', null),
      ])
      if (list.error) throw list.error
      items.value = (list.data ?? []) as AppNotification[]
      unread.value = count.count ?? 0
    } finally {
      loading.value = false
    }
  }

  function onChange(payload: { eventType: string; new: Partial<AppNotification>; old: Partial<AppNotification> }) {
    const row = payload.new as AppNotification
    if (payload.eventType === 'INSERT' && row.tenant_id === session.currentTenantId) {
      items.value = [row, ...items.value.filter((n) => n.id !== row.id)].slice(0, limit)
      if (!row.read_at) unread.value++
    } else if (payload.eventType === 'UPDATE' && row.tenant_id === session.currentTenantId) {
      const before = items.value.find((n) => n.id === row.id)
      if (before && !before.read_at && row.read_at) unread.value = Math.max(0, unread.value - 1)
      items.value = items.value.map((n) => (n.id === row.id ? { ...n, ...row } : n))
    } else if (payload.eventType === 'DELETE') {
      items.value = items.value.filter((n) => n.id !== payload.old.id)
    }
  }

  function subscribe() {
    unsubscribe()
    const tenantId = session.currentTenantId
    const userId = session.user?.id
    if (!tenantId || !userId) return
    channel = supabase
      .channel(`notifications:${tenantId}:${userId}`)
      .on('postgres_changes' as never, { event: '*', schema: 'public', table: 'notifications', filter: `user_id=eq.${userId}` }, onChange as never)
      .subscribe()
  }

  function unsubscribe() {
    if (channel) void supabase.removeChannel(channel)
    channel = null
  }

  async function markRead(id: string) {
    const n = items.value.find((x) => x.id === id)
    if (!n || n.read_at) return
    const now = new Date().toISOString()
    n.read_at = now
    unread.value = Math.max(0, unread.value - 1)
    const { error } = await supabase.from('notifications').update({ read_at: now }).eq('id', id)
    if (error) {
      n.read_at = null
      unread.value++
      throw error
    }
  }

  async function markAllRead() {
    const tenantId = session.currentTenantId
    const userId = session.user?.id
    if (!tenantId || !userId || !unread.value) return
    const now = new Date().toISOString()
    const { error } = await supabase.from('notifications').update({ read_at: now }).eq('tenant_id', tenantId).eq('user_id', userId).is('read_at', null)
    if (error) throw error
    items.value = items.value.map((n) => (n.read_at ? n : { ...n, read_at: now }))
    unread.value = 0
  }

  onMounted(() => {
    void load()
    subscribe()
  })
  onBeforeUnmount(unsubscribe)
  watch(() => session.currentTenantId, () => {
    void load()
    subscribe()
  })

  return { items, unread, loading, load, markRead, markAllRead }
}
