/** Keeps the session store in step with auth events of this tab and others (shared cookies). */
export default defineNuxtPlugin(() => {
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
      if (changedUser) void session.loadMemberships()
    }
  })
})
