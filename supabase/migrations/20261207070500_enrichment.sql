-- Enrichment of a base's companies: website and generic professional e-mail
-- found by the enrich-worker (web search + AI tie-break), each value with its
-- confidence and source URL.
-- - Platform cache private.company_enrichment (by SIRET): a company already
--   looked up for any tenant is not looked up again within 90 days.
-- - Per tenant: contact_enrichments rows. A value at or above 0.80 confidence
--   is applied to the contact (e-mail → contacts.email when empty, website →
--   custom_fields.website); below, it waits for a review ("needs_review") and
--   is NOT written to the contact, so sending can never use it unreviewed.
-- - Coverage and accuracy per base: base_enrichment_report.

create type public.enrichment_job_status as enum ('queued', 'running', 'done', 'failed');
create type public.enrichment_status as enum ('applied', 'needs_review', 'approved', 'rejected', 'skipped');

create table private.company_enrichment (
  siret text primary key,
  findings jsonb not null default '[]',
  provider text not null,
  enriched_at timestamptz not null default now(),
  constraint company_enrichment_findings_array check (jsonb_typeof(findings) = 'array')
);
alter table private.company_enrichment enable row level security;
revoke all on private.company_enrichment from public, anon, authenticated;
grant select, insert, update, delete on private.company_enrichment to service_role;

create table public.enrichment_jobs (
  id uuid primary key default gen_random_uuid(),
  tenant_id uuid not null references public.tenants (id) on delete cascade,
  prospect_base_id uuid not null,
  status public.enrichment_job_status not null default 'queued',
  total integer not null default 0,
  processed integer not null default 0,
  cache_hits integer not null default 0,
  error text,
  requested_by uuid default auth.uid(),
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  finished_at timestamptz,
  foreign key (tenant_id, prospect_base_id) references public.prospect_bases (tenant_id, id) on delete cascade
);
create unique index enrichment_jobs_tenant_id_id_key on public.enrichment_jobs (tenant_id, id);
create index enrichment_jobs_base_idx on public.enrichment_jobs (tenant_id, prospect_base_id, created_at desc);
create index enrichment_jobs_month_idx on public.enrichment_jobs (tenant_id, created_at);
create index enrichment_jobs_requested_by_idx on public.enrichment_jobs (requested_by) where requested_by is not null;

create table public.contact_enrichments (
  id uuid primary key default gen_random_uuid(),
  tenant_id uuid not null,
  contact_id uuid not null,
  job_id uuid,
  field text not null,
  value text not null,
  confidence numeric(3, 2) not null,
  source text not null,
  provider text not null,
  status public.enrichment_status not null,
  reviewed_by uuid,
  reviewed_at timestamptz,
  created_at timestamptz not null default now(),
  foreign key (tenant_id, contact_id) references public.contacts (tenant_id, id) on delete cascade,
  foreign key (tenant_id, job_id) references public.enrichment_jobs (tenant_id, id) on delete set null (job_id),
  constraint contact_enrichments_field check (field in ('website', 'email')),
  constraint contact_enrichments_confidence check (confidence between 0 and 1)
);
create unique index contact_enrichments_value_key on public.contact_enrichments (tenant_id, contact_id, field, value);
create index contact_enrichments_job_idx on public.contact_enrichments (tenant_id, job_id) where job_id is not null;
create index contact_enrichments_review_idx on public.contact_enrichments (tenant_id, status) where status = 'needs_review';
create index contact_enrichments_reviewed_by_idx on public.contact_enrichments (reviewed_by) where reviewed_by is not null;

-- The contacts each job has handled (idempotency of the worker).
create table private.enrichment_job_contacts (
  job_id uuid not null,
  contact_id uuid not null,
  processed_at timestamptz not null default now(),
  primary key (job_id, contact_id)
);
alter table private.enrichment_job_contacts enable row level security;
revoke all on private.enrichment_job_contacts from public, anon, authenticated;
grant select, insert, delete on private.enrichment_job_contacts to service_role;

create trigger enrichment_jobs_updated_at before update on public.enrichment_jobs
  for each row execute function private.set_updated_at();
create trigger enrichment_jobs_protect_fields before update on public.enrichment_jobs
  for each row execute function private.protect_fields('tenant_id', 'requested_by', 'created_at', 'status', 'total', 'processed');
create trigger contact_enrichments_protect_fields before update on public.contact_enrichments
  for each row execute function private.protect_fields('tenant_id', 'contact_id', 'field', 'value', 'confidence', 'source', 'status', 'created_at');

do $$
begin
  if not exists (select 1 from pgmq.list_queues() q where q.queue_name = 'enrichment') then
    perform pgmq.create('enrichment');
  end if;
end
$$;

