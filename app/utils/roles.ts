export const ROLES = ['assistant', 'agent', 'admin', 'owner'] as const
export type TenantRole = (typeof ROLES)[number]

/** Roles are ordered: assistant < agent < admin < owner (as the database enum). */
export function roleAtLeast(role: TenantRole | null | undefined, min: TenantRole): boolean {
  if (!role) return false
  return ROLES.indexOf(role) >= ROLES.indexOf(min)
}
