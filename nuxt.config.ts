// https://nuxt.com/docs/api/configuration/nuxt-config
export default defineNuxtConfig({
  compatibilityDate: '2025-07-15',
  future: { compatibilityVersion: 4 },
  srcDir: 'app',
  devtools: { enabled: false },
  telemetry: false,
  components: [{ path: '~~/components', pathPrefix: false }],
  imports: { dirs: ['~~/composables', '~~/stores'] },
  modules: ['@pinia/nuxt', '@nuxtjs/tailwindcss', '@nuxtjs/i18n', '@vueuse/nuxt'],
  runtimeConfig: {
    supabaseServiceRoleKey: '',
    public: {
      supabaseUrl: '',
      supabaseKey: '',
      appUrl: 'http://localhost:3000',
    },
  },
  i18n: {
    defaultLocale: 'fr',
    strategy: 'no_prefix',
    langDir: 'locales',
    locales: [
      { code: 'fr', language: 'fr-FR', name: 'Français', file: 'fr.json' },
      { code: 'en', language: 'en-GB', name: 'English', file: 'en.json' },
    ],
    detectBrowserLanguage: { useCookie: true, cookieKey: 'immo_locale', fallbackLocale: 'fr' },
    bundle: { optimizeTranslationDirective: false },
  },
})