-- Records one finding for a contact (the worker, service role) and applies it
-- when confident. Returns the status given.
create or replace function private.record_enrichment(
  p_tenant_id uuid, p_contact_id uuid, p_job_id uuid, p_field text, p_value text, p_confidence numeric, p_source text, p_provider text
)
returns public.enrichment_status
language plpgsql
volatile
security definer
set search_path = ''
as $$
declare
  st public.enrichment_status := case when p_confidence >= 0.80 then 'applied' else 'needs_review' end;
  c public.contacts;
begin
  select * into c from public.contacts where tenant_id = p_tenant_id and id = p_contact_id;
  if c.id is null then
    return 'skipped';
  end if;
  if st = 'applied' and p_field = 'email' then
    if c.email is not null or exists (select 1 from public.contacts x where x.tenant_id = p_tenant_id and x.email = lower(p_value) and x.deleted_at is null) then
      st := 'skipped';
    else
      update public.contacts set email = lower(p_value) where tenant_id = p_tenant_id and id = p_contact_id;
    end if;
  elsif st = 'applied' and p_field = 'website' then
    update public.contacts set custom_fields = custom_fields || jsonb_build_object('website', p_value,
      'website_source', jsonb_build_object('source', p_source, 'confidence', p_confidence, 'found_at', now()))
     where tenant_id = p_tenant_id and id = p_contact_id;
  end if;
  insert into public.contact_enrichments (tenant_id, contact_id, job_id, field, value, confidence, source, provider, status)
  values (p_tenant_id, p_contact_id, p_job_id, p_field, lower(p_value), p_confidence, p_source, p_provider, st)
  on conflict (tenant_id, contact_id, field, value) do nothing;
  return st;
end;
$$;

-- ---------------------------------------------------------------- RPCs

-- Starts enriching a base's companies; the plan's monthly enrichments bound it.
create or replace function public.request_enrichment(p_tenant_id uuid, p_base_id uuid)
returns public.enrichment_jobs
language plpgsql
volatile
security definer
set search_path = ''
as $$
declare
  j public.enrichment_jobs;
  n integer;
  lim integer;
  used integer;
begin
  perform private.require_role(p_tenant_id, 'agent');
  if not exists (select 1 from public.prospect_bases b where b.tenant_id = p_tenant_id and b.id = p_base_id) then
    raise exception using errcode = 'P0002', message = 'base_not_found';
  end if;
  if exists (select 1 from public.enrichment_jobs x where x.tenant_id = p_tenant_id and x.prospect_base_id = p_base_id and x.status in ('queued', 'running')) then
    raise exception using errcode = '55006', message = 'enrichment_running';
  end if;
  select count(*) into n from public.prospect_base_members m join public.contacts c on c.tenant_id = m.tenant_id and c.id = m.contact_id
   where m.tenant_id = p_tenant_id and m.prospect_base_id = p_base_id and c.kind = 'company' and c.deleted_at is null;
  select gl.monthly_enrichments into lim from public.tenants t join private.generation_plan_limits gl on gl.plan = t.plan where t.id = p_tenant_id;
  select coalesce(sum(x.total), 0) into used from public.enrichment_jobs x
   where x.tenant_id = p_tenant_id and x.created_at >= (date_trunc('month', now() at time zone 'Europe/Paris') at time zone 'Europe/Paris');
  if n = 0 then
    raise exception using errcode = '22023', message = 'nothing_to_enrich';
  end if;
  if used + n > lim then
    raise exception using errcode = '53400', message = 'enrichment_quota_exceeded',
      detail = jsonb_build_object('quota', lim, 'used', used, 'requested', n, 'period', 'month')::text;
  end if;
  insert into public.enrichment_jobs (tenant_id, prospect_base_id, total) values (p_tenant_id, p_base_id, n) returning * into j;
  perform pgmq.send('enrichment', jsonb_build_object('type', 'enrichment.job', 'jobId', j.id));
  return j;
end;
$$;

-- Approves (applies) or rejects a value that needed review.
create or replace function public.review_enrichment(p_id uuid, p_approve boolean)
returns public.enrichment_status
language plpgsql
volatile
security definer
set search_path = ''
as $$
declare
  e public.contact_enrichments;
  st public.enrichment_status;
