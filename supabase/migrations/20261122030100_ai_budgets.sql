-- Monthly AI budget per tenant: a default per plan, an optional override set by
-- the platform (billing), month-to-date spend from ai_usage, and notifications
-- to the tenant's admins when spend crosses 80 % (warning) and 120 % (blocked)
-- of the budget, once per month each. Enterprise is exempt. The 120 % refusal
-- is enforced twice: by the AI layer before it calls the provider, and by a
-- trigger on ai_generations (20261122030300_ai_generations.sql).

create table public.tenant_ai_budgets (
  tenant_id uuid primary key references public.tenants (id) on delete cascade,
  monthly_budget_eur numeric(10, 2) not null,
  note text,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  constraint tenant_ai_budgets_positive check (monthly_budget_eur >= 0)
);
comment on table public.tenant_ai_budgets is
  'Platform-set override of a tenant''s monthly AI budget in euros (the plan default applies without a row). Written by the service role (billing).';

create trigger tenant_ai_budgets_updated_at before update on public.tenant_ai_budgets
  for each row execute function private.set_updated_at();

-- The plan's default monthly AI budget in euros; null means exempt (Enterprise).
create or replace function private.ai_plan_budget_eur(p_plan public.tenant_plan)
returns numeric
language sql
immutable
set search_path = ''
as $$
  select case p_plan
    when 'trial' then 5.00
    when 'starter' then 20.00
    when 'pro' then 100.00
    when 'enterprise' then null
  end::numeric
$$;

-- The tenant's AI budget state for the current month (in the tenant's time zone).
-- state: 'exempt' | 'ok' | 'warning' (>= 80 %) | 'blocked' (>= 120 %).
-- Internal: no role check (callers check; the public wrapper below does).
create or replace function private.ai_budget_state(p_tenant_id uuid)
returns table (
  tenant_id uuid, plan public.tenant_plan, exempt boolean, budget_eur numeric, spent_eur numeric,
  ratio numeric, state text, month_start timestamptz, calls bigint
)
language sql
stable
security definer
set search_path = ''
as $$
  with t as (
    select t.id, t.plan,
           date_trunc('month', now() at time zone t.timezone) at time zone t.timezone as month_start,
           case when t.plan = 'enterprise' then null
                else coalesce(b.monthly_budget_eur, private.ai_plan_budget_eur(t.plan)) end as budget
      from public.tenants t
      left join public.tenant_ai_budgets b on b.tenant_id = t.id
     where t.id = p_tenant_id
  ), s as (
    select coalesce(sum(u.cost_eur), 0)::numeric as spent, count(*) as calls
      from public.ai_usage u, t
     where u.tenant_id = t.id and u.created_at >= t.month_start
  )
  select t.id, t.plan, t.budget is null, t.budget, round(s.spent, 6),
         case when t.budget is null then null when t.budget = 0 then case when s.spent > 0 then 999 else 0 end
              else round(s.spent / t.budget, 4) end,
         case when t.budget is null then 'exempt'
              when s.spent >= t.budget * 1.2 and (t.budget > 0 or s.spent > 0) then 'blocked'
              when s.spent >= t.budget * 0.8 and (t.budget > 0 or s.spent > 0) then 'warning'
              else 'ok' end,
         t.month_start, s.calls
    from t, s
$$;
revoke all on function private.ai_budget_state(uuid) from public, anon, authenticated;
grant execute on function private.ai_budget_state(uuid) to service_role;

-- What the settings page and the AI layer read: any member sees whether
-- generation is allowed and how much of the budget is used.
create or replace function public.ai_budget_status(p_tenant_id uuid)
returns table (
  tenant_id uuid, plan public.tenant_plan, exempt boolean, budget_eur numeric, spent_eur numeric,
  ratio numeric, state text, month_start timestamptz, calls bigint
)
language plpgsql
stable
security definer
set search_path = ''
as $$
begin
  perform private.require_role(p_tenant_id, 'assistant');
  return query select * from private.ai_budget_state(p_tenant_id);
end;
$$;
revoke all on function public.ai_budget_status(uuid) from public, anon;
grant execute on function public.ai_budget_status(uuid) to authenticated, service_role;

-- One alert per tenant, month and threshold (internal bookkeeping, not exposed).
create table private.ai_budget_alerts (
  tenant_id uuid not null references public.tenants (id) on delete cascade,
  month_start timestamptz not null,
  threshold smallint not null,
  spent_eur numeric not null,
  budget_eur numeric not null,
  created_at timestamptz not null default now(),
  primary key (tenant_id, month_start, threshold),
  constraint ai_budget_alerts_threshold check (threshold in (80, 120))
);
revoke all on private.ai_budget_alerts from public, anon, authenticated;

-- After usage is recorded: crossing 80 % or 120 % notifies the tenant's admins
-- and owner, once per month and threshold (the alerts key makes it idempotent,
-- also under concurrent inserts).
create or replace function private.ai_usage_budget_alerts()
returns trigger
language plpgsql
security definer
set search_path = ''
as $$
declare
  tid uuid;
  st record;
  th smallint;
  fr boolean;
  inserted integer;
begin
  for tid in select distinct n.tenant_id from new_rows n where n.cost_eur > 0 loop
    select * into st from private.ai_budget_state(tid);
    if st.exempt or st.state not in ('warning', 'blocked') then
      continue;
    end if;
    foreach th in array (case when st.state = 'blocked' then array[80, 120] else array[80] end)::smallint[] loop
      insert into private.ai_budget_alerts (tenant_id, month_start, threshold, spent_eur, budget_eur)
      values (tid, st.month_start, th, st.spent_eur, st.budget_eur)
      on conflict do nothing;
      get diagnostics inserted = row_count;
      if inserted = 0 then
        continue;
      end if;
      select t.locale !~ '^en' into fr from public.tenants t where t.id = tid;
      insert into public.notifications (tenant_id, user_id, kind, title, body, link, payload)
      select tid, m.user_id,
             case th when 80 then 'ai.budget_warning' else 'ai.budget_exceeded' end,
             case when fr then
               case th when 80 then 'Budget IA utilisé à 80 %' else 'Budget IA dépassé : génération suspendue' end
             else
               case th when 80 then 'AI budget 80% used' else 'AI budget exceeded: generation paused' end
             end,
             case when fr then
               format('%s € dépensés sur %s € ce mois-ci.', to_char(st.spent_eur, 'FM999990.00'), to_char(st.budget_eur, 'FM999990.00'))
             else
               format('€%s spent of €%s this month.', to_char(st.spent_eur, 'FM999990.00'), to_char(st.budget_eur, 'FM999990.00'))
             end,
             '/settings/ai',
             jsonb_build_object('code', case th when 80 then 'ai_budget_warning' else 'ai_budget_exceeded' end,
                                'threshold', th, 'spent_eur', st.spent_eur, 'budget_eur', st.budget_eur,
                                'month_start', st.month_start)
        from public.tenant_members m
       where m.tenant_id = tid and m.role >= 'admin';
    end loop;
  end loop;
  return null;
end;
$$;
revoke all on function private.ai_usage_budget_alerts() from public, anon, authenticated;
create trigger ai_usage_budget_alerts after insert on public.ai_usage
  referencing new table as new_rows for each statement execute function private.ai_usage_budget_alerts();

alter table public.tenant_ai_budgets enable row level security;
revoke all on public.tenant_ai_budgets from anon;
revoke insert, update, delete, truncate on public.tenant_ai_budgets from authenticated;

create policy tenant_ai_budgets_select on public.tenant_ai_budgets for select to authenticated
  using (tenant_id = any (array(select private.tenant_ids_with_role('admin'))));
