// https://nuxt.com/docs/api/configuration/nuxt-config
import { basename, join } from 'node:path'
import { localeFiles } from './i18n/messages'

// IMMO_BUILD_DIR (optional): build into another folder, so two checkouts' test runs never share .nuxt/.output.
const buildRoot = process.env.IMMO_BUILD_DIR

export default defineNuxtConfig({
  compatibilityDate: '2025-07-15',
  future: { compatibilityVersion: 4 },
  srcDir: 'app',
  devtools: { enabled: false },
  // The build folder stays inside the project (generated files resolve node_modules from there).
  ...(buildRoot ? { buildDir: `.nuxt-${basename(buildRoot)}` } : {}),
  nitro: {
    ...(buildRoot ? { output: { dir: join(buildRoot, '.output') } } : {}),
    // The communes dataset is read at run time (createRequire in server/utils/communes.ts and
    // server/api/import/postal-codes.get.ts), which the bundler cannot see: copy it into
    // .output/server/node_modules, otherwise a server built outside the checkout finds no data.
    externals: { traceInclude: ['@etalab/decoupage-administratif/data/communes.json'] },
  },
  telemetry: false,
  // Links prefetch their page's code on hover or focus, not as soon as they are visible: the
  // sidebar alone would otherwise download every module's page on each first load.
  experimental: { defaults: { nuxtLink: { prefetchOn: { visibility: false, interaction: true } } } },
  components: [{ path: '~~/components', pathPrefix: false }],
  imports: { dirs: ['~~/composables', '~~/stores'] },
  modules: ['@pinia/nuxt', '@nuxtjs/tailwindcss', '@nuxtjs/i18n', '@vueuse/nuxt'],
  css: ['~/assets/css/main.css'],
  tailwindcss: { cssPath: false, configPath: '~~/tailwind.config.ts' },
  app: {
    head: {
      titleTemplate: '%s · immo-ai',
      meta: [{ name: 'viewport', content: 'width=device-width, initial-scale=1' }, { name: 'theme-color', content: '#2554d6' }],
      link: [{ rel: 'icon', type: 'image/svg+xml', href: "data:image/svg+xml,%3Csvg xmlns='http://www.w3.org/2000/svg' viewBox='0 0 32 32'%3E%3Crect width='32' height='32' rx='8' fill='%232554d6'/%3E%3Cpath d='M8 17l8-7 8 7v7h-5v-5h-6v5H8z' fill='white'/%3E%3C/svg%3E" }],
    },
  },
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
    vueI18n: './i18n.config.ts',
    strategy: 'no_prefix',
    langDir: 'locales',
    locales: [
      { code: 'fr', language: 'fr-FR', name: 'Français', files: localeFiles('fr') },
      { code: 'en', language: 'en-GB', name: 'English', files: localeFiles('en') },
    ],
    detectBrowserLanguage: { useCookie: true, cookieKey: 'immo_locale', fallbackLocale: 'fr' },
    // First-load JS budget (issue 5: < 250 kB gzip per page): each locale's messages are their own
    // chunks, fetched only for the active locale (they were all in the entry chunk, fr and en);
    // messages are precompiled at build time, so the runtime message compiler is dropped, and the
    // <i18n-t>/v-t globals (unused) are not installed.
    lazy: true,
    bundle: { optimizeTranslationDirective: false, dropMessageCompiler: true, fullInstall: false },
  },
})