begin
  select * into e from public.contact_enrichments where id = p_id;
  if e.id is null or not private.has_role_on_tenant(e.tenant_id, 'assistant') then
    raise exception using errcode = 'P0002', message = 'enrichment_not_found';
  end if;
  perform private.require_role(e.tenant_id, 'agent');
  if e.status <> 'needs_review' then
    raise exception using errcode = '22023', message = 'enrichment_already_reviewed';
  end if;
  st := case when p_approve then 'approved' else 'rejected' end;
  if p_approve and e.field = 'email' then
    if exists (select 1 from public.contacts x where x.tenant_id = e.tenant_id and x.email = e.value and x.deleted_at is null and x.id <> e.contact_id) then
      raise exception using errcode = '23505', message = 'duplicate_contact', detail = jsonb_build_object('field', 'email')::text;
    end if;
    update public.contacts set email = e.value where tenant_id = e.tenant_id and id = e.contact_id;
  elsif p_approve and e.field = 'website' then
    update public.contacts set custom_fields = custom_fields || jsonb_build_object('website', e.value,
      'website_source', jsonb_build_object('source', e.source, 'confidence', e.confidence, 'reviewed_at', now()))
     where tenant_id = e.tenant_id and id = e.contact_id;
  end if;
  update public.contact_enrichments set status = st, reviewed_by = (select auth.uid()), reviewed_at = now() where id = p_id;
  return st;
end;
$$;

-- Coverage and accuracy of a base's enrichment.
create or replace function public.base_enrichment_report(p_tenant_id uuid, p_base_id uuid)
returns jsonb
language sql
stable
set search_path = ''
as $$
  with m as (
    select c.id, c.email, c.custom_fields ->> 'website' as website
      from public.prospect_base_members bm join public.contacts c on c.tenant_id = bm.tenant_id and c.id = bm.contact_id
     where bm.tenant_id = p_tenant_id and bm.prospect_base_id = p_base_id and c.kind = 'company' and c.deleted_at is null
  ), e as (
    select ce.* from public.contact_enrichments ce where ce.tenant_id = p_tenant_id and ce.contact_id in (select id from m)
  ), j as (
    select x.* from public.enrichment_jobs x where x.tenant_id = p_tenant_id and x.prospect_base_id = p_base_id order by x.created_at desc limit 1
  )
  select jsonb_build_object(
    'companies', (select count(*) from m),
    'with_website', (select count(*) from m where website is not null),
    'with_email', (select count(*) from m where email is not null),
    'found', (select count(*) from e),
    'applied', (select count(*) from e where status = 'applied'),
    'needs_review', (select count(*) from e where status = 'needs_review'),
    'approved', (select count(*) from e where status = 'approved'),
    'rejected', (select count(*) from e where status = 'rejected'),
    'accuracy', (select round(count(*) filter (where status = 'approved')::numeric / nullif(count(*) filter (where status in ('approved', 'rejected')), 0), 2) from e),
    'mean_confidence', (select round(avg(confidence), 2) from e),
    'job', (select to_jsonb(j) - 'tenant_id' from j)
  )
$$;

-- The enrichment tick: wake the worker when jobs wait.
create or replace function private.run_enrichment_tick()
returns void
language plpgsql
volatile
security definer
set search_path = ''
as $$
begin
  if exists (select 1 from pgmq.metrics('enrichment') m where m.queue_length > 0) then
    perform private.invoke_edge_function('enrich-worker', '{}'::jsonb);
  end if;
end;
$$;

revoke all on function private.record_enrichment(uuid, uuid, uuid, text, text, numeric, text, text), private.run_enrichment_tick() from public, anon, authenticated;
grant execute on function private.record_enrichment(uuid, uuid, uuid, text, text, numeric, text, text), private.run_enrichment_tick() to service_role;
revoke all on function public.request_enrichment(uuid, uuid), public.review_enrichment(uuid, boolean), public.base_enrichment_report(uuid, uuid) from public, anon;
grant execute on function public.request_enrichment(uuid, uuid), public.review_enrichment(uuid, boolean), public.base_enrichment_report(uuid, uuid)
  to authenticated, service_role;

select private.schedule_job('enrichment-tick', '* * * * *', 'select private.run_enrichment_tick()');

alter table public.enrichment_jobs enable row level security;
alter table public.contact_enrichments enable row level security;
revoke all on public.enrichment_jobs, public.contact_enrichments from anon;
revoke insert, update, truncate on public.enrichment_jobs from authenticated;
revoke insert, update, truncate on public.contact_enrichments from authenticated;

create policy enrichment_jobs_select on public.enrichment_jobs for select to authenticated
  using (tenant_id = any (array(select private.tenant_ids_with_role('assistant'))));
create policy enrichment_jobs_delete on public.enrichment_jobs for delete to authenticated
  using (tenant_id = any (array(select private.tenant_ids_with_role('admin'))));
create policy contact_enrichments_select on public.contact_enrichments for select to authenticated
  using (tenant_id = any (array(select private.tenant_ids_with_role('assistant'))));
create policy contact_enrichments_delete on public.contact_enrichments for delete to authenticated
  using (tenant_id = any (array(select private.tenant_ids_with_role('agent'))));
