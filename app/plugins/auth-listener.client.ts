import { toSessionUser } from '~~/stores/session'

/** Keeps the session store in step with auth events of this tab and others (shared cookies). */
export default defineNuxtPlugin((nuxtApp) => {
  const supabase = useSupabase()
  const session = useSessionStore()
  const router = useRouter()
  const i18n = nuxtApp.$i18n as { locale: { value: string }; setLocale: (l: 'fr' | 'en') => Promise<void> }

  /**
   * The language chosen in the profile follows the user to every device. The locale cookie is
   * written at once, so the next server-rendered page is already in that language even while
   * the locale's messages (a lazily loaded chunk) are still being fetched for this one.
   */
  function applyPreferredLocale(preferred: string | null | undefined) {
    if ((preferred !== 'fr' && preferred !== 'en') || i18n.locale.value === preferred) return
    document.cookie = `immo_locale=${preferred}; path=/; max-age=31536000; samesite=lax`
    void i18n.setLocale(preferred)
  }
  supabase.auth.onAuthStateChange((event, s) => {
    if (event === 'SIGNED_OUT') {
      session.reset()
      session.loaded = true
      if (!router.currentRoute.value.path.match(/^\/(connexion|inscription|mot-de-passe-oublie|invitation\/)/)) void router.push('/connexion')
    } else if ((event === 'SIGNED_IN' || event === 'USER_UPDATED' || event === 'TOKEN_REFRESHED') && s?.user) {
      const changedUser = session.user?.id !== s.user.id
      session.setUser(s.user)
      if (event === 'SIGNED_IN') applyPreferredLocale(session.user?.locale)
      if (changedUser) void session.loadMemberships()
    } else if (event === 'INITIAL_SESSION' && s?.user) {
      // A page opened right after signing in may have been rendered before the switch finished.
      applyPreferredLocale(toSessionUser(s.user).locale)
    }
  })
})
