-- AI usage ledger: one row per call the AI layer (supabase/functions/_shared/ai)
-- makes or short-circuits, with tokens, cost in euros, latency and outcome.
-- It is the source of month-to-date spend and budget enforcement, so it is
-- append-only for everyone and written by the service role only: members
-- cannot add, change or remove what they are charged for, and a call that was
-- paid for stays recorded even when the caller's own transaction rolls back.
-- Failed calls are recorded with cost 0 (no charge for a failed call).

create type public.ai_outcome as enum ('ok', 'error', 'fallback');
comment on type public.ai_outcome is
  'ok: the provider answered and the output validated; error: the call failed and nothing was served; fallback: the deterministic template renderer served the request (breaker open or provider failing).';

create table public.ai_usage (
  id uuid primary key default gen_random_uuid(),
  tenant_id uuid not null references public.tenants (id) on delete cascade,
  user_id uuid,
  task text not null,
  model text not null,
  prompt_tokens integer not null default 0,
  completion_tokens integer not null default 0,
  cost_eur numeric(12, 6) not null default 0,
  latency_ms integer not null default 0,
  outcome public.ai_outcome not null,
  error_code text,
  attempts smallint not null default 1,
  request_id text,
  created_at timestamptz not null default now(),
  constraint ai_usage_task_format check (task ~ '^[a-z][a-z_]*(\.[a-z][a-z_]*)*$'),
  constraint ai_usage_tokens_positive check (prompt_tokens >= 0 and completion_tokens >= 0),
  constraint ai_usage_cost_positive check (cost_eur >= 0),
  constraint ai_usage_latency_positive check (latency_ms >= 0),
  constraint ai_usage_attempts_range check (attempts between 0 and 20),
  -- No charge for a call that did not serve a validated answer.
  constraint ai_usage_no_charge_on_failure check (outcome = 'ok' or cost_eur = 0),
  constraint ai_usage_error_code_format check (error_code is null or error_code ~ '^[a-z][a-z0-9_]*$')
);
comment on table public.ai_usage is 'Append-only ledger of AI calls per tenant (tokens, cost in euros, latency, outcome). Written by the service role.';
comment on column public.ai_usage.user_id is 'The member the call was made for (no foreign key: the ledger outlives users).';

-- Month-to-date spend and the settings page: a tenant's calls by time.
create index ai_usage_tenant_created_idx on public.ai_usage (tenant_id, created_at desc);
create index ai_usage_tenant_task_idx on public.ai_usage (tenant_id, task, created_at desc);

create trigger ai_usage_append_only before update or delete on public.ai_usage
  for each row when (pg_trigger_depth() < 1) execute function private.refuse_mutation();
create trigger ai_usage_no_truncate before truncate on public.ai_usage
  for each statement execute function private.refuse_mutation();

alter table public.ai_usage enable row level security;
revoke all on public.ai_usage from anon;
revoke insert, update, delete, truncate on public.ai_usage from authenticated;
grant select on public.ai_usage to authenticated;
grant select, insert on public.ai_usage to service_role;

-- Spend is a settings matter: admins and owners read the ledger.
create policy ai_usage_select on public.ai_usage for select to authenticated
  using (tenant_id = any (array(select private.tenant_ids_with_role('admin'))));
