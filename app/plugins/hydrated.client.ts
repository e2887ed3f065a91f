/** Marks the document once the app is hydrated and interactive (end-to-end tests wait for it). */
export default defineNuxtPlugin((nuxtApp) => {
  nuxtApp.hook('app:suspense:resolve', () => {
    document.documentElement.dataset.hydrated = 'true'
  })
})
