import type { TenantRole } from '~/utils/roles'

export interface Member { user_id: string; email: string; full_name: string | null; role: TenantRole; joined_at: string }
export interface Invitation { id: string; email: string; role: TenantRole; expires_at: string; created_at: string }

/** Members and invitations of the current tenant (RLS: admins manage, everyone reads members). */
export function useTeam() {
  const supabase = useSupabase()
  const session = useSessionStore()
  const tenantId = () => {
    if (!session.currentTenantId) throw new Error('no tenant')
    return session.currentTenantId
  }

  async function members(): Promise<Member[]> {
    const { data, error } = await supabase.rpc('tenant_member_directory', { p_tenant_id: tenantId() })
    if (error) throw error
    return (data ?? []) as Member[]
  }

  async function invitations(): Promise<Invitation[]> {
    if (!session.isAdmin) return []
    const { data, error } = await supabase.from('tenant_invitations').select('id, email, role, expires_at, created_at')
      .eq('tenant_id', tenantId()).is('accepted_at', null).order('created_at', { ascending: false })
    if (error) throw error
    return (data ?? []) as Invitation[]
  }

  /** Creates the invitation and returns the link to send (the clear token is only returned once). */
  async function invite(email: string, role: TenantRole, origin: string): Promise<string> {
    const { data, error } = await supabase.rpc('create_invitation', { p_tenant_id: tenantId(), p_email: email.trim(), p_role: role })
    if (error) throw error
    const row = (Array.isArray(data) ? data[0] : data) as { token: string }
    return `${origin}/invitation/${row.token}`
  }

  async function changeRole(userId: string, role: TenantRole) {
    const { data, error } = await supabase.from('tenant_members').update({ role }).eq('tenant_id', tenantId()).eq('user_id', userId).select('user_id')
    if (error) throw error
    if (!data?.length) throw Object.assign(new Error('insufficient_role'), { code: 'insufficient_role' })
  }

  async function remove(userIds: string[]) {
    const { data, error } = await supabase.from('tenant_members').delete().eq('tenant_id', tenantId()).in('user_id', userIds).select('user_id')
    if (error) throw error
    return data?.length ?? 0
  }

  async function revoke(invitationId: string) {
    const { error } = await supabase.from('tenant_invitations').delete().eq('id', invitationId).eq('tenant_id', tenantId())
    if (error) throw error
  }

  return { members, invitations, invite, changeRole, remove, revoke }
}
