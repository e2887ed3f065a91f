-- Generation of a prospect base by sector (NAF codes) + area (communes,
-- arrondissements, postal codes, departments):
--   request_base_generation → (cache hit: items at once | miss: pgmq job for
--   the generate-base worker, which fills the platform cache) → preview
--   (count + masked sample, no credit spent) → confirm_base_generation
--   (a prospect base; items unlocked up to the plan's monthly credits in the
--   stated order; the rest stays locked and unlocks as credits renew).
-- Each tenant's generation, items and contacts are its own (RLS); the
-- companies cache is the platform's (private, 20261207070100_company_cache.sql).

create type public.generation_status as enum ('queued', 'fetching', 'ready', 'confirmed', 'failed');
create type public.unlock_order as enum ('proximity', 'score');

create table public.base_generations (
  id uuid primary key default gen_random_uuid(),
  tenant_id uuid not null references public.tenants (id) on delete cascade,
  name text not null,
  naf_codes text[] not null,
  area jsonb not null,
  unlock_order public.unlock_order not null default 'proximity',
  status public.generation_status not null default 'queued',
  query_key text not null,
  cache_hit boolean,
  total integer,
  excluded_count integer not null default 0,
  prospect_base_id uuid,
  error text,
  requested_by uuid default auth.uid(),
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  ready_at timestamptz,
  confirmed_at timestamptz,
  foreign key (tenant_id, prospect_base_id) references public.prospect_bases (tenant_id, id) on delete set null (prospect_base_id),
  constraint base_generations_name_length check (char_length(btrim(name)) between 1 and 200),
  constraint base_generations_naf_codes check (cardinality(naf_codes) between 1 and 20
    and array_to_string(naf_codes, ',') ~ '^[0-9]{2}\.[0-9]{2}[A-Z](,[0-9]{2}\.[0-9]{2}[A-Z])*$'),
  constraint base_generations_area_object check (jsonb_typeof(area) = 'object')
);
create unique index base_generations_tenant_id_id_key on public.base_generations (tenant_id, id);
create index base_generations_tenant_created_idx on public.base_generations (tenant_id, created_at desc);
create index base_generations_base_idx on public.base_generations (tenant_id, prospect_base_id) where prospect_base_id is not null;
create index base_generations_requested_by_idx on public.base_generations (requested_by) where requested_by is not null;

create table public.base_generation_items (
  tenant_id uuid not null,
  generation_id uuid not null,
  siret text not null,
  rank integer not null,
  fit_score smallint not null default 0,
  proximity smallint not null default 3,
  unlocked_at timestamptz,
  reused_existing boolean not null default false,
  contact_id uuid,
  primary key (tenant_id, generation_id, siret),
  foreign key (tenant_id, generation_id) references public.base_generations (tenant_id, id) on delete cascade,
  foreign key (tenant_id, contact_id) references public.contacts (tenant_id, id) on delete set null (contact_id)
);
create index base_generation_items_rank_idx on public.base_generation_items (tenant_id, generation_id, rank);
create index base_generation_items_unlocked_idx on public.base_generation_items (tenant_id, unlocked_at) where unlocked_at is not null;
create index base_generation_items_locked_idx on public.base_generation_items (tenant_id, generation_id, rank) where unlocked_at is null;
create index base_generation_items_contact_idx on public.base_generation_items (tenant_id, contact_id) where contact_id is not null;

create trigger base_generations_updated_at before update on public.base_generations
  for each row execute function private.set_updated_at();
create trigger base_generations_protect_fields before update on public.base_generations
  for each row execute function private.protect_fields('tenant_id', 'requested_by', 'created_at', 'query_key', 'status', 'total', 'prospect_base_id');

do $$
begin
  if not exists (select 1 from pgmq.list_queues() q where q.queue_name = 'generation') then
    perform pgmq.create('generation');
  end if;
end
$$;

-- ---------------------------------------------------------------- helpers

