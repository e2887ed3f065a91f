import { errorCode } from '~/utils/errors'

/** A translated, user-facing sentence for any API error (never a stack trace). */
export function useErrorMessage() {
  const { t, te } = useI18n()
  return (e: unknown) => {
    const code = errorCode(e)
    return te(`errors.${code}`) ? t(`errors.${code}`) : t('errors.unknown')
  }
}
