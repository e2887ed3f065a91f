/** Agency logos in the public `tenant-logos` bucket, one folder per tenant. */
export const LOGO_BUCKET = 'tenant-logos'
export const LOGO_MAX_BYTES = 1024 * 1024
export const LOGO_TYPES = ['image/png', 'image/jpeg', 'image/webp', 'image/svg+xml']

export function logoProblem(file: { size: number; type: string }): 'type' | 'size' | null {
  if (!LOGO_TYPES.includes(file.type)) return 'type'
  if (file.size > LOGO_MAX_BYTES) return 'size'
  return null
}

export function useTenantLogo() {
  const supabase = useSupabase()
  const tenants = useTenant()

  function url(path: string | null | undefined): string | null {
    return path ? supabase.storage.from(LOGO_BUCKET).getPublicUrl(path).data.publicUrl : null
  }

  async function upload(tenantId: string, file: File, previous: string | null) {
    const ext = ({ 'image/png': 'png', 'image/jpeg': 'jpg', 'image/webp': 'webp', 'image/svg+xml': 'svg' } as Record<string, string>)[file.type] ?? 'bin'
    const path = `${tenantId}/logo-${Date.now()}.${ext}`
    const { error } = await supabase.storage.from(LOGO_BUCKET).upload(path, file, { contentType: file.type, cacheControl: '31536000' })
    if (error) throw error
    const t = await tenants.update(tenantId, { logo_path: path })
    if (previous) await supabase.storage.from(LOGO_BUCKET).remove([previous])
    return t
  }

  async function remove(tenantId: string, path: string) {
    const t = await tenants.update(tenantId, { logo_path: null })
    await supabase.storage.from(LOGO_BUCKET).remove([path])
    return t
  }

  return { url, upload, remove }
}