-- Credits of the tenant's plan for the current month (Europe/Paris), used and left.
create or replace function private.generation_credits(p_tenant_id uuid)
returns table (monthly integer, used integer, remaining integer, renews_on date)
language sql
stable
security definer
set search_path = ''
as $$
  with l as (
    select gl.monthly_credits from public.tenants t join private.generation_plan_limits gl on gl.plan = t.plan where t.id = p_tenant_id
  ), u as (
    select count(*)::int as used from public.base_generation_items i
     where i.tenant_id = p_tenant_id and not i.reused_existing
       and i.unlocked_at >= (date_trunc('month', now() at time zone 'Europe/Paris') at time zone 'Europe/Paris')
  )
  select l.monthly_credits, u.used, greatest(l.monthly_credits - u.used, 0),
         (date_trunc('month', now() at time zone 'Europe/Paris') + interval '1 month')::date
    from l, u
$$;

-- Validates an area: {communes: [INSEE codes], postal_codes: [5 digits], departements: [codes]}, at least one.
create or replace function private.validate_area(p_area jsonb)
returns jsonb
language plpgsql
immutable
set search_path = ''
as $$
declare
  a jsonb := jsonb_build_object(
    'communes', coalesce(p_area -> 'communes', '[]'), 'postal_codes', coalesce(p_area -> 'postal_codes', '[]'),
    'departements', coalesce(p_area -> 'departements', '[]'));
begin
  if jsonb_typeof(a -> 'communes') <> 'array' or jsonb_typeof(a -> 'postal_codes') <> 'array' or jsonb_typeof(a -> 'departements') <> 'array' then
    raise exception using errcode = '22023', message = 'invalid_area', detail = jsonb_build_object('field', 'area', 'reason', 'format')::text;
  end if;
  if jsonb_array_length(a -> 'communes') + jsonb_array_length(a -> 'postal_codes') + jsonb_array_length(a -> 'departements') = 0 then
    raise exception using errcode = '22023', message = 'invalid_area', detail = jsonb_build_object('field', 'area', 'reason', 'empty')::text;
  end if;
  if jsonb_array_length(a -> 'communes') + jsonb_array_length(a -> 'postal_codes') + jsonb_array_length(a -> 'departements') > 50 then
    raise exception using errcode = '22023', message = 'invalid_area', detail = jsonb_build_object('field', 'area', 'reason', 'too_many')::text;
  end if;
  if exists (select 1 from jsonb_array_elements_text(a -> 'communes') x where x !~ '^([0-9][0-9AB]|2[AB])[0-9]{3}$')
     or exists (select 1 from jsonb_array_elements_text(a -> 'postal_codes') x where x !~ '^[0-9]{5}$')
     or exists (select 1 from jsonb_array_elements_text(a -> 'departements') x where x !~ '^([0-9]{2}|2[AB]|97[0-9])$') then
    raise exception using errcode = '22023', message = 'invalid_area', detail = jsonb_build_object('field', 'area', 'reason', 'code')::text;
  end if;
  return a;
end;
$$;

-- Fills the generation's items from the cache (excluding partial diffusion,
-- closed establishments and the opposition list), ranked in its unlock order,
-- and marks it ready.
create or replace function private.materialize_generation(p_generation_id uuid)
returns integer
language plpgsql
volatile
security definer
set search_path = ''
as $$
declare
  g public.base_generations;
  t public.tenants;
  n integer;
  excluded integer;
