/**
 * The ai_usage ledger and the budget, on the database side.
 *
 * Usage rows are written with the service role, on purpose: the ledger is the
 * basis of billing and budget enforcement, so members may read it (admins) but
 * never write it — a member who could insert rows could also forge them — and
 * a paid call must stay recorded even when the user's own transaction (the
 * generation insert) rolls back. Budget state is read as the user, through
 * public.ai_budget_status, which checks membership.
 */
import type { DbClaims, Sql, Tx } from '../db.ts'
import { withService, withUser } from '../db.ts'
import type { Logger } from '../log.ts'
import type { UsageRecord } from './client.ts'
import { AiError } from './errors.ts'

export const USAGE_REASON = 'ai_usage ledger: append-only accounting rows members may read but not write'

export async function insertUsage(tx: Tx, r: UsageRecord): Promise<void> {
  await tx`
    insert into public.ai_usage (tenant_id, user_id, task, model, prompt_tokens, completion_tokens, cost_eur, latency_ms,
                                 outcome, error_code, attempts, request_id)
    values (${r.tenantId}, ${r.userId ?? null}, ${r.task}, ${r.model}, ${r.promptTokens}, ${r.completionTokens},
            ${r.costEur}, ${Math.max(0, Math.round(r.latencyMs))}, ${r.outcome}, ${r.errorCode ?? null},
            ${Math.min(20, r.attempts)}, ${r.requestId ?? null})`
}

/** A recordUsage for AiDeps that writes through the service role. */
export function serviceUsageRecorder(opts: { sql?: Sql; logger?: Logger } = {}): (r: UsageRecord) => Promise<void> {
  return (r) => withService(USAGE_REASON, (tx) => insertUsage(tx, r), opts)
}

export interface BudgetStatus {
  plan: string
  exempt: boolean
  budgetEur: number | null
  spentEur: number
  ratio: number | null
  state: 'exempt' | 'ok' | 'warning' | 'blocked'
  monthStart: string
  calls: number
}

export async function readBudget(tx: Tx, tenantId: string): Promise<BudgetStatus> {
  const [r] = await tx`select * from public.ai_budget_status(${tenantId})`
  if (!r) throw new Error(`no budget status for tenant ${tenantId}`)
  return {
    plan: r.plan,
    exempt: r.exempt,
    budgetEur: r.budget_eur === null ? null : Number(r.budget_eur),
    spentEur: Number(r.spent_eur),
    ratio: r.ratio === null ? null : Number(r.ratio),
    state: r.state,
    monthStart: new Date(r.month_start).toISOString(),
    calls: Number(r.calls),
  }
}

/** Throws AiError ai_budget_exceeded (402) when the tenant's budget is at 120 % or more. */
export function assertBudget(status: BudgetStatus): BudgetStatus {
  if (status.state === 'blocked') {
    throw new AiError('ai_budget_exceeded', { spentEur: status.spentEur, budgetEur: status.budgetEur, ratio: status.ratio })
  }
  return status
}

/** Reads the budget as the user and refuses at 120 %. */
export async function checkBudget(claims: DbClaims, tenantId: string, sql?: Sql): Promise<BudgetStatus> {
  return assertBudget(await withUser(claims, (tx) => readBudget(tx, tenantId), sql))
}
