/** auth: not built yet — answers 501 until its module lands. */
import type { GatewayContext, GatewayModule } from '../context.ts'
import { sendJson } from '../http.ts'

export function createAuth(_ctx: GatewayContext): GatewayModule {
  return {
    async handle(_req, res) {
      sendJson(res, 501, { message: 'auth is not available in the local gateway yet' })
    },
  }
}