begin
  select * into g from public.base_generations where id = p_generation_id for update;
  if g.id is null or g.status not in ('queued', 'fetching') then
    return 0;
  end if;
  select * into t from public.tenants where id = g.tenant_id;
  select count(*) into excluded
    from private.company_query_results r join private.company_establishments e on e.siret = r.siret
   where r.query_key = g.query_key
     and (e.diffusion <> 'O' or not e.active or exists (select 1 from private.company_opposition o where o.siren = e.siren));
  insert into public.base_generation_items (tenant_id, generation_id, siret, rank, fit_score, proximity)
  select g.tenant_id, g.id, x.siret,
         row_number() over (order by
           case when g.unlock_order = 'score' then -x.fit else x.proximity end,
           case when g.unlock_order = 'score' then x.proximity else -x.fit end,
           x.cp_distance, x.name, x.siret)::int,
         x.fit, x.proximity
    from (
      select e.siret, e.name,
             (case when z.zone is not null then 40 when left(e.postal_code, 2) = left(t.postal_code, 2) then 25 else 0 end
              + case when e.headcount_band in ('NN', '00', '01', '02', '03', '11', '12') then 20 when e.headcount_band is not null then 10 else 15 end
              + case when e.created_on < current_date - interval '3 years' then 20 when e.created_on is not null then 10 else 0 end
              + case when e.head_office then 20 else 10 end)::smallint as fit,
             (case when z.zone is not null then 0 when e.postal_code = t.postal_code then 1
                   when left(e.postal_code, 2) = left(t.postal_code, 2) then 2 else 3 end)::smallint as proximity,
             abs(coalesce(nullif(regexp_replace(e.postal_code, '\D', '', 'g'), '')::int, 99999)
                 - coalesce(nullif(regexp_replace(t.postal_code, '\D', '', 'g'), '')::int, 0)) as cp_distance
        from private.company_query_results r
        join private.company_establishments e on e.siret = r.siret
        left join lateral (select private.matching_zone(t.geographic_zones, e.postal_code, e.city) as zone) z on true
       where r.query_key = g.query_key
         and e.diffusion = 'O' and e.active
         and not exists (select 1 from private.company_opposition o where o.siren = e.siren)
    ) x
  on conflict do nothing;
  get diagnostics n = row_count;
  update public.base_generations set status = 'ready', total = n, excluded_count = excluded, ready_at = now(), error = null
   where id = g.id;
  return n;
end;
$$;

-- Unlocks up to p_max locked items of a confirmed generation in rank order:
-- creates the contacts (or reuses the tenant's contact with the same SIRET,
-- which costs no credit) with the source and date of every field, and adds
-- them to the generation's base. Returns the credits spent.
create or replace function private.unlock_generation_items(p_generation_id uuid, p_max integer)
returns integer
language plpgsql
volatile
security definer
set search_path = ''
as $$
declare
  g public.base_generations;
  spent integer;
begin
  select * into g from public.base_generations where id = p_generation_id;
  if g.id is null or g.status <> 'confirmed' or g.prospect_base_id is null or p_max <= 0 then
    return 0;
  end if;
  create temp table if not exists pg_temp.unlock_batch (siret text primary key, contact_id uuid, reused boolean) on commit drop;
  truncate pg_temp.unlock_batch;
  -- Existing contacts first: they cost nothing and do not count against p_max.
  insert into pg_temp.unlock_batch
  select i.siret, c.id, true
    from public.base_generation_items i
    join public.contacts c on c.tenant_id = i.tenant_id and c.siret = i.siret and c.deleted_at is null
   where i.tenant_id = g.tenant_id and i.generation_id = g.id and i.unlocked_at is null;
  insert into pg_temp.unlock_batch
  select s.siret, gen_random_uuid(), false
    from (select i.siret from public.base_generation_items i
           where i.tenant_id = g.tenant_id and i.generation_id = g.id and i.unlocked_at is null
             and not exists (select 1 from pg_temp.unlock_batch b where b.siret = i.siret)
           order by i.rank limit p_max) s;
  insert into public.contacts (id, tenant_id, kind, company_name, siren, siret, naf_code, address_line, postal_code, city,
                               source, custom_fields, created_by)
  select b.contact_id, g.tenant_id, 'company', e.name, e.siren, e.siret, e.naf, e.address, e.postal_code, e.city,
         'generation',
         jsonb_strip_nulls(jsonb_build_object(
           'headcount_band', e.headcount_band, 'created_on', e.created_on, 'legal_form', e.legal_form,
           'generation_id', g.id,
           'field_sources', jsonb_build_object('source', e.source, 'fetched_at', e.fetched_at,
             'fields', jsonb_build_array('company_name', 'siren', 'siret', 'naf_code', 'address_line', 'postal_code', 'city',
                                         'headcount_band', 'created_on', 'legal_form')))),
         g.requested_by
    from pg_temp.unlock_batch b join private.company_establishments e on e.siret = b.siret
   where not b.reused;
  update public.base_generation_items i set unlocked_at = now(), contact_id = b.contact_id, reused_existing = b.reused
    from pg_temp.unlock_batch b
   where i.tenant_id = g.tenant_id and i.generation_id = g.id and i.siret = b.siret;
  insert into public.prospect_base_members (tenant_id, prospect_base_id, contact_id, added_by)
  select g.tenant_id, g.prospect_base_id, b.contact_id, g.requested_by from pg_temp.unlock_batch b
  on conflict do nothing;
  select count(*) into spent from pg_temp.unlock_batch where not reused;
  return spent;
