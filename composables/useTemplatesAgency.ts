import type { AgencyVars } from './useTemplates'

/** The agency's values for template previews: its name and town, the signed-in agent. */
export function useTemplatesAgency() {
  const session = useSessionStore()
  const tenants = useTenant()
  const city = ref('')
  onMounted(async () => {
    city.value = (await tenants.fetch().catch(() => null))?.city ?? ''
  })
  return computed<AgencyVars>(() => ({
    agencyName: session.currentTenant ? (session.currentTenant.display_name ?? session.currentTenant.legal_name) : '',
    agencyCity: city.value,
    agentName: session.user?.fullName ?? '',
  }))
}
