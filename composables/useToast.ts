export interface Toast { id: number; tone: 'success' | 'error' | 'info'; title: string; description?: string }
let seq = 0

/** App-wide toasts (announced politely; errors assertively). */
export function useToast() {
  const toasts = useState<Toast[]>('toasts', () => [])
  function dismiss(id: number) {
    toasts.value = toasts.value.filter((t) => t.id !== id)
  }
  function push(tone: Toast['tone'], title: string, description?: string, ms = tone === 'error' ? 8000 : 4500) {
    const id = ++seq
    toasts.value = [...toasts.value.slice(-3), { id, tone, title, description }]
    if (import.meta.client) setTimeout(() => dismiss(id), ms)
    return id
  }
  return {
    toasts,
    dismiss,
    success: (title: string, description?: string) => push('success', title, description),
    error: (title: string, description?: string) => push('error', title, description),
    info: (title: string, description?: string) => push('info', title, description),
  }
}