end;
$$;

-- Plants one watermark record in a generated base (see private.base_watermarks).
create or replace function private.plant_watermark(p_generation_id uuid)
returns uuid
language plpgsql
volatile
security definer
set search_path = ''
as $$
declare
  g public.base_generations;
  token text := substr(md5(gen_random_uuid()::text), 1, 10);
  syll text[] := array['bel', 'cor', 'dal', 'fen', 'gar', 'lon', 'mar', 'nor', 'sal', 'ver', 'tal', 'rin'];
  word text;
  contact uuid := gen_random_uuid();
  e record;
begin
  select * into g from public.base_generations where id = p_generation_id;
  word := initcap(syll[1 + get_byte(decode(substr(token, 1, 2), 'hex'), 0) % 12] || syll[1 + get_byte(decode(substr(token, 3, 2), 'hex'), 0) % 12]
               || syll[1 + get_byte(decode(substr(token, 5, 2), 'hex'), 0) % 12]);
  select ce.postal_code, ce.city into e
    from public.base_generation_items i join private.company_establishments ce on ce.siret = i.siret
   where i.tenant_id = g.tenant_id and i.generation_id = g.id order by i.rank limit 1;
  insert into public.contacts (id, tenant_id, kind, company_name, email, postal_code, city, source, created_by)
  values (contact, g.tenant_id, 'company', upper(word) || ' CONSEIL', 'contact.' || token || '@' || lower(word) || '-conseil.fr',
          e.postal_code, e.city, 'generation', g.requested_by);
  insert into public.prospect_base_members (tenant_id, prospect_base_id, contact_id, added_by)
  values (g.tenant_id, g.prospect_base_id, contact, g.requested_by);
  insert into private.base_watermarks (token, tenant_id, prospect_base_id, generation_id, contact_id, email)
  values (token, g.tenant_id, g.prospect_base_id, g.id, contact, 'contact.' || token || '@' || lower(word) || '-conseil.fr');
  return contact;
end;
$$;

-- Which tenant and base a leaked record came from (platform staff).
create or replace function private.trace_watermark(p_email text)
returns table (tenant_id uuid, prospect_base_id uuid, generation_id uuid, planted_at timestamptz)
language sql
stable
security definer
set search_path = ''
as $$
  select w.tenant_id, w.prospect_base_id, w.generation_id, w.created_at from private.base_watermarks w
   where w.email = private.normalize_email(p_email)
$$;

-- Renewed credits: unlocks locked items of confirmed generations, oldest
-- generation first and rank order inside, within each tenant's credits left.
create or replace function private.unlock_renewed_credits()
returns integer
language plpgsql
volatile
security definer
set search_path = ''
as $$
declare
  r record;
  left_ integer;
  total integer := 0;
