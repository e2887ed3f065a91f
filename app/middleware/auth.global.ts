/** Pages anyone may open; the rest need a session, and a tenant unless noted. */
const PUBLIC = new Set(['/connexion', '/inscription', '/mot-de-passe-oublie', '/reinitialiser', '/auth/confirmation'])
const GUEST_ONLY = new Set(['/connexion', '/inscription', '/mot-de-passe-oublie'])
const NO_TENANT_NEEDED = new Set(['/onboarding', '/reglages/profil'])

export default defineNuxtRouteMiddleware(async (to) => {
  const session = useSessionStore()
  await session.init()
  const isPublic = PUBLIC.has(to.path) || to.path.startsWith('/invitation/')
  if (!session.user) {
    if (isPublic) return
    return navigateTo({ path: '/connexion', query: to.fullPath !== '/' ? { suite: to.fullPath } : {} })
  }
  if (GUEST_ONLY.has(to.path)) {
    const next = typeof to.query.suite === 'string' ? safeNext(to.query.suite) : '/'
    return navigateTo(session.memberships.length || next.startsWith('/invitation/') ? next : '/onboarding')
  }
  if (isPublic || NO_TENANT_NEEDED.has(to.path)) return
  if (!session.memberships.length) return navigateTo('/onboarding')
})
