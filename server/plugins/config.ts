// Validate the runtime configuration when Nitro starts, not on the first request.
export default defineNitroPlugin(() => {
  serverConfig()
})