begin
  for r in
    select g.id, g.tenant_id from public.base_generations g
     where g.status = 'confirmed'
       and exists (select 1 from public.base_generation_items i where i.tenant_id = g.tenant_id and i.generation_id = g.id and i.unlocked_at is null)
     order by g.tenant_id, g.confirmed_at
  loop
    select remaining into left_ from private.generation_credits(r.tenant_id);
    if left_ > 0 then
      total := total + private.unlock_generation_items(r.id, left_);
    end if;
  end loop;
  return total;
end;
$$;

-- ---------------------------------------------------------------- RPCs

-- Starts a generation. Cache hit (same target fetched in the last 30 days, by
-- any tenant): items now, status ready. Miss: a job for generate-base.
create or replace function public.request_base_generation(
  p_tenant_id uuid, p_name text, p_naf_codes text[], p_area jsonb, p_unlock_order public.unlock_order default 'proximity'
)
returns public.base_generations
language plpgsql
volatile
security definer
set search_path = ''
as $$
declare
  area jsonb;
  key text;
  per_hour integer;
  recent integer;
  g public.base_generations;
begin
  perform private.require_role(p_tenant_id, 'assistant');
  if p_naf_codes is null or cardinality(p_naf_codes) = 0 then
    raise exception using errcode = '22023', message = 'invalid_naf', detail = jsonb_build_object('field', 'naf_codes', 'reason', 'empty')::text;
  end if;
  if cardinality(p_naf_codes) > 20 or exists (select 1 from unnest(p_naf_codes) x where x !~ '^[0-9]{2}\.[0-9]{2}[A-Z]$') then
    raise exception using errcode = '22023', message = 'invalid_naf', detail = jsonb_build_object('field', 'naf_codes', 'reason', 'code')::text;
  end if;
  area := private.validate_area(p_area);
  select gl.generations_per_hour into per_hour
    from public.tenants t join private.generation_plan_limits gl on gl.plan = t.plan where t.id = p_tenant_id;
  select count(*) into recent from public.base_generations bg
   where bg.tenant_id = p_tenant_id and bg.created_at > now() - interval '1 hour';
  if recent >= per_hour then
    raise exception using errcode = '53400', message = 'generation_rate_limited',
      detail = jsonb_build_object('limit', per_hour, 'period', 'hour', 'retry_after_s',
        greatest(1, extract(epoch from (select min(created_at) from (select created_at from public.base_generations
          where base_generations.tenant_id = p_tenant_id and base_generations.created_at > now() - interval '1 hour'
          order by base_generations.created_at desc limit per_hour) w)
          + interval '1 hour' - now())::int))::text;
  end if;
  key := private.company_query_key(p_naf_codes, area);
  insert into public.base_generations (tenant_id, name, naf_codes, area, unlock_order, query_key, cache_hit)
  values (p_tenant_id, btrim(p_name), (select array_agg(distinct x order by x) from unnest(p_naf_codes) x), area,
          coalesce(p_unlock_order, 'proximity'), key,
          exists (select 1 from private.company_queries q where q.query_key = key and q.fetched_at > now() - interval '30 days'))
  returning * into g;
  if g.cache_hit then
    perform private.materialize_generation(g.id);
    select * into g from public.base_generations where id = g.id;
  else
    perform pgmq.send('generation', jsonb_build_object('type', 'generation.fetch', 'generationId', g.id));
  end if;
  return g;
end;
$$;

-- The preview: count, masked sample, credits. Spends nothing.
create or replace function public.base_generation_preview(p_generation_id uuid, p_sample integer default 10)
returns jsonb
language plpgsql
stable
security definer
set search_path = ''
as $$
declare
  g public.base_generations;
  c record;
