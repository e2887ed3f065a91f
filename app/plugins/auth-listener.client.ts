/** Keeps the session store in step with auth events of this tab and others (shared cookies). */
export default defineNuxtPlugin((nuxtApp) => {
  const supabase = useSupabase()
  const session = useSessionStore()
  const router = useRouter()
  supabase.auth.onAuthStateChange((event, s) => {
    if (event === 'SIGNED_OUT') {
      session.reset()
      session.loaded = true
      if (!router.currentRoute.value.path.match(/^\/(connexion|inscription|mot-de-passe-oublie|invitation\/)/)) void router.push('/connexion')
    } else if ((event === 'SIGNED_IN' || event === 'USER_UPDATED' || event === 'TOKEN_REFRESHED') && s?.user) {
      const changedUser = session.user?.id !== s.user.id
      session.setUser(s.user)
      // The language chosen in the profile follows the user to every device.
      const preferred = session.user?.locale
      const i18n = nuxtApp.$i18n as { locale: { value: string }; setLocale: (l: 'fr' | 'en') => Promise<void> }
      if (event === 'SIGNED_IN' && (preferred === 'fr' || preferred === 'en') && i18n.locale.value !== preferred) void i18n.setLocale(preferred)
      if (changedUser) void session.loadMemberships()
    }
  })
})
