export interface NavItem { key: string; to: string; icon: string }

/** The sidebar's entries, in the product's order. Pages other issues build light up when their route exists. */
export const NAV_ITEMS: NavItem[] = [
  { key: 'dashboard', to: '/', icon: 'home' },
  { key: 'prospects', to: '/prospects', icon: 'users' },
  { key: 'bases', to: '/bases', icon: 'database' },
  { key: 'sequences', to: '/sequences', icon: 'sequence' },
  { key: 'templates', to: '/modeles', icon: 'mail' },
  { key: 'inbox', to: '/boite-de-reception', icon: 'inbox' },
  { key: 'pipeline', to: '/pipeline', icon: 'pipeline' },
  { key: 'agenda', to: '/agenda', icon: 'calendar' },
  { key: 'forms', to: '/formulaires', icon: 'form' },
  { key: 'documents', to: '/documents', icon: 'document' },
  { key: 'analytics', to: '/analytique', icon: 'chart' },
  { key: 'settings', to: '/reglages/equipe', icon: 'settings' },
]

export function useNavigation() {
  const router = useRouter()
  const route = useRoute()
  const exists = (path: string) => router.resolve(path).matched.length > 0
  const items = computed(() => NAV_ITEMS.map((i) => ({ ...i, available: exists(i.to) })))
  const isActive = (to: string) => (to === '/' ? route.path === '/' : route.path.startsWith(to === '/reglages/equipe' ? '/reglages' : to))
  return { items, isActive, exists }
}