begin
  select * into g from public.base_generations where id = p_generation_id;
  if g.id is null or not private.has_role_on_tenant(g.tenant_id, 'assistant') then
    raise exception using errcode = 'P0002', message = 'generation_not_found';
  end if;
  select * into c from private.generation_credits(g.tenant_id);
  return jsonb_build_object(
    'id', g.id, 'status', g.status, 'total', g.total, 'excluded', g.excluded_count, 'cache_hit', g.cache_hit,
    'unlock_order', g.unlock_order, 'error', g.error,
    'credits', jsonb_build_object('monthly', c.monthly, 'used', c.used, 'remaining', c.remaining, 'renews_on', c.renews_on),
    'would_unlock', least(coalesce(g.total, 0), c.remaining),
    'sample', coalesce((
      select jsonb_agg(jsonb_build_object(
        'rank', i.rank, 'name', e.name, 'naf', e.naf,
        -- half of the address masked: the street number and name are hidden, the town stays
        'address', case when e.address is null then null
                        else left(e.address, greatest(1, length(e.address) / 2)) || repeat('•', length(e.address) - greatest(1, length(e.address) / 2)) end,
        'postal_code', e.postal_code, 'city', e.city,
        'phone', '•• •• •• •• ••', 'email', '•••••@•••••.fr', 'website', 'www.•••••.fr',
        'fit_score', i.fit_score) order by i.rank)
      from (select * from public.base_generation_items i where i.tenant_id = g.tenant_id and i.generation_id = g.id
             order by i.rank limit least(greatest(coalesce(p_sample, 10), 1), 25)) i
      join private.company_establishments e on e.siret = i.siret), '[]'::jsonb)
  );
end;
$$;

-- Confirms: creates the base, unlocks up to the credits left, plants a
-- watermark record. Agents and above (it spends credits).
create or replace function public.confirm_base_generation(p_generation_id uuid, p_base_name text default null)
returns jsonb
language plpgsql
volatile
security definer
set search_path = ''
as $$
declare
  g public.base_generations;
  base uuid;
  credits integer;
  spent integer;
begin
  select * into g from public.base_generations where id = p_generation_id for update;
  if g.id is null or not private.has_role_on_tenant(g.tenant_id, 'assistant') then
    raise exception using errcode = 'P0002', message = 'generation_not_found';
  end if;
  perform private.require_role(g.tenant_id, 'agent');
  if g.status = 'confirmed' then
    raise exception using errcode = '22023', message = 'generation_already_confirmed', detail = jsonb_build_object('prospect_base_id', g.prospect_base_id)::text;
  end if;
  if g.status <> 'ready' then
    raise exception using errcode = '22023', message = 'generation_not_ready', detail = jsonb_build_object('status', g.status)::text;
  end if;
  if coalesce(g.total, 0) = 0 then
    raise exception using errcode = '22023', message = 'generation_empty';
  end if;
  if exists (select 1 from public.prospect_bases b where b.tenant_id = g.tenant_id and lower(b.name) = lower(btrim(coalesce(p_base_name, g.name))) and b.archived_at is null) then
    raise exception using errcode = '23505', message = 'base_name_taken', detail = jsonb_build_object('field', 'name')::text;
  end if;
  insert into public.prospect_bases (tenant_id, name, description, source, owner_id, created_by)
  values (g.tenant_id, btrim(coalesce(p_base_name, g.name)), null, 'generation', (select auth.uid()), (select auth.uid()))
  returning id into base;
  update public.base_generations set status = 'confirmed', prospect_base_id = base, confirmed_at = now() where id = g.id;
  select remaining into credits from private.generation_credits(g.tenant_id);
  spent := private.unlock_generation_items(g.id, credits);
  perform private.plant_watermark(g.id);
  perform private.emit_event(g.tenant_id, 'base.generated', 'prospect_base', base,
    jsonb_build_object('generation_id', g.id, 'total', g.total, 'unlocked', spent));
  return jsonb_build_object('prospect_base_id', base, 'total', g.total,
    'unlocked', (select count(*) from public.base_generation_items i where i.tenant_id = g.tenant_id and i.generation_id = g.id and i.unlocked_at is not null),
    'locked', (select count(*) from public.base_generation_items i where i.tenant_id = g.tenant_id and i.generation_id = g.id and i.unlocked_at is null),
    'credits_spent', spent);
end;
$$;

-- Credits of the caller's tenant (for the wizard and the bases page).
create or replace function public.generation_credits(p_tenant_id uuid)
returns jsonb
language plpgsql
stable
security definer
set search_path = ''
as $$
declare
  c record;
  l private.generation_plan_limits;
begin
  perform private.require_role(p_tenant_id, 'assistant');
  select * into c from private.generation_credits(p_tenant_id);
  select gl.* into l from public.tenants t join private.generation_plan_limits gl on gl.plan = t.plan where t.id = p_tenant_id;
  return jsonb_build_object('monthly', c.monthly, 'used', c.used, 'remaining', c.remaining, 'renews_on', c.renews_on,
    'generations_per_hour', l.generations_per_hour, 'monthly_export_rows', l.monthly_export_rows,
    'monthly_enrichments', l.monthly_enrichments,
    'locked', (select count(*) from public.base_generation_items i where i.tenant_id = p_tenant_id and i.unlocked_at is null
                 and exists (select 1 from public.base_generations g where g.tenant_id = i.tenant_id and g.id = i.generation_id and g.status = 'confirmed')));
end;
$$;

-- The generation tick: wake the worker when jobs wait; unlock renewed credits once a day.
create or replace function private.run_generation_tick()
returns void
language plpgsql
volatile
security definer
set search_path = ''
as $$
begin
  if exists (select 1 from pgmq.metrics('generation') m where m.queue_length > 0) then
    perform private.invoke_edge_function('generate-base', '{}'::jsonb);
  end if;
end;
$$;

revoke all on function private.generation_credits(uuid), private.validate_area(jsonb), private.materialize_generation(uuid),
  private.unlock_generation_items(uuid, integer), private.plant_watermark(uuid), private.trace_watermark(text),
  private.unlock_renewed_credits(), private.run_generation_tick() from public, anon, authenticated;
grant execute on function private.materialize_generation(uuid), private.unlock_renewed_credits(), private.trace_watermark(text),
  private.run_generation_tick() to service_role;
revoke all on function public.request_base_generation(uuid, text, text[], jsonb, public.unlock_order),
  public.base_generation_preview(uuid, integer), public.confirm_base_generation(uuid, text), public.generation_credits(uuid) from public, anon;
grant execute on function public.request_base_generation(uuid, text, text[], jsonb, public.unlock_order),
  public.base_generation_preview(uuid, integer), public.confirm_base_generation(uuid, text), public.generation_credits(uuid)
  to authenticated, service_role;

select private.schedule_job('generation-tick', '* * * * *', 'select private.run_generation_tick()');
select private.schedule_job('generation-unlock-renewed', '5 0 * * *', 'select private.unlock_renewed_credits()');

-- ---------------------------------------------------------------- RLS

alter table public.base_generations enable row level security;
alter table public.base_generation_items enable row level security;
revoke all on public.base_generations, public.base_generation_items from anon;
-- Generations are created and moved forward by the RPCs above; members may rename or delete.
revoke insert, truncate on public.base_generations from authenticated;
revoke insert, update, truncate on public.base_generation_items from authenticated;

create policy base_generations_select on public.base_generations for select to authenticated
  using (tenant_id = any (array(select private.tenant_ids_with_role('assistant'))));
create policy base_generations_update on public.base_generations for update to authenticated
  using (tenant_id = any (array(select private.tenant_ids_with_role('agent'))))
  with check (tenant_id = any (array(select private.tenant_ids_with_role('agent'))));
create policy base_generations_delete on public.base_generations for delete to authenticated
  using (tenant_id = any (array(select private.tenant_ids_with_role('agent'))));

create policy base_generation_items_select on public.base_generation_items for select to authenticated
  using (tenant_id = any (array(select private.tenant_ids_with_role('assistant'))));
create policy base_generation_items_delete on public.base_generation_items for delete to authenticated
  using (tenant_id = any (array(select private.tenant_ids_with_role('agent'))));
